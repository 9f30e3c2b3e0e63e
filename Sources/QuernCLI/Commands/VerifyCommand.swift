import ArgumentParser
import Foundation
import QuernCore

struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Re-read the batch files and the outputs and report anything damaged or inconsistent.",
        discussion: """
            Intermediate folder: every batch file against its journal line (size, CRC-32), its members' CRCs and \
            checksum, its metadata (batch, part, rows, schema fingerprint) and shapes; batch files no journal records \
            (foreign or half-published); planned batches not yet complete.
            Output folder: every .npy header, file lengths, the row count of X, labels and masks of each split, labels \
            in range, masks 0/1, X finite, preprocessing_stats.json against all of it, and (with save.provenance) each \
            provenance_<split>.npy against X and the file and group lists.
            Each problem is printed as `file: what is wrong`. Nothing is changed.

            Without flags, both folders of the config (default data/intermediate and data/processed) are checked; \
            with --intermediate-dir or --output-dir, only the folders given.

            Examples:
              quern verify
              quern verify --intermediate-dir /scratch/mid

            Exit status: 0 everything checked is good; \(ExitStatus.verifyFailed) problems found (listed on stdout); 1 error.
            """)

    @OptionGroup var configOptions: ConfigOptions
    @Option(
        help: ArgumentHelp(
            "Intermediate folder to check (paths.intermediate; default data/intermediate).", valueName: "dir"))
    var intermediateDir: String?
    @Option(help: ArgumentHelp("Output folder to check (paths.output; default data/processed).", valueName: "dir"))
    var outputDir: String?
    @Flag(name: .shortAndLong, help: "Print only the problems.")
    var quiet = false

    func run() throws {
        var report = VerifyReport()
        do {
            let config = try configOptions.load(
                overrides: [("paths.intermediate", intermediateDir), ("paths.output", outputDir)], quiet: quiet)
            let settings = try Resolver.mergeSettings(config)
            let explicit = intermediateDir != nil || outputDir != nil
            let fm = FileManager.default
            if intermediateDir != nil || (!explicit && fm.fileExists(atPath: settings.intermediateDir)) {
                IntermediateVerifier.check(settings.intermediateDir, registry: CLIPlugins.registry, into: &report)
            }
            if outputDir != nil || (!explicit && fm.fileExists(atPath: settings.outputDir)) {
                OutputVerifier.check(settings.outputDir, into: &report)
            }
            if !explicit && report.checked.isEmpty && report.ok {
                report.problem(
                    settings.intermediateDir,
                    "neither it nor \(settings.outputDir) exists: pass --intermediate-dir or --output-dir")
            }
        } catch {
            throw fail(error)
        }
        var lines: [String] = []
        if !quiet { lines += report.checked.map { "checked \($0)" } + report.notes.map { "note: \($0)" } }
        lines += report.problems.map { "problem: \($0)" }
        lines.append(
            report.ok
                ? "verify: no problems"
                : "verify: \(report.problems.count) problem\(report.problems.count == 1 ? "" : "s") found")
        print(lines.joined(separator: "\n"))
        if !report.ok { throw ExitCode(ExitStatus.verifyFailed) }
    }
}
