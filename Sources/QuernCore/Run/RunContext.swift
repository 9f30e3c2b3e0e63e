import Foundation
public import QuernKit
import Synchronization

/// The run's state as it goes, typed: the current ``RunPlan`` (a pre hook's override makes a new
/// one), the overrides applied, each stage's outcome and time, the input files found, the merge's
/// staging folder. Shared by the stages, which take the current plan when each starts
/// (``StageRunner/run(_:plan:_:)``), and the hooks, which receive it.
public final class RunContext: Sendable {
    public struct Override: Sendable, Codable, Equatable {
        public var hook: String
        public var stage: String
        public var key: String
        public var value: String
    }

    public struct StageRecord: Sendable, Codable, Equatable {
        public var status: String
        public var seconds: Double
        public var error: String?
        /// The stage's own peak resident memory (see `MemoryPeaks`).
        public var peakRssBytes: Int?

        enum CodingKeys: String, CodingKey {
            case status, seconds, error
            case peakRssBytes = "peak_rss_bytes"
        }
    }

    struct State {
        var plan: RunPlan
        var overrides: [Override] = []
        var stages: [String: StageRecord] = [:]
        var inputFiles: [String] = []
        var stagingDir: String? = nil
    }

    public let runId: String
    public let configPath: String?
    public let dataset: String
    /// Resolves the tree again after an override.
    public let resolver: Resolver
    private let state: Mutex<State>

    /// `runId` is made here unless given (the run's log names the same id).
    public init(
        plan: RunPlan, configPath: String?, resolver: Resolver, dataset: String = "default", runId: String? = nil
    ) {
        self.configPath = configPath
        self.resolver = resolver
        self.dataset = dataset
        self.runId = runId ?? Self.newRunId()
        state = Mutex(State(plan: plan))
    }

    /// A new run id: the UTC time and a random suffix (`2026-11-23T031000Z-9f1c2a3b`).
    public static func newRunId() -> String {
        let stamp = ISO8601DateFormatter().string(from: Date()).replacingOccurrences(of: ":", with: "")
        return "\(stamp)-\(String(UInt32.random(in: 0...UInt32.max), radix: 16))"
    }

    /// The plan as it stands: the resolved one, or the one an override made.
    public var plan: RunPlan { state.withLock { $0.plan } }
    /// The config tree of ``plan``.
    public var config: ConfigValue { plan.config }
    public var overrides: [Override] { state.withLock { $0.overrides } }
    public var stages: [String: StageRecord] { state.withLock { $0.stages } }
    public var inputFiles: [String] { state.withLock { $0.inputFiles } }

    public func record(_ stage: StageName, _ record: StageRecord) {
        state.withLock { $0.stages[stage.rawValue] = record }
    }
    public func setInputFiles(_ names: [String]) { state.withLock { $0.inputFiles = names } }
    /// The merge's staging folder, once it exists (hooks get it as `QUERN_STAGING_DIR`).
    public var stagingDir: String? { state.withLock { $0.stagingDir } }
    public func setStagingDir(_ path: String) { state.withLock { $0.stagingDir = path } }

    /// Applies `key=value` lines a pre hook wrote: each is checked like the config file (a known
    /// key, a valid value, plugin names that exist), and the new tree is resolved into a new plan,
    /// which the stages take as each starts. A stage that has started keeps what it took; keys the
    /// merge has consumed are refused after it. Throws naming the hook and the line.
    public func applyOverrides(_ text: String, hook: String, stage: StageName) throws {
        var config = self.config
        var applied: [Override] = []
        for (n, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            guard let eq = line.firstIndex(of: "=") else {
                throw HookError.badOverride(hook: hook, line: n + 1, reason: "'\(line)' is not key=value")
            }
            let key = line[..<eq].trimmingCharacters(in: .whitespaces)
            let value = line[line.index(after: eq)...].trimmingCharacters(in: .whitespaces)
            let parts = key.split(separator: ".").map(String.init)
            let sections = ConfigSchema.sections.filter { $0.name != "hooks" }
            guard parts.count == 2, let section = sections.first(where: { $0.name == parts[0] }),
                section.keys.contains(where: { $0.name == parts[1] })
            else {
                let known = sections.flatMap { s in s.keys.map { "\(s.name).\($0.name)" } }
                let hint = closest(to: key, in: known).map { " (did you mean \($0)?)" } ?? ""
                throw HookError.badOverride(
                    hook: hook, line: n + 1, reason: "'\(key)' is not a setting a hook can override\(hint)")
            }
            if stage == .split || stage == .normalize || stage == .save || stage == .cleanup,
                parts[0] == "split" || parts[0] == "merge" || parts[0] == "save"
            {
                throw HookError.badOverride(
                    hook: hook, line: n + 1,
                    reason: "\(key) is decided when the merge starts: override it in a pre-merge (or earlier) hook")
            }
            config = config.setting(
                key, to: ConfigValue(.scalar(value), mark: SourceMark(file: hook, line: n + 1, column: 1)))
            applied.append(Override(hook: hook, stage: stage.rawValue, key: key, value: value))
        }
        guard !applied.isEmpty else { return }
        let plan: RunPlan
        do {
            plan = try resolver.plan(config, stages: self.plan.stages)
        } catch {
            throw HookError.badOverride(hook: hook, line: nil, reason: "\(error)")
        }
        state.withLock {
            $0.plan = plan
            $0.overrides += applied
        }
    }
}
