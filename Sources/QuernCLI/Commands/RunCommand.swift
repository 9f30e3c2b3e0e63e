import ArgumentParser
import Foundation
import QuernCore
import QuernKit

struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "The whole pipeline: extract, then merge (split, normalize, save), in one command.",
        discussion: """
            Takes every flag of `quern extract` and `quern merge`. Crash anywhere and run it again: extract \
            resumes from its journal, and the merge only publishes complete outputs.
            --skip-merge stops after the batches and prints the `quern merge` command that finishes the job.
            --cleanup deletes the batch files once the outputs are published (default: keep them, so the merge \
            can be re-run with another strategy).
            Before any work, pre-flight checks the config, plugins, folders, disk and hooks and lists every \
            problem (`quern validate` runs the same checks alone); --dry-run prints the plan and stops.

            Several datasets: --datasets DIR treats each subfolder of DIR (or, in a folder without \
            subfolders, each data file; --datasets-from dirs|files forces one) as its own dataset, with its own <intermediate>/<name>, <output>/<name> and <logs>/<name>. \
            Names are sanitized ("my dataset.csv" -> my_dataset, "sales.2023.csv.gz" -> sales_2023: a file \
            loses only an input format's extension and a compression one). A failed dataset does not stop the others; \
            a summary table ends the run, and <logs>/summary.json holds it as JSON. Without --config, each \
            dataset gets a starter config inferred as `quern init` does (kept in <logs>/<name>/config.yaml).

            Examples:
              quern run --config docs/examples/games.yaml --input-dir data/input
              quern run --config docs/examples/games.yaml --datasets data/many --dry-run

            Exit status: \(ExitStatus.table) With --datasets: 1 when any dataset failed.
            """)

    @OptionGroup var configOptions: ConfigOptions
    @OptionGroup var extract: ExtractOptions
    @OptionGroup var merge: MergeOptions
    @OptionGroup var hookOptions: HookOptions
    @OptionGroup var resources: ResourceOptions
    @OptionGroup var logOptions: LogOptions
    @Flag(help: "Stop after the batch files; print the `quern merge` command that finishes.")
    var skipMerge = false
    @Flag(name: .shortAndLong, help: "Only errors and the summaries.")
    var quiet = false
    @Flag(help: "Check everything and print the plan (files, batches, stages, hooks), then stop without running.")
    var dryRun = false
    @Option(
        help: ArgumentHelp(
            "Process each subfolder (or file, see --datasets-from) of this folder as a separate dataset.",
            valueName: "dir"))
    var datasets: String?
    @Option(
        help: ArgumentHelp(
            "With --datasets: dirs (each subfolder is a dataset), files (each file is one), or auto: subfolders when DIR has any, otherwise its files.",
            valueName: "kind"))
    var datasetsFrom: DatasetSource = .auto
    @Option(help: .hidden)
    var datasetName: String?

    func validate() throws {
        if datasets != nil && extract.inputDir != nil {
            throw ValidationError(
                "--datasets and --input-dir exclude each other: --datasets DIR takes each subfolder of DIR as an input folder."
            )
        }
        if let name = datasetName, name != DatasetNames.sanitize(name) {
            throw ValidationError("--dataset-name must be a sanitized name (letters, digits, - and _), not '\(name)'.")
        }
    }

    var overrides: [(String, String?)] {
        extract.overrides + merge.overrides + hookOptions.overrides + resources.overrides + logOptions.overrides
    }

    func run() async throws {
        if let datasets {
            try await runDatasets(datasets)
            return
        }
        let config: ConfigValue
        let session: Session
        do {
            config = try configOptions.load(overrides: overrides, quiet: quiet || logOptions.logFormat == .json)
            // A dataset of a batch run logs where the batch says: the batch's own folder is
            // already the shard's.
            session = try Session(
                command: "run", config: config, configPath: configOptions.path, options: logOptions, quiet: quiet,
                dataset: datasetName ?? "default",
                shard: datasetName == nil ? Session.shard(of: config) : .whole)
        } catch {
            throw fail(error)
        }
        let console = session.console
        var extractSummary: ExtractStage.Summary? = nil
        var mergeSummary: MergeStage.Summary? = nil
        do {
            let (report, plan) = try session.preflight(config, stages: skipMerge ? .extract : .all)
            if dryRun {
                printPlan(
                    report,
                    stages: skipMerge
                        ? [.discover, .extract] : [.discover, .extract, .merge, .split, .normalize, .save],
                    console: console)
                session.log.event(
                    "run_finished", text: "dry run: the plan was printed, nothing was run",
                    ["status": "dry_run", "exit_status": 0])
                return
            }
            // One plan for both: every plugin was built and checked by pre-flight, before hours
            // of extraction.
            let runner = session.runner
            let extractStage = ExtractStage(plan: plan, registry: CLIPlugins.registry, runner: runner, console: console)
            let mergeStage = MergeStage(plan: plan, registry: CLIPlugins.registry, runner: runner, console: console)
            _ = try extractStage.plugins()
            try await runner.run(.run) { () async throws in
                let s = try await extractStage.run()
                extractSummary = s
                session.report(extractSummaryText(s), childOfBatch: datasetName != nil, Session.fields(s))
                if skipMerge {
                    let extractSettings = plan.extract
                    let mergeSettings = plan.merge
                    var command = "quern merge"
                    if let c = configOptions.path { command += " --config \(c)" }
                    command +=
                        " --intermediate-dir \(extractSettings.intermediateDir) --output-dir \(mergeSettings.outputDir)"
                    if mergeSettings.strategySpec != "concat" {
                        command += " --merge-strategy \(mergeSettings.strategySpec)"
                    }
                    console.result("batches are in \(extractSettings.intermediateDir); to finish, run:\n  \(command)")
                    return
                }
                let m = try await mergeStage.run()
                mergeSummary = m
                session.report(mergeSummaryText(m), childOfBatch: datasetName != nil, Session.fields(m))
            }
        } catch {
            session.finish(error: error, extract: extractSummary, merge: mergeSummary)
            throw fail(error)
        }
        let summary = session.finish(extract: extractSummary, merge: mergeSummary)
        if summary.exitStatus != ExitStatus.ok { throw ExitCode(summary.exitStatus) }
    }
}

