import ArgumentParser
import Foundation
import QuernCore
import QuernKit

extension RunCommand {
    /// `--datasets DIR`: each dataset runs as its own `quern run` child process, one after the
    /// other, with its own folders and an effective config written to `<logs>/<name>/config.yaml`.
    /// A child process keeps one dataset's crash, memory and exit from touching the others, and its
    /// peak memory is measured on its own.
    func runDatasets(_ dir: String) async throws {
        let started = monotonicSeconds()
        let base: ConfigValue
        let session: Session
        let batch: DatasetBatch
        do {
            base = try configOptions.load(overrides: overrides, quiet: quiet || logOptions.logFormat == .json)
            session = try Session(
                command: "run --datasets", config: base, configPath: configOptions.path, options: logOptions,
                quiet: quiet, dataset: "all",
                shard: Session.shard(of: base))
            switch datasetsFrom {
            case .dirs, .files:
                batch = try DatasetBatch.discover(in: dir, files: datasetsFrom == .files, registry: CLIPlugins.registry)
            case .auto:
                // Subfolders when there are any; a folder of data files alone (a folder of .h5ad
                // files, one dataset each) makes each file a dataset.
                do {
                    batch = try DatasetBatch.discover(in: dir, files: false, registry: CLIPlugins.registry)
                } catch DatasetError.noDatasets {
                    batch = try DatasetBatch.discover(in: dir, files: true, registry: CLIPlugins.registry)
                }
            }
        } catch {
            throw fail(error)
        }
        let console = session.console
        // The config's (and the flags') own problems stop everything; each dataset's folders are
        // checked by its own run. Without --config the extractor is inferred per dataset.
        var check = Preflight(
            config: base, registry: CLIPlugins.registry, stages: skipMerge ? .extract : .all, logDir: session.log.dir)
        check.checkEnvironment = false
        check.checkExtractor = configOptions.path != nil
        let checked = check.run()
        // The datasets' folders go under the base config's: with no errors, it resolved.
        guard checked.errors.isEmpty, let plan = checked.runPlan else {
            let e = PreflightFailed(problems: checked.errors)
            session.finish(error: e)
            throw fail(e)
        }
        let extractBase = plan.extract
        let mergeBase = plan.merge
        let logBase = session.log.dir ?? plan.logDir
        console.info(
            "\(batch.datasets.count) dataset\(batch.datasets.count == 1 ? "" : "s") in \(dir): \(batch.datasets.map(\.name).joined(separator: ", "))"
        )
        for d in batch.datasets where d.note != nil { console.warning(d.note!) }
        for why in batch.skipped { console.warning(TerminalText.escape(why)) }
        session.log.event(
            "datasets", text: "\(batch.datasets.count) datasets: \(batch.datasets.map(\.name).joined(separator: ", "))",
            [
                "datasets": batch.datasets.map {
                    ["name": $0.name, "input": $0.path, "note": $0.note] as [String: any Sendable]
                },
                "skipped": batch.skipped,
            ])

        var outcomes: [DatasetBatch.Outcome] = []
        for (k, d) in batch.datasets.enumerated() {
            let logDir = "\(logBase)/\(d.name)"
            let outputDir = "\(mergeBase.outputDir)/\(d.name)"
            console.info("== dataset \(k + 1)/\(batch.datasets.count): \(d.name) (\(d.path))")
            session.log.event("dataset_started", text: "dataset \(d.name) started", ["name": d.name, "input": d.path])
            var outcome = DatasetBatch.Outcome(
                name: d.name, input: d.path, status: "failed", rows: nil, seconds: 0, peakRssBytes: 0,
                exitStatus: ExitStatus.failure, error: nil,
                stages: [:], logDir: logDir, outputDir: outputDir)
            let t0 = monotonicSeconds()
            do {
                let configPath = try prepare(
                    d, base: base, logDir: logDir, outputDir: outputDir,
                    intermediate: "\(extractBase.intermediateDir)/\(d.name)")
                if dryRun {
                    console.result("\(d.name): \(d.path) -> \(outputDir) (config \(configPath))")
                    outcome.status = "planned"
                    outcomes.append(outcome)
                    continue
                }
                var argv = [Self.executable, "run", "--config", configPath, "--dataset-name", d.name]
                if skipMerge { argv.append("--skip-merge") }
                // With --log-format json the batch's stderr carries its own events; each dataset's
                // full events stay in its events.jsonl, and its warnings arrive as message events.
                if logOptions.verbose && logOptions.logFormat == .text {
                    argv.append("--verbose")
                } else {
                    argv.append("--quiet")
                }
                // A summary left by an earlier run must not pass for this one's.
                try? FileManager.default.removeItem(atPath: "\(logDir)/\(RunLog.summaryFile)")
                // The dataset's config already holds the environment's settings; applied again they
                // would override its own folders (QUERN_PATHS_INTERMEDIATE for every dataset alike).
                let env = EnvironmentOverrides.withoutSettings(ProcessInfo.processInfo.environment)
                let r = await ChildProcess.run(argv: argv, env: env, name: d.name, timeout: 1e9, console: console)
                outcome.exitStatus = r.status
                outcome.peakRssBytes = r.peakBytes
                if let s = RunSummary.read(from: logDir), r.status == s.exitStatus {
                    outcome.status = s.status
                    outcome.rows = s.rows
                    outcome.stages = s.stages
                    outcome.error = s.error
                } else {
                    outcome.status = r.status == 0 ? "ok" : "failed"
                    outcome.error =
                        r.status == 0
                        ? nil : "quern run ended with status \(r.status)\(r.stderrTail.last.map { ": \($0)" } ?? "")"
                }
            } catch {
                // Failed before its run started (no usable input to infer a config from, say):
                // its log folder still says why.
                outcome.error = "\(error)"
                if let log = try? RunLog(dir: logDir, runId: session.log.runId, dataset: d.name) {
                    log.event("run_finished", text: "failed: \(error)", ["status": "failed", "error": "\(error)"])
                    var s = RunSummary(
                        status: "failed", dataset: d.name, runId: log.runId, command: "run --datasets",
                        exitStatus: ExitStatus.failure, seconds: 0, stages: [:])
                    s.error = "\(error)"
                    try? s.write(to: logDir)
                }
            }
            outcome.seconds = monotonicSeconds() - t0
            session.log.event(
                "dataset_finished",
                text: "dataset \(d.name): \(outcome.status)\(outcome.error.map { ": \($0)" } ?? "")",
                [
                    "name": d.name, "status": outcome.status, "rows": outcome.rows, "seconds": outcome.seconds,
                    "peak_rss_bytes": outcome.peakRssBytes,
                    "error": outcome.error,
                ])
            outcomes.append(outcome)
        }
        if dryRun {
            session.log.event(
                "run_finished", text: "dry run: \(outcomes.count) datasets planned, nothing was run",
                ["status": "dry_run", "exit_status": 0])
            return
        }
        let summary = DatasetBatch.Summary(datasets: outcomes, seconds: monotonicSeconds() - started)
        do { try summary.write(to: logBase) } catch {
            console.warning("cannot write \(logBase)/\(RunLog.summaryFile): \(error)")
        }
        console.result(summary.table + "\nsummary as JSON: \(logBase)/\(RunLog.summaryFile)")
        session.log.event(
            "run_finished", text: "\(summary.ok) of \(outcomes.count) datasets done",
            ["ok": summary.ok, "failed": summary.failed, "seconds": summary.seconds])
        if summary.failed > 0 { throw ExitCode(ExitStatus.failure) }
        if outcomes.contains(where: { $0.status == "files_failed" }) { throw ExitCode(ExitStatus.someFilesFailed) }
    }

