import ArgumentParser
import Foundation
import QuernCore

struct InitCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Write a commented starter config (to stdout) from a sample of the input files.",
        discussion: """
            Reads up to --sample-files files (spread over the folder) and --sample-rows rows of each, then \
            writes a config that runs as it is: numeric columns, categorical columns with the values seen \
            (when there are few; text columns with many values are listed with a hint to use the hashed \
            extractor), fixed-width 0/1 columns as masks, the missing-value tokens seen, the label and group \
            columns you name, and defaults for batches, split and normalization.

            Example:
              quern init --input-dir data/input --label action --group game_id > quern.yaml
              quern run --config quern.yaml
            """)

    @Option(help: ArgumentHelp("Folder of the input files to sample.", valueName: "dir"))
    var inputDir: String
    @Option(help: ArgumentHelp("Column to predict (becomes a label head).", valueName: "column"))
    var label: String?
    @Option(
        help: ArgumentHelp("Column whose rows must stay in one split (a game, a user, a patient).", valueName: "column")
    )
    var group: String?
    @Option(help: ArgumentHelp("Most files to sample.", valueName: "n"))
    var sampleFiles = 20
    @Option(help: ArgumentHelp("Most rows to read from each sampled file.", valueName: "n"))
    var sampleRows = 5000
    @Option(
        help: ArgumentHelp(
            "Read every file as this format, with options (csv:delimiter=;, tsv:quoting=true), and write it into the config. Without it, extensions choose, and the separator of .csv/.tsv files (, ; tab |) is found from the sample.",
            valueName: "format"))
    var format: String?

    func validate() throws {
        guard sampleFiles > 0, sampleRows > 0 else {
            throw ValidationError("--sample-files and --sample-rows must be at least 1.")
        }
        _ = try formatChoice()
    }

    /// `--format`, checked against the format's options.
    func formatChoice() throws -> FormatChoice? {
        guard let format else { return nil }
        do {
            let choice = try FormatChoice.resolve(.scalar(format))
            _ = try Resolver(registry: CLIPlugins.registry).format(choice)
            return choice.isAuto ? nil : choice
        } catch {
            throw ValidationError("--format: \(error)")
        }
    }

    func run() async throws {
        do {
            var starter = StarterConfig(inputDir: inputDir, label: label, group: group, registry: CLIPlugins.registry)
            starter.sampleFiles = sampleFiles
            starter.sampleRows = sampleRows
            starter.format = try formatChoice()
            let sample = try starter.sample()
            let text = try starter.render(sample)
            // What is printed must pass the same checks as a hand-written config.
            let config = try YAMLLoader.parse(text, path: "(generated config)")
            var check = Preflight(config: config, registry: CLIPlugins.registry)
            check.checkEnvironment = false
            if let problem = check.run().errors.first {
                throw ValidationError(
                    "the generated config does not pass its own checks (a bug in quern init): \(problem)")
            }
            print(text, terminator: "")
            FileHandle.standardError.write(
                Data(
                    "sampled \(sample.files.count) of \(sample.filesTotal) files (\(Human.count(sample.rows)) rows, \(sample.columns.count) columns); check the config, then `quern run --config FILE`.\n"
                        .utf8))
        } catch {
            throw fail(error)
        }
    }
}
