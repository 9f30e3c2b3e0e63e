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
              quern inspect data/processed --row val:17     # where row 17 of X_val.npy came from (save.provenance)

            Exit status: 0 read, checksums good (or not checked); \(ExitStatus.verifyFailed) damage found (listed); \
            1 error; 64 bad usage.
            """)

    @Argument(
        help: ArgumentHelp("A batch file (batch_*.npz), an intermediate folder or an output folder.", valueName: "path")
    )
    var path: String
    @Option(help: ArgumentHelp("Show the first N rows (of each split, for an output folder).", valueName: "n"))
    var head = 0
    @Option(
        help: ArgumentHelp(
            "In an output folder saved with save.provenance: print where row N of a split came from (its input file, line and group), and nothing else.",
            valueName: "split:n"))
    var row: String?
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
        if let row, Self.splitAndRow(row) == nil {
            throw ValidationError(
                "--row \(TerminalText.escape(row)): give a split and a row number, as train:0, val:17 or all:3 (the output of quern transform)."
            )
        }
    }

    /// `val:17` -> ("val", 17).
    static func splitAndRow(_ text: String) -> (split: String, row: Int)? {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, ["train", "val", "test", "all"].contains(String(parts[0])), let n = Int(parts[1]),
            n >= 0
        else { return nil }
        return (String(parts[0]), n)
    }

    func run() throws {
        if let row, let (split, n) = Self.splitAndRow(row) {
            do {
                let origin = try Provenance.origin(of: n, split: split, in: path)
                if json {
                    let object: [String: Any] = [
                        "split": origin.split, "row": origin.row, "file": origin.file, "line": origin.line,
                        "group": String(decoding: origin.group, as: UTF8.self),
                        "input_dir": origin.inputDir ?? NSNull(),
                    ]
                    let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
                    print(String(decoding: data, as: UTF8.self))
                } else {
                    print(
                        origin.description
                            + (origin.inputDir.map { " (input folder \(TerminalText.escape($0)))" } ?? ""))
                }
            } catch {
                throw fail(error)
            }
            return
        }
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