/// Where the datasets of `--datasets DIR` come from.
enum DatasetSource: String, ExpressibleByArgument, CaseIterable {
    case auto, dirs, files
}

/// `--dry-run`: what would run, from what pre-flight learned.
func printPlan(_ report: PreflightReport, stages: [StageName], console: Console) {
    let p = report.plan
    var lines = ["plan (dry run: nothing was run)"]
    if !p.inputDir.isEmpty && stages.contains(.extract) {
        lines.append(
            "  input:    \(p.inputDir): \(Human.count(p.inputFiles.count)) files, \(Human.bytes(p.inputBytes))")
        for f in p.inputFiles.prefix(5) { lines.append("              \(f.name) (\(Human.bytes(f.size)))") }
        if p.inputFiles.count > 5 { lines.append("              ... and \(Human.count(p.inputFiles.count - 5)) more") }
        lines.append(
            "  batches:  \(Human.count(p.batches)) of up to \(Human.count(p.filesPerBatch)) files in \(p.intermediateDir) (\(Human.count(p.journaledBatches)) already done there), codec \(p.codec)"
        )
        lines.append("  extract:  extractor \(p.extractor)")
    }
    if stages.contains(.merge) { lines.append("  merge:    strategy \(p.strategy) -> \(p.outputDir)") }
    lines.append("  stages:   " + stages.map(\.rawValue).joined(separator: " -> "))
    if p.hooks.isEmpty {
        lines.append("  hooks:    none")
    } else {
        lines.append("  hooks:")
        for (point, names) in p.hooks { lines.append("    \(point): \(names.joined(separator: ", "))") }
    }
    let free = p.freeBytes.map { ", \(Human.bytes($0)) free" } ?? ""
    lines.append("  disk:     about \(Human.bytes(p.estimatedBytes)) needed\(free)")
    if !p.logDir.isEmpty { lines.append("  logs:     \(p.logDir)") }
    for w in report.warnings { lines.append("  warning:  \(w.message)") }
    console.result(lines.joined(separator: "\n"))
}