    /// Writes the dataset's effective config: the given config (or one inferred from its files) with
    /// the command's flags and the dataset's own folders. Returns its path.
    private func prepare(
        _ d: DatasetBatch.Dataset, base: ConfigValue, logDir: String, outputDir: String, intermediate: String
    ) throws -> String {
        try FileManager.default.createDirectory(atPath: logDir, withIntermediateDirectories: true)
        var inputDir = d.path
        if d.isFile {
            // A folder holding just this file (a link to it), so the run sees one input.
            inputDir = "\(logDir)/input"
            try? FileManager.default.removeItem(atPath: inputDir)
            try FileManager.default.createDirectory(atPath: inputDir, withIntermediateDirectories: true)
            let target = d.path.hasPrefix("/") ? d.path : FileManager.default.currentDirectoryPath + "/" + d.path
            try FileManager.default.createSymbolicLink(
                atPath: "\(inputDir)/\(UserPath.lastComponent(of: d.path))", withDestinationPath: target)
        }
        var config = base
        if configOptions.path == nil {
            let starter = StarterConfig(inputDir: inputDir, registry: CLIPlugins.registry)
            let text = try starter.render(try starter.sample())
            var inferred = try YAMLLoader.parse(text, path: "\(logDir)/\(RunLog.inferredConfigFile)")
            // The command's flags still win over what was inferred.
            for (key, value) in overrides { if let value { inferred = inferred.setting(key, to: .scalar(value)) } }
            config = inferred
        }
        config = config.setting("paths.input", to: .scalar(inputDir))
            .setting("paths.intermediate", to: .scalar(intermediate))
            .setting("paths.output", to: .scalar(outputDir))
            .setting("paths.logs", to: .scalar(logDir))
        let path = "\(logDir)/\(RunLog.inferredConfigFile)"
        // The folder's name may hold anything (line breaks included): the comment escapes it.
        let header =
            YAMLWriter.comment(
                "The effective config of dataset \(d.name) (\(d.path)), written by `quern run --datasets`.") + "\n"
        try AtomicFile.write(header + YAMLWriter.write(config), to: path)
        return path
    }

    /// This executable, to run each dataset as a child.
    static var executable: String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    }
}
