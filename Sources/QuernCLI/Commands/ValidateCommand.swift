import ArgumentParser
import Foundation
import QuernCore
import QuernKit

struct ValidateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check a config and its surroundings without running anything; list every problem at once.",
        discussion: """
            Checks config keys and types (with "did you mean"), contradictory settings (fractions that do not \
            sum to 1, a mask width of 0, a mask naming an unknown label head), plugin names and options, that \
            the input folder exists and holds matching files, that the output folders can be written, free \
            disk for a rough estimate of batches plus outputs, that hooks are executable, and that batches \
            already in the intermediate folder have the schema this config makes. `run`, `extract` and \
            `merge` run the same checks before any work.

            Every problem that would stop `quern run` is an error (exit 1), a missing input folder included: \
            validate passes only where run would start. For a config meant for another machine, --config-only \
            checks the config and plugins alone (problems with the surroundings become warnings). --strict also \
            fails on warnings (a hook that will not run, say).

            Examples:
              quern validate --config docs/examples/games.yaml
              quern validate --config quern.yaml --input-dir /data/raw --strict
              quern validate --config quern.yaml --config-only   # the config alone, for another machine

            Config keys, by section (a flag sets the same key; `extractor:` holds `name` and the \
            chosen extractor's options, which `quern plugins` lists):
            \(Setting.all.map { "  " + $0.keyHelp }.joined(separator: "\n"))
            """)

    @OptionGroup var configOptions: ConfigOptions
    @OptionGroup var extract: ExtractOptions
    @OptionGroup var merge: MergeOptions
    @OptionGroup var hookOptions: HookOptions
    @Option(
        help: ArgumentHelp(
            "Folder of the run logs to check (paths.logs; default: logs beside the intermediate folder, data/logs for data/intermediate).",
            valueName: "dir"))
    var logDir: String?
    @Flag(help: "Also fail (exit 1) on warnings: hooks that will not run, input a pre-run hook may still fix.")
    var strict = false
    @Flag(
        help:
            "Check only the config and plugins (for a config meant for another machine): problems with the input, folders, disk, hooks or existing batches are warnings."
    )
    var configOnly = false

    static let configAreas: Set<String> = ["config", "plugins"]

    func run() async throws {
        let config: ConfigValue
        do {
            config = try configOptions.load(
                overrides: extract.overrides + merge.overrides + hookOptions.overrides + [("paths.logs", logDir)])
        } catch {
            throw fail(error)
        }
        let logs = Resolver.logDir(config)
        let report = Preflight(config: config, registry: CLIPlugins.registry, stages: .all, logDir: logs).run()
        var errors = 0
        var warnings = 0
        for p in report.problems {
            // What stops `run` stops validate: every error, unless only the config is checked.
            let fatal = strict || (!p.isWarning && (!configOnly || Self.configAreas.contains(p.area)))
            let shown = fatal ? p : PreflightProblem(p.area, p.message, warning: true)
            if fatal { errors += 1 } else { warnings += 1 }
            FileHandle.standardError.write(Data((shown.description + "\n").utf8))
        }
        let name = configOptions.path ?? "the defaults"
        let plan = report.plan
        if errors > 0 {
            FileHandle.standardError.write(
                Data(
                    "\(name): \(errors) error\(errors == 1 ? "" : "s")\(warnings > 0 ? " and \(warnings) warning\(warnings == 1 ? "" : "s")" : ""); fix them before running.\n"
                        .utf8))
            throw ExitCode(ExitStatus.failure)
        }
        var line = "\(name): config ok (extractor \(plan.extractor), codec \(plan.codec), strategy \(plan.strategy))"
        if !plan.inputFiles.isEmpty {
            line +=
                "; \(Human.count(plan.inputFiles.count)) input files in \(plan.inputDir), \(Human.count(plan.batches)) batches"
        }
        if warnings > 0 {
            line +=
                "; \(warnings) warning\(warnings == 1 ? "" : "s") above\(configOnly ? " (with --config-only, problems that would stop `quern run` here are warnings)" : "")"
        }
        print(line)
    }
}
