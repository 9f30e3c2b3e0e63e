import ArgumentParser
import Foundation
import Logging
import QuernCore
import QuernKit

/// The console, the log and the stage runner of one invocation of run, extract or merge, and what
/// it ends with: a `run_finished` event, `summary.json` and the summary lines. The stage runner is
/// made by ``preflight(_:stages:)``, once the config is known to be sound.
final class Session {
    let console: Console
    let log: RunLog
    private(set) var runner = StageRunner()
    let configPath: String?
    let command: String
    let verbose: Bool
    let started = monotonicSeconds()

    /// `shard`: the extract shard this process is; shard K of N (N > 1) logs to its own
    /// `shard-K-of-N` subfolder (``RunLog/folder(base:shard:)``).
    init(
        command: String, config: ConfigValue, configPath: String?, options: LogOptions, quiet: Bool,
        dataset: String = "default", shard: Shard = .whole
    ) throws {
        self.command = command
        verbose = options.verbose
        let dir = RunLog.folder(base: Resolver.logDir(config), shard: shard)
        let json = options.logFormat == .json
        let log = try RunLog(dir: dir, runId: RunContext.newRunId(), dataset: dataset, toStderr: json)
        var handlers: [any LogHandler] = [RunLogHandler(log: log, level: .debug)]
        if !json {
            var c = ConsoleLogHandler()
            c.logLevel = quiet ? .warning : options.verbose ? .debug : .info
            handlers.insert(c, at: 0)
        }
        // In json mode stderr carries the events only, so no progress bar either.
        console = Console(quiet: quiet || json, logHandler: MultiplexLogHandler(handlers))
        self.log = log
        self.configPath = configPath
        log.event(
            "run_started", text: "quern \(QuernVersion.current) \(command) started (run \(log.runId))",
            [
                "version": QuernVersion.current, "command": command, "argv": Array(CommandLine.arguments.dropFirst()),
                "config": configPath,
                "cwd": FileManager.default.currentDirectoryPath,
            ])
    }

    /// The shard `config` asks for, for the log folder. A shard that does not resolve (`auto`
    /// outside a scheduler, a bad K/N) logs as a whole run: pre-flight reports the error, in that log.
    static func shard(of config: ConfigValue) -> Shard {
        (try? Resolver.shard(of: config, environment: ProcessInfo.processInfo.environment))?.shard ?? .whole
    }

    /// Runs pre-flight: warnings go to the console, errors stop the run before any work. Then makes
    /// the stage runner (log observer, hooks) around the plan the config resolved into, which is
    /// returned with the report.
    func preflight(_ config: ConfigValue, stages: Preflight.Stages) throws -> (report: PreflightReport, plan: RunPlan) {
        let report = Preflight(config: config, registry: CLIPlugins.registry, stages: stages, logDir: log.dir).run()
        // Hook warnings are left to the hook observer, which gives them when the hooks would run.
        for w in report.warnings where w.area != "hooks" { console.warning(w.message) }
        log.event(
            "preflight",
            text: report.errors.isEmpty ? "pre-flight ok" : "pre-flight found \(report.errors.count) problem(s)",
            [
                "errors": report.errors.map(\.description), "warnings": report.warnings.map(\.description),
                "input_files": report.plan.inputFiles.count,
            ])
        guard report.errors.isEmpty, let plan = report.runPlan else { throw PreflightFailed(problems: report.errors) }
        var runner = makeRunner(
            plan: plan, resolver: Resolver(registry: CLIPlugins.registry), configPath: configPath, console: console,
            log: log)
        if verbose && log.toStderr == false { runner.observers.insert(VerboseObserver(console: console), at: 0) }
        self.runner = runner
        return (report, plan)
    }

    /// A stage's summary lines: on stdout and in the log. A dataset of a batch run keeps them to its
    /// log unless --verbose, so the batch's console stays one table.
    func report(_ text: String, childOfBatch: Bool, _ fields: [String: any Sendable] = [:]) {
        var all = fields
        all["text"] = text
        log.event("summary", text: text, all)
        if !childOfBatch || verbose { console.result(text) }
    }

