import ArgumentParser
import Foundation
import QuernCore
import QuernKit

struct ExtractCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "extract",
        abstract: "Read the input files and write compressed, checksummed batch files (resumable).",
        discussion: """
            Files are sorted by name and grouped into batches of --files-per-batch files. Each batch becomes one file \
            in the intermediate folder (batch_000000.npz, ...), written atomically and recorded in journal.jsonl. \
            Run the same command again to resume: complete batches are kept, the rest is redone. New input files go \
            into new batches; a changed or vanished file gets its batch redone. Files that fail to parse are skipped \
            whole and listed in failed.jsonl with the line and reason; a record an extractor finds invalid on its \
            own (hex: a game with an illegal move) is listed there by line, and its file's other records are kept. \
            Extract never deletes batch files.

            Example:
              quern extract --config docs/examples/games.yaml --input-dir data/input --codec zstd

            Exit status: \(ExitStatus.table)
            """)

    @OptionGroup var configOptions: ConfigOptions
    @OptionGroup var options: ExtractOptions
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
                overrides: options.overrides + hookOptions.overrides + resources.overrides + logOptions.overrides,
                quiet: quiet || logOptions.logFormat == .json
            )
            session = try Session(
                command: "extract", config: config, configPath: configOptions.path, options: logOptions, quiet: quiet,
                shard: Session.shard(of: config))
        } catch {
            throw fail(error)
        }
        let summary: ExtractStage.Summary
        do {
            let (_, plan) = try session.preflight(config, stages: .extract)
            let stage = ExtractStage(
                plan: plan, registry: CLIPlugins.registry, runner: session.runner, console: session.console)
            summary = try await stage.run()
        } catch {
            session.finish(error: error)
            throw fail(error)
        }
        session.report(extractSummaryText(summary), childOfBatch: false, Session.fields(summary))
        let s = session.finish(extract: summary)
        if s.exitStatus != ExitStatus.ok { throw ExitCode(s.exitStatus) }
    }

}

/// What an extract did, as the lines printed at its end.
func extractSummaryText(_ s: ExtractStage.Summary) -> String {
    var lines = ["extract summary (\(s.intermediateDir), schema \(s.fingerprint))"]
    let skipped =
        s.skippedInputs.isEmpty
        ? ""
        : ", \(Human.count(s.skippedInputs.count)) skipped (not regular files, or names that are not UTF-8: named in the warnings above)"
    lines.append("  files:    \(Human.count(s.filesOK)) processed, \(Human.count(s.failed.count)) failed\(skipped)")
    lines.append("  rows:     \(Human.count(s.rows))")
    lines.append(
        "  batches:  \(Human.count(s.batches)) (\(s.batchesMade) made now, \(s.batchesKept) kept from before), \(Human.bytes(s.bytes))"
    )
    lines.append(
        "  time:     \(Human.duration(s.seconds)), \(Human.count(Int(Double(s.rows) / max(s.seconds, 1e-6)))) rows/s; peak memory \(Human.bytes(s.peakBytes))"
    )
    if let spent = s.spent {
        let budget = s.budget.map { " of the budget \(BudgetReached.amount($0))" } ?? ""
        lines.append(
            "  spent:    \(BudgetReached.amount(spent))\(budget) (the records' reported costs, in the journal)")
    }
    for (reason, n) in s.skippedRows.sorted(by: { $0.key < $1.key }) {
        lines.append("  skipped rows: \(Human.count(n)) \(reason)")
    }
    for (note, n) in s.notes.sorted(by: { $0.key < $1.key }) { lines.append("  note: \(Human.count(n)) \(note)") }
    if !s.failed.isEmpty {
        lines.append("  failed files (all listed in \(s.intermediateDir)/\(IntermediateFolderLayout.failed)):")
        for f in s.failed.prefix(10) {
            lines.append(
                "    \(TerminalText.escape(f.file))\(f.line.map { ":\($0)" } ?? ""): \(TerminalText.escape(f.reason))")
        }
        if s.failed.count > 10 { lines.append("    ... and \(s.failed.count - 10) more") }
    }
    if !s.failedRecords.isEmpty {
        lines.append(
            "  failed records (\(Human.count(s.failedRecords.count)), other records of their files kept; all listed in \(s.intermediateDir)/\(IntermediateFolderLayout.failed)):"
        )
        for f in s.failedRecords.prefix(10) {
            lines.append(
                "    \(TerminalText.escape(f.file))\(f.line.map { ":\($0)" } ?? ""): \(TerminalText.escape(f.reason))")
        }
        if s.failedRecords.count > 10 { lines.append("    ... and \(s.failedRecords.count - 10) more") }
    }
    return lines.joined(separator: "\n")
}
