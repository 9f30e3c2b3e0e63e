import QuernKit

/// The named stages of the pipeline. Each has a clear before and after point, where observers
/// (logging today, shell hooks next) are called. docs/architecture.md lists what exists on disk at
/// each point.
public enum StageName: String, CaseIterable, Sendable, Codable {
    case run, discover, extract, merge, split, normalize, save, cleanup
}

/// How a stage ended.
public enum StageOutcome: Sendable, Equatable {
    case succeeded
    case failed(String)
}

/// Watches stages start and finish, and batches get published. Observers run in registration order.
public protocol StageObserver: Sendable {
    func stageWillStart(_ stage: StageName) async throws
    func stageDidFinish(_ stage: StageName, outcome: StageOutcome) async throws
    /// A batch file was published (renamed into place and recorded in the journal).
    func batchPublished(path: String) async throws
    /// Whether something will look at the merged rows between the merge and split stages (a
    /// post-merge or pre-split hook). Only then does the merge write them out as a separate stream.
    func inspectsMergedRows() -> Bool
}

extension StageObserver {
    public func stageWillStart(_ stage: StageName) async throws {}
    public func stageDidFinish(_ stage: StageName, outcome: StageOutcome) async throws {}
    public func batchPublished(path: String) async throws {}
    public func inspectsMergedRows() -> Bool { false }
}

/// Runs a stage body between its observers' before and after calls. The after call happens also
/// when the body fails, with the failure as the outcome.
public struct StageRunner: Sendable {
    public var observers: [any StageObserver]
    /// The run's shared state (the plan with hook overrides, stage records), when there is one.
    public var context: RunContext?

    public init(observers: [any StageObserver] = [], context: RunContext? = nil) {
        self.observers = observers
        self.context = context
    }

    /// Runs `body` as `stage`: observers before (an error there means the stage does not run, and is
    /// reported to the after observers as its failure), the body, observers after.
    public func run<T>(_ stage: StageName, _ body: () async throws -> T) async throws -> T {
        let started = monotonicSeconds()
        let result: T
        MemoryPeaks.begin(stage)
        do {
            CrashPoint.reached("pre-\(stage.rawValue)")
            for o in observers { try await o.stageWillStart(stage) }
            result = try await body()
        } catch {
            context?.record(
                stage,
                .init(
                    status: "failed", seconds: monotonicSeconds() - started, error: "\(error)",
                    peakRssBytes: MemoryPeaks.end(stage)))
            for o in observers { try? await o.stageDidFinish(stage, outcome: .failed("\(error)")) }
            throw error
        }
        context?.record(
            stage,
            .init(status: "ok", seconds: monotonicSeconds() - started, error: nil, peakRssBytes: MemoryPeaks.end(stage))
        )
        CrashPoint.reached("post-\(stage.rawValue)")
        for o in observers { try await o.stageDidFinish(stage, outcome: .succeeded) }
        return result
    }

    /// The plan as it stands when a stage starts: the run's (with the overrides of pre hooks so
    /// far), or `fallback` outside a run (a stage made alone, in a test).
    public func plan(or fallback: RunPlan) -> RunPlan { context?.plan ?? fallback }

    /// Runs `body` as `stage`, handing it the plan as it stands once the pre hooks have run (their
    /// overrides included). `fallback`: the stage's own plan, used outside a run.
    public func run<T>(_ stage: StageName, plan fallback: RunPlan, _ body: (RunPlan) async throws -> T) async throws
        -> T
    {
        try await run(stage) { try await body(plan(or: fallback)) }
    }

    public func batchPublished(_ path: String) async throws {
        for o in observers { try await o.batchPublished(path: path) }
    }
}