    /// The counts of an extract, for its `summary` event.
    static func fields(_ s: ExtractStage.Summary) -> [String: any Sendable] {
        [
            "kind": "extract", "files_ok": s.filesOK, "files_failed": s.failed.count,
            "records_failed": s.failedRecords.count,
            "files_skipped": s.skippedInputs.count, "rows": s.rows,
            "batches": s.batches,
            "batches_made": s.batchesMade, "batches_kept": s.batchesKept, "bytes": s.bytes, "seconds": s.seconds,
            "peak_rss_bytes": s.peakBytes, "skipped_rows": s.skippedRows, "fingerprint": s.fingerprint,
        ]
    }

    /// The counts of a merge, for its `summary` event.
    static func fields(_ s: MergeStage.Summary) -> [String: any Sendable] {
        [
            "kind": "merge", "strategy": s.strategy, "rows_in": s.report.rowsIn, "rows_out": s.report.rowsOut,
            "dropped": s.report.dropped,
            "train": s.splits[0], "val": s.splits[1], "test": s.splits[2], "batches": s.batches, "seconds": s.seconds,
            "peak_rss_bytes": s.peakBytes,
        ]
    }

    /// Logs the end of the run, writes summary.json and prints the stage timings.
    @discardableResult
    func finish(error: (any Error)? = nil, extract: ExtractStage.Summary? = nil, merge: MergeStage.Summary? = nil)
        -> RunSummary
    {
        // An invalid record (a game with an illegal move) is input that failed too, though its
        // file's other records were kept.
        let failedFiles = extract.map { !$0.failed.isEmpty || !$0.failedRecords.isEmpty } ?? false
        let status = error != nil ? "failed" : failedFiles ? "files_failed" : "ok"
        let exit = error != nil ? ExitStatus.failure : failedFiles ? ExitStatus.someFilesFailed : ExitStatus.ok
        var s = RunSummary(
            status: status, dataset: log.dataset, runId: log.runId, command: command, exitStatus: exit,
            seconds: monotonicSeconds() - started,
            stages: runner.context?.stages ?? [:])
        s.error = error.map { SystemError.message($0) }
        if let extract {
            s.rowsExtracted = extract.rows
            s.filesOK = extract.filesOK
            s.filesFailed = extract.failed.count
            s.filesSkipped = extract.skippedInputs.count
            s.batches = extract.batches
        }
        if let merge {
            s.rowsOut = merge.splits.reduce(0, +)
            s.outputDir = merge.outputDir
            if !merge.warnings.isEmpty { s.warnings = merge.warnings }
        }
        // Dropped rows are never silent: the last warning of the run, and in summary.json. The
        // merge counts every batch; an extract alone, its own.
        if let dropped = merge?.rowsDropped ?? extract?.skippedRows {
            s.rowsDropped = dropped
            let kept = merge.map { $0.report.rowsIn } ?? extract?.rows ?? 0
            if let text = DroppedRows.warning(dropped, kept: kept) { console.warning(text) }
        }
        if let dir = log.dir {
            do { try s.write(to: dir) } catch { console.warning("cannot write \(dir)/\(RunLog.summaryFile): \(error)") }
        }
        log.event(
            "run_finished",
            text:
                "\(status) in \(Human.duration(s.seconds)), peak memory \(Human.bytes(s.peakRssBytes))\(s.error.map { ": \($0)" } ?? "")",
            [
                "status": status, "exit_status": Int(exit), "seconds": s.seconds, "peak_rss_bytes": s.peakRssBytes,
                "rows": s.rows, "error": s.error,
                "stages": s.stages.mapValues {
                    ["status": $0.status, "seconds": $0.seconds, "peak_rss_bytes": $0.peakRssBytes]
                        as [String: any Sendable]
                }
                    as [String: any Sendable],
            ])
        if error == nil, !s.stages.isEmpty, log.dataset == "default" || verbose {
            console.result(
                "stages: \(s.stageLine); peak memory \(Human.bytes(s.peakRssBytes))\(log.dir.map { "; log in \($0)" } ?? "")"
            )
        }
        return s
    }
}

/// With --verbose: a console line as each stage starts and ends.
struct VerboseObserver: StageObserver {
    let console: Console

    func stageWillStart(_ stage: StageName) async throws { console.debug("== \(stage.rawValue)") }

    func stageDidFinish(_ stage: StageName, outcome: StageOutcome) async throws {
        let verdict = outcome == .succeeded ? "ok" : "failed"
        console.debug("== \(stage.rawValue) \(verdict); peak memory so far \(Human.bytes(peakResidentBytes()))")
    }
}
