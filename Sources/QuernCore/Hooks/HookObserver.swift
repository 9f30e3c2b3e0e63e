import Foundation
import QuernKit
import Synchronization

/// Runs the shell hooks of each stage: pre hooks right before it (a failure stops the stage; their
/// overrides change the settings), post hooks right after, also when it failed, and post-batch
/// hooks as batches are published. docs/hooks.md is the contract.
public final class HookObserver: StageObserver {
    public let settings: HookSettings
    public let context: RunContext
    let catalog: HookCatalog
    let console: Console
    let scratch: String
    private let counter = Mutex(0)
    private let pending = Mutex<[Task<String?, Never>]>([])
    private let batchFailures = Mutex<[String]>([])
    /// Each hook run: name, status, seconds (for the stats file and the log).
    let log = Mutex<[[String: String]]>([])

    public var runs: [[String: String]] { log.withLock { $0 } }

    public init(settings: HookSettings, context: RunContext, console: Console) {
        self.settings = settings
        self.context = context
        self.console = console
        catalog = HookCatalog(settings: settings)
        scratch = NSTemporaryDirectory() + "quern-hooks-\(context.runId)"
        try? FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        for (name, suggestion) in catalog.strayNames() {
            console.warning(
                "\(settings.dir)/\(name) matches no hook point, so it never runs\(suggestion.map { " (did you mean \($0)?)" } ?? "")."
            )
        }
    }

    deinit { try? FileManager.default.removeItem(atPath: scratch) }

    public func stageWillStart(_ stage: StageName) async throws {
        let point = HookPoint(.pre, stage.rawValue)
        for hook in hooks(at: point) {
            let overrides = "\(scratch)/overrides-\(next())"
            // Empty to start with; a hook that writes no override leaves it so (`>>` would create it anyway).
            _ = FileManager.default.createFile(atPath: overrides, contents: nil)
            let r = try await run(hook, point: point, extra: ["QUERN_OVERRIDES": overrides])
            if let why = r.startError { throw HookError.preCannotStart(hook: hook.name, reason: why) }
            guard r.status == 0 else {
                throw HookError.preFailed(hook: hook.name, status: r.status, timedOut: r.timedOut, stderr: r.stderrTail)
            }
            let text = (try? String(contentsOfFile: overrides, encoding: .utf8)) ?? ""
            try context.applyOverrides(text, hook: hook.name, stage: stage)
            for o in context.overrides where o.hook == hook.name && o.stage == stage.rawValue {
                console.info("hook \(hook.name) set \(o.key)=\(o.value)")
            }
        }
    }

    public func stageDidFinish(_ stage: StageName, outcome: StageOutcome) async throws {
        var failed: [String] = []
        if stage == .extract {
            for t in pending.withLock({ p -> [Task<String?, Never>] in
                defer { p = [] }
                return p
            }) {
                if let f = await t.value { failed.append(f) }
            }
            failed += batchFailures.withLock { f -> [String] in
                defer { f = [] }
                return f
            }
        }
        let point = HookPoint(.post, stage.rawValue)
        var extra = ["QUERN_STATUS": outcome == .succeeded ? "ok" : "failed"]
        if case .failed(let error) = outcome { extra["QUERN_ERROR"] = error }
        for hook in hooks(at: point) {
            let r = try await run(hook, point: point, extra: extra)
            if r.status != 0 { failed.append("\(hook.name) (\(Self.verdict(r)))") }
        }
        guard !failed.isEmpty else { return }
        if settings.onPostFailure == .warn {
            console.warning(
                "post hook \(failed.joined(separator: ", ")) failed (hooks.on_post_failure: warn, so the run goes on).")
        } else {
            throw HookError.postFailed(hooks: failed)
        }
    }

    public func batchPublished(path relative: String) async throws {
        let path = relative.hasPrefix("/") ? relative : FileManager.default.currentDirectoryPath + "/" + relative
        let point = HookPoint(.post, "batch")
        let hooks = hooks(at: point)
        guard !hooks.isEmpty else { return }
        let work: @Sendable () async -> String? = { [self] in
            for hook in hooks {
                guard
                    let r = try? await self.run(
                        hook, point: point, extra: ["QUERN_BATCH_FILE": path, "QUERN_STATUS": "ok"])
                else { return hook.name }
                if r.status != 0 { return "\(hook.name) for \(UserPath.lastComponent(of: path)) (\(Self.verdict(r)))" }
            }
            return nil
        }
        if settings.serial {
            if let f = await work() { batchFailures.withLock { $0.append(f) } }
        } else {
            let task = Task { await work() }
            pending.withLock { $0.append(task) }
        }
    }

    public func inspectsMergedRows() -> Bool {
        !catalog.hooks(at: HookPoint(.post, "merge")).run.isEmpty
            || !catalog.hooks(at: HookPoint(.pre, "split")).run.isEmpty
    }

