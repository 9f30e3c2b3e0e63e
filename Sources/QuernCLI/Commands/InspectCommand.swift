import ArgumentParser
import Foundation
import QuernCore

struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Show what a batch file, an intermediate folder or an output folder holds.",
        discussion: """
            Prints the arrays (dtype and shape), the codec, rows and files, the checksum status, the schema \
            fingerprint and, with --head N, the first N rows (in an intermediate folder or a batch file with the \
            source file, line and group of each row). Checksums are checked as `quern verify` checks them: every \
            batch file against its journal line and its own checksums, every output file against checksums.json. \
            Nothing is changed.

            Examples:
              quern inspect data/intermediate/batch_000000.npz --head 3
              quern inspect data/intermediate
              quern inspect data/processed --json

            Exit status: 0 read, checksums good (or not checked); \(ExitStatus.verifyFailed) damage found (listed); \
            1 error; 64 bad usage.
            """)

    @Argument(
        help: ArgumentHelp("A batch file (batch_*.npz), an intermediate folder or an output folder.", valueName: "path")
    )
    var path: String
    @Option(help: ArgumentHelp("Show the first N rows (of each split, for an output folder).", valueName: "n"))
    var head = 0
    @Flag(help: "Print JSON instead of a table (all files and every value of the rows shown).")
    var json = false
    @Flag(
        help:
            "Do not read every byte to check the checksums (quicker on large folders); a batch file is always checked.")
    var noChecksums = false

    func validate() throws {
        guard (0...100_000).contains(head) else {
            throw ValidationError("--head \(head): give a number of rows from 0 to 100000.")
        }
    }

    func run() throws {
        let inspection: Inspection
        do {
            inspection = try Inspector.inspect(path, head: head, checksums: !noChecksums, registry: CLIPlugins.registry)
            print(json ? try inspection.json() : InspectionTable.render(inspection))
        } catch {
            throw fail(error)
        }
        if inspection.checksums.status == "damaged" { throw ExitCode(ExitStatus.verifyFailed) }
    }
}
