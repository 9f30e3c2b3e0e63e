import ArgumentParser
import Foundation
import QuernCore
import QuernKit

struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Rewrite batch files with a codec numpy reads (zlib or none) into another folder.",
        discussion: """
            Batches written with zstd or lz4 cannot be opened by numpy.load (Python's zipfile reads zstd from 3.14, \
            lz4 never). Export rewrites them, same arrays and names, with codec zlib (deflate, the default) or none \
            (stored), after checking each one against its journal line and its checksums. From an intermediate \
            folder the destination also gets the plan and a journal, so quern merge reads it too.

            The source is never changed. Each file is written atomically. The destination must be new, empty, or an \
            earlier export (it holds export.json, written last): an earlier export is replaced.

            Examples:
              quern export data/intermediate --to data/exported
              quern export data/intermediate/batch_000003.npz --to /tmp/one --codec none

            Then, in Python: numpy.load("data/exported/batch_000000.npz")
            """)

    @Argument(help: ArgumentHelp("An intermediate folder, or one batch file (batch_*.npz).", valueName: "source"))
    var source: String
    @Option(
        help: ArgumentHelp(
            "Folder to write the exported batches into (created; new, empty, or an earlier export).", valueName: "dir"))
    var to: String
    @Option(help: ArgumentHelp("zlib (default; zlib:1..9 sets the level) or none.", valueName: "codec"))
    var codec = "zlib"

    func validate() throws {
        let name = codec.split(separator: ":", maxSplits: 1).first.map(String.init) ?? ""
        guard name == "zlib" || name == "none" else {
            throw ValidationError(
                "--codec \(TerminalText.escape(codec)): export writes codecs numpy reads: zlib (with an optional level, zlib:6) or none."
            )
        }
        guard !to.isEmpty else { throw ValidationError("--to is empty: give the folder to export into.") }
    }

    func run() throws {
        let codec: any Codec
        do {
            codec = try Resolver(registry: CLIPlugins.registry).codec(spec: self.codec)
        } catch {
            throw fail(ValidationError("--codec \(TerminalText.escape(self.codec)): \(error)"))
        }
        do {
            let done = try BatchExport.run(source: source, destination: to, codec: codec, registry: CLIPlugins.registry)
            print(
                "exported \(done.files) batch file\(done.files == 1 ? "" : "s") (\(Human.count(done.rows)) rows) with codec \(done.codec) to \(TerminalText.escape(to))"
            )
        } catch let error as InspectError {
            switch error {
            case .destinationInUse, .destinationIsSource: throw fail(ValidationError(error.description))
            default: throw fail(error)
            }
        } catch {
            throw fail(error)
        }
    }
}