    private func hooks(at point: HookPoint) -> [HookCatalog.Hook] {
        let found = catalog.hooks(at: point)
        for (name, why) in found.skipped { console.warning("hook \(settings.dir)/\(name) is \(why); it was not run.") }
        return found.run
    }

    /// How a failed hook ended, for the list of failed post hooks.
    static func verdict(_ r: ChildProcess.Result) -> String {
        if let why = r.startError { return "could not run: \(why)" }
        return r.timedOut ? "timed out" : "exit \(r.status)"
    }

    private func next() -> Int {
        counter.withLock {
            $0 += 1
            return $0
        }
    }

    private func run(_ hook: HookCatalog.Hook, point: HookPoint, extra: [String: String]) async throws
        -> ChildProcess.Result
    {
        var env = environment(point: point, hook: hook.name)
        for (k, v) in extra { env[k] = v }
        let contextPath = "\(scratch)/context-\(next()).json"
        try AtomicFile.write(contextJSON(point: point, hook: hook.name, env: env), to: contextPath)
        env["QUERN_CONTEXT"] = contextPath
        let r = await ChildProcess.run(
            argv: hook.argv, env: env, name: hook.name, timeout: settings.timeout, console: console)
        if let why = r.startError {
            console.warning("hook \(hook.name) could not run: \(why)")
        } else {
            let verdict = r.timedOut ? "stopped at its \(Int(settings.timeout)) s timeout" : "exit \(r.status)"
            console.info("hook \(hook.name): \(verdict) in \(String(format: "%.2f", r.seconds)) s")
        }
        log.withLock {
            $0.append([
                "hook": hook.name, "point": point.name, "status": String(r.status), "timed_out": String(r.timedOut),
                "seconds": String(format: "%.3f", r.seconds),
            ])
        }
        return r
    }

    /// The variables every hook gets; paths are absolute.
    func environment(point: HookPoint, hook: String) -> [String: String] {
        var env = ProcessInfo.processInfo.environment
        // The plan as it stands: resolved before the run, and again after each override (an
        // override that does not resolve is refused), so there is nothing to fall back from.
        let plan = context.plan
        let e = plan.extract
        let m = plan.merge
        func abs(_ p: String) -> String { p.hasPrefix("/") ? p : FileManager.default.currentDirectoryPath + "/" + p }
        env["QUERN_STAGE"] = point.stage
        env["QUERN_WHEN"] = point.when.rawValue
        env["QUERN_HOOK"] = hook
        env["QUERN_RUN_ID"] = context.runId
        env["QUERN_DATASET"] = context.dataset
        env["QUERN_CONFIG"] = context.configPath.map(abs) ?? ""
        env["QUERN_INPUT_DIR"] = abs(e.inputDir)
        env["QUERN_INTERMEDIATE_DIR"] = abs(e.intermediateDir)
        env["QUERN_OUTPUT_DIR"] = abs(m.outputDir)
        env["QUERN_MERGE_STRATEGY"] = m.strategySpec
        env["QUERN_CODEC"] = e.codecSpec
        env["QUERN_SHARD"] = e.shard.description  // K/N, resolved (also for --shard auto); 0/1 unsharded
        if let staging = context.stagingDir { env["QUERN_STAGING_DIR"] = staging }
        return env
    }

    /// The full context as JSON: resolved config, stages so far, input files, batches, overrides.
    func contextJSON(point: HookPoint, hook: String, env: [String: String]) -> String {
        func json(_ v: ConfigValue) -> Any {
            switch v.kind {
            case .scalar(let s): return s
            case .null: return NSNull()
            case .list(let items): return items.map(json)
            case .map(let entries):
                return Dictionary(entries.map { ($0.0, json($0.1)) }, uniquingKeysWith: { _, b in b })
            }
        }
        let dir = env["QUERN_INTERMEDIATE_DIR"] ?? ""
        let journal = (try? JournalState.load(from: dir)) ?? JournalState()
        let batches: [[String: Any]] = journal.entries.keys.sorted().flatMap { k in
            journal.entries[k]!.parts.map {
                ["batch": k, "file": "\(dir)/\($0.file)", "rows": $0.rows, "bytes": $0.bytes] as [String: Any]
            }
        }
        let stages = context.stages.mapValues {
            ["status": $0.status, "seconds": $0.seconds, "error": $0.error as Any? ?? NSNull()] as [String: Any]
        }
        let object: [String: Any] = [
            "run_id": context.runId, "stage": point.stage, "when": point.when.rawValue, "hook": hook,
            "config": json(context.config), "stages": stages, "input_files": context.inputFiles, "batches": batches,
            "overrides": context.overrides.map {
                ["hook": $0.hook, "stage": $0.stage, "key": $0.key, "value": $0.value]
            },
            "environment": env.filter { $0.key.hasPrefix("QUERN_") },
        ]
        let data =
            (try? JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys]))
            ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self) + "\n"
    }
}
