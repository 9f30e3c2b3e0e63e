import ArgumentParser
import Foundation
import QuernCore
import QuernPlugins

struct MergeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract: "Turn the batch files into the final arrays: merge, split by group, normalize, save.",
        discussion: """
            Reads the batches of the intermediate folder one at a time (memory stays bounded by a batch), \
            through a merge strategy, then writes X_{train,val,test}.npy, labels_*.npz, masks_*.npz and \
            preprocessing_stats.json into a staging folder and publishes it in one step. Run it as often as \
            you like, with other strategies or seeds: it only reads the batches, and keeps them unless \
            --cleanup is given (they are deleted only after the outputs are published).

            Examples:
              quern merge --config docs/examples/games.yaml --merge-strategy shuffle --seed 7
              quern merge --config docs/examples/games.yaml --merge-strategy dedupe --cleanup
              quern merge --intermediate-dir /mnt/moved/intermediate --output-dir out

            Exit status: \(ExitStatus.table)
            """)

    @OptionGroup var configOptions: ConfigOptions
    @Option(help: ArgumentHelp("Folder of the batch files (paths.intermediate; default data/intermediate).", valueName: "dir"))
    var intermediateDir: String?
    @OptionGroup var options: MergeOptions
    @OptionGroup var hookOptions: HookOptions
    @OptionGroup var resources: ResourceOptions
    @Flag(name: .shortAndLong, help: "Only errors and the summary.")
    var quiet = false

    func run() async throws {
        let console = Console(quiet: quiet)
        do {
            let config = try configOptions.load(overrides: [("paths.intermediate", intermediateDir)] + options.overrides + hookOptions.overrides + resources.overrides)
            let settings = try MergeSettings.resolve(config)
            let runner = try makeRunner(config: config, configPath: configOptions.config, console: console)
            let summary = try await MergeStage(settings: settings, registry: .builtIn, runner: runner, console: console).run()
            printMergeSummary(summary, console: console)
        } catch {
            throw fail(error)
        }
    }
}
