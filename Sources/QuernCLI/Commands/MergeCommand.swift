import ArgumentParser
import Foundation
import QuernCore
import QuernKit

struct MergeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract: "Turn the batch files into the final arrays: merge, split by group (or by row), normalize, save.",
        discussion: """
            Reads the batches of the intermediate folder one at a time (memory stays bounded by a batch), \
            through a merge strategy, then writes X_{train,val,test}.npy, labels_*.npz, masks_*.npz and \
            preprocessing_stats.json into a staging folder and publishes them once complete, replacing only \
            the files quern wrote in the output folder (other files there are never touched). Run it as often as \
            you like, with other strategies or seeds: it only reads the batches, and keeps them unless \
            --cleanup is given (they are deleted only after the outputs are published).

            Two seeds, each default 0: --split-seed (split.seed) alone decides which rows go to train, val \
            and test; --seed (merge.seed) seeds the strategy (shuffle's order, balance's choice), so \
            re-shuffling never moves a row to another split. Without a group column (extractor group:) \
            rows are split one by one, by source file and line.

            Examples:
              quern merge --config docs/examples/games.yaml --merge-strategy shuffle --seed 7
              quern merge --config docs/examples/games.yaml --merge-strategy dedupe --cleanup
              quern merge --intermediate-dir /mnt/moved/intermediate --output-dir out

            Exit status: \(ExitStatus.table)
            """)

    @OptionGroup var configOptions: ConfigOptions
    @Option(help: .setting("paths.intermediate"))
    var intermediateDir: String?
    @OptionGroup var options: MergeOptions
    @OptionGroup var hookOptions: HookOptions
    @OptionGroup var resources: ResourceOptions
    @OptionGroup var logOptions: LogOptions
    @Flag(name: .shortAndLong, help: "Only errors and the summary.")
    var quiet = false

    func run() async throws {
        let config: ConfigValue
        let session: Session
        do {
            config = try configOptions.load(
                overrides: [("paths.intermediate", intermediateDir)] + options.overrides + hookOptions.overrides
                    + resources.overrides + logOptions.overrides,
                quiet: quiet || logOptions.logFormat == .json)
            session = try Session(
                command: "merge", config: config, configPath: configOptions.path, options: logOptions, quiet: quiet)
        } catch {
            throw fail(error)
        }
        do {
            let (_, plan) = try session.preflight(config, stages: .merge)
            let summary = try await MergeStage(
                plan: plan, registry: CLIPlugins.registry, runner: session.runner, console: session.console
            ).run()
            session.report(mergeSummaryText(summary), childOfBatch: false, Session.fields(summary))
            session.finish(merge: summary)
        } catch {
            session.finish(error: error)
            throw fail(error)
        }
    }
}
