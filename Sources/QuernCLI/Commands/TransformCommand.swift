import ArgumentParser
import Foundation
import QuernCore

struct TransformCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "transform",
        abstract: "Apply a finished run's extractor and fitted normalization to new input files.",
        discussion: """
            Reads what the run's merge saved in its output folder (transform.json: the schema and the \
            normalization fitted on train; quern_config.yaml: the effective config), extracts every input file \
            with the same extractor, format and missing values, and applies the same normalization, without \
            splitting and without refitting. Writes X.npy, labels.npz, masks.npz (provenance.npy with \
            save.provenance), transform_report.json and checksums.json into --output-dir, rows in file-name order \
            then line order, and publishes them as a merge publishes its outputs (only once complete; other files in \
            the folder are never touched).

            Rows the extractor rejects (a label missing or not in the config) are counted and reported, as \
            `quern run` does; a file that does not parse contributes no row and is listed (exit status 3). \
            Outputs made by a quern older than this command lack transform.json: run `quern merge` again first.

            On the run's own training files, with merge strategy concat and split fractions 1,0,0, X.npy is the \
            run's X_train.npy byte for byte.

            Examples:
              quern transform data/processed --input-dir data/new --output-dir data/new-arrays
              quern transform data/processed --input-dir incoming --output-dir scored --pattern '*.csv.gz'

            Exit status: 0 all good; 1 error (message on stderr; nothing published); 3 done, but some input \
            files failed (listed in transform_report.json); 64 bad usage.
            """)

    @Argument(
        help: ArgumentHelp(
            "Output folder of a finished run (holding transform.json and quern_config.yaml).",
            valueName: "run-output-dir"))
    var runOutputDir: String
    @Option(help: ArgumentHelp("Folder of the new input files (not searched recursively).", valueName: "dir"))
    var inputDir: String
    @Option(
        help: ArgumentHelp(
            "Folder to write X.npy, labels.npz, masks.npz into (created if needed; not the run's output folder).",
            valueName: "dir"))
    var outputDir: String
    @Option(
        help: ArgumentHelp(
            "File-name glob of the inputs (default: the run's input.pattern, else every file of a known format).",
            valueName: "glob"))
    var pattern: String?
    @Option(
        help: ArgumentHelp("Parallel workers (default: the run's extract.workers, else one per core).", valueName: "n"))
    var workers: Int?
    @Flag(name: .shortAndLong, help: "Only errors, warnings and the summary.")
    var quiet = false

    func validate() throws {
        if let workers, !(1...4096).contains(workers) {
            throw ValidationError("--workers must be 1 to 4096, not \(workers).")
        }
    }

    func run() throws {
        let console = Console(quiet: quiet)
        var stage = TransformStage(
            runDir: runOutputDir, inputDir: inputDir, outputDir: outputDir, registry: CLIPlugins.registry,
            console: console)
        stage.pattern = pattern
        stage.workers = workers ?? 0
        let summary: TransformStage.Summary
        do {
            summary = try stage.run()
        } catch {
            throw fail(error)
        }
        console.result(transformSummaryText(summary))
        let dropped = summary.rowsDropped.values.reduce(0, +)
        if dropped > 0 {
            console.warning(
                "\(Human.count(dropped)) of \(Human.count(summary.rows + dropped)) rows were rejected by the extractor and are not in \(TerminalText.escape(summary.outputDir)) "
                    + "(a label missing, or a value the run's config does not list); the counts are in \(TransformStage.reportFile)."
            )
        }
        if !summary.failed.isEmpty { throw ExitCode(ExitStatus.someFilesFailed) }
    }
}

func transformSummaryText(_ s: TransformStage.Summary) -> String {
    var lines = ["transform summary (\(TerminalText.escape(s.outputDir)))"]
    lines.append("  files:    \(Human.count(s.files - s.failed.count)) read, \(Human.count(s.failed.count)) failed")
    lines.append(
        "  rows:     \(Human.count(s.rows)) in \(OutputFolderLayout.transformX)\(s.provenance ? " (origins in \(OutputFolderLayout.transformProvenance))" : "")"
    )
    for (reason, n) in s.rowsDropped.sorted(by: { $0.key < $1.key }) {
        lines.append("  dropped rows: \(Human.count(n)) \(TerminalText.escape(reason))")
    }
    if !s.failed.isEmpty {
        lines.append("  failed files (all listed in \(TransformStage.reportFile)):")
        for f in s.failed.prefix(10) {
            lines.append(
                "    \(TerminalText.escape(f.name))\(f.line.map { ":\($0)" } ?? ""): \(TerminalText.escape(f.reason))")
        }
        if s.failed.count > 10 { lines.append("    ... and \(s.failed.count - 10) more") }
    }
    return lines.joined(separator: "\n")
}
