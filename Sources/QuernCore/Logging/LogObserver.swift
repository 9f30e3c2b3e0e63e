import Synchronization

/// Writes every stage's start and end (status, seconds, the error, the stage's peak memory) and every
/// published batch to the run's log. Registered first, so a stage's start is logged before its
/// pre hooks run.
public final class LogObserver: StageObserver {
    public let log: RunLog
    private let started = Mutex<[StageName: Double]>([:])

    public init(log: RunLog) {
        self.log = log
    }

    public func stageWillStart(_ stage: StageName) async throws {
        started.withLock { $0[stage] = monotonicSeconds() }
        log.event("stage_started", stage: stage.rawValue, text: "started")
    }

    public func stageDidFinish(_ stage: StageName, outcome: StageOutcome) async throws {
        let seconds = started.withLock { $0[stage].map { monotonicSeconds() - $0 } } ?? 0
        let peak = MemoryPeaks.peak(of: stage) ?? peakResidentBytes()
        switch outcome {
        case .succeeded:
            log.event(
                "stage_finished", stage: stage.rawValue,
                text: "ok in \(Human.duration(seconds)), peak memory \(Human.bytes(peak))",
                ["status": "ok", "seconds": seconds, "peak_rss_bytes": peak])
        case .failed(let error):
            log.event(
                "stage_finished", stage: stage.rawValue, text: "FAILED after \(Human.duration(seconds)): \(error)",
                ["status": "failed", "seconds": seconds, "peak_rss_bytes": peak, "error": error])
        }
    }

    public func batchPublished(path: String) async throws {
        log.event("batch_published", stage: "extract", text: "batch \(path) published", ["path": path])
    }
}
