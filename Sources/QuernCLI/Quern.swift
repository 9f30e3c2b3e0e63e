import ArgumentParser
import CQuernSys
import Foundation
import QuernCore

struct Quern: AsyncParsableCommand {
    /// Named after the executable that runs it (`quern`, or a team's own `team-quern`), so usage
    /// lines and "see --help" hints name the command the user typed.
    static var configuration: CommandConfiguration {
        CommandConfiguration(
            commandName: invokedName,
            abstract:
                "Turn thousands of raw data files into training-ready arrays, in bounded memory, without losing work.",
            discussion: """
                Stages: discover -> extract (parallel, per file) -> batch files (compressed, kept on disk) -> merge -> split -> normalize -> save.
                Start with `quern plugins` to see the extractors, merge strategies, codecs and input formats, and docs/examples/games.yaml for a config.

                Exit status: \(ExitStatus.table)
                """,
            version: QuernVersion.current,
            subcommands: [
                RunCommand.self, ExtractCommand.self, MergeCommand.self, SlurmCommand.self, CompareCommand.self,
                VerifyCommand.self, ValidateCommand.self,
                InitCommand.self,
                HooksCommand.self, TransformCommand.self, PluginsCommand.self, GenerateCommand.self,
                InspectCommand.self, ExportCommand.self,
            ])
    }

    /// The executable's file name as it was started (`quern` when it cannot be told).
    static let invokedName: String = {
        let name = CommandLine.arguments.first.map { UserPath.lastComponent(of: $0) } ?? ""
        return name.isEmpty ? "quern" : name
    }()
}

/// Exit statuses, documented in `--help` and the README.
enum ExitStatus {
    /// Everything done.
    static let ok: Int32 = 0
    /// An error stopped the work (message on stderr); completed batches are kept.
    static let failure: Int32 = 1
    /// Done, but some input files failed and were skipped (see failed.jsonl).
    static let someFilesFailed: Int32 = 3
    /// `quern verify` found problems (listed on stdout).
    static let verifyFailed: Int32 = 2
    /// The extract stopped before a batch that would pass `extract.budget` (finished batches kept).
    static let budgetReached: Int32 = 4
    /// A usage error (bad flag or value), from the argument parser.
    static let usage: Int32 = 64

    static let table =
        "0 all good; 1 error (message on stderr, finished batches kept); 2 `quern verify` found problems; 3 done, but some input files failed (listed in \(IntermediateFolderLayout.failed)); 4 stopped at the budget (extract.budget; finished batches kept: raise it and run again); 64 bad usage."
}

/// Prints an error the way quern does: its message, never a Swift dump, then exits 1 (64 for bad usage).
func fail(_ error: any Error) -> ExitCode {
    // A bad flag value found after parsing (``FlagValues``) is still bad usage.
    if let usage = error as? ValidationError {
        FileHandle.standardError.write(
            Data("error: \(TerminalText.escape(usage.message, keepingNewlines: true))\n".utf8))
        return ExitCode(ExitStatus.usage)
    }
    let text = TerminalText.escape(SystemError.message(error), keepingNewlines: true)
    // Config errors already start with `file:line:column: error:`, as compilers print them.
    let line = text.contains(": error: ") || text.hasPrefix("error: ") ? text : "error: \(text)"
    FileHandle.standardError.write(Data((line + "\n").utf8))
    return ExitCode(error is BudgetReached ? ExitStatus.budgetReached : ExitStatus.failure)
}
