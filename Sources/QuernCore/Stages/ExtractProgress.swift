import Foundation
import QuernKit

/// `progress.json` (`progress.shard-K-of-N.json` for a shard): where the extract stage is,
/// agreeing with the journal (batches done counts journaled batches only), and who runs it, so
/// a merge that finds a shard incomplete can say where it ran and how to redo it.
public struct ProgressFile: Codable, Sendable {
    var stage: String
    var state: String
    var shard: String
    var batchesTotal: Int
    var batchesDone: Int
    var filesTotal: Int
    var filesDone: Int
    var filesFailed: Int
    var rows: Int
    var rowsPerSecond: Double
    var etaSeconds: Double?
    var updatedAt: String
    /// Where and how this extract was started (absent in files of older versions).
    var launch: ShardLaunch?
    /// The error that stopped it, when `state` is `failed`.
    var error: String?
}

func writeProgressLive(counters: ProgressCounters, console: Console, filesToDo: Int, started: Double) {
    let snap = counters.snapshot
    let elapsed = max(monotonicSeconds() - started, 1e-6)
    let eta: Double? = snap.files > 0 ? elapsed / Double(snap.files) * Double(filesToDo - snap.files) : nil
    console.progress(
        label: "extract", done: snap.files, total: filesToDo, unit: "files", rows: snap.rows,
        rowsPerSecond: Double(snap.rows) / elapsed, eta: eta)
}

/// Calls `tick` every `interval` seconds on its own thread until stopped (the workers keep the
/// task pool busy, so a timer there would starve).
final class ProgressTicker: @unchecked Sendable {
    private let timer: DispatchSourceTimer

    init(interval: Double, tick: @escaping @Sendable () -> Void) {
        timer = DispatchSource.makeTimerSource(queue: DispatchQueue(label: "quern.progress"))
        timer.schedule(deadline: .now() + interval, repeating: interval)
        timer.setEventHandler(handler: tick)
        timer.resume()
    }

    func stop() { timer.cancel() }
}
