import ArgumentParser
import Foundation
import QuernCore
import QuernPlugins

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

            Example:
              quern run --config docs/examples/games.yaml --input-dir data/input

            Exit status: \(ExitStatus.table)
            """)

    @OptionGroup var configOptions: ConfigOptions
    @OptionGroup var extract: ExtractOptions
    @OptionGroup var merge: MergeOptions
    @OptionGroup var hookOptions: HookOptions
    @OptionGroup var resources: ResourceOptions
    @Flag(help: "Stop after the batch files; print the `quern merge` command that finishes.")
    var skipMerge = false
    @Flag(name: .shortAndLong, help: "Only errors and the summaries.")
    var quiet = false

    func run() async throws {
        let console = Console(quiet: quiet)
        let extractSummary: ExtractStage.Summary
        do {
            let config = try configOptions.load(overrides: extract.overrides + merge.overrides + hookOptions.overrides + resources.overrides)
            let extractSettings = try ExtractSettings.resolve(config)
            let mergeSettings = try MergeSettings.resolve(config)
            let runner = try makeRunner(config: config, configPath: configOptions.config, console: console)
            let extractStage = ExtractStage(settings: extractSettings, registry: .builtIn, runner: runner, console: console)
            let mergeStage = MergeStage(settings: mergeSettings, registry: .builtIn, runner: runner, console: console)
            // Every plugin name and option is checked before hours of extraction.
            _ = try extractStage.resolvePlugins()
            _ = try mergeStage.resolveStrategy()
            extractSummary = try await runner.run(.run) { () async throws -> ExtractStage.Summary in
                let s = try await extractStage.run()
                printExtractSummary(s, console: console)
                if skipMerge {
                    var command = "quern merge"
                    if let c = configOptions.config { command += " --config \(c)" }
                    command += " --intermediate-dir \(extractSettings.intermediateDir) --output-dir \(mergeSettings.outputDir)"
                    if mergeSettings.strategySpec != "concat" { command += " --merge-strategy \(mergeSettings.strategySpec)" }
                    console.result("batches are in \(extractSettings.intermediateDir); to finish, run:\n  \(command)")
                    return s
                }
                let m = try await mergeStage.run()
                printMergeSummary(m, console: console)
                return s
            }
        } catch {
            throw fail(error)
        }
        if !extractSummary.failed.isEmpty { throw ExitCode(ExitStatus.someFilesFailed) }
    }
}
