import Foundation
import QuernKit

/// Rewrites `failed.jsonl` from the journal state: one line per failed input file with its batch,
/// line and reason, then (per batch) one line per invalid record of a file whose other records
/// were kept (``RowOutcome/failed(_:)``), with the record's line.
func writeFailedList(_ state: JournalState, dir: String) throws {
    var lines = ""
    for k in state.entries.keys.sorted() {
        for f in state.entries[k]!.files where f.error != nil {
            lines +=
                JSONLines.encode(FailedFile(file: f.name, line: f.errorLine, reason: f.error ?? "", batch: k)) + "\n"
        }
        for f in state.entries[k]!.files {
            for r in f.failedRecords ?? [] {
                lines += JSONLines.encode(FailedFile(file: f.name, line: r.line, reason: r.reason, batch: k)) + "\n"
            }
        }
    }
    try AtomicFile.write(lines, to: "\(dir)/\(IntermediateFolderLayout.failed)")
}

struct FailedFile: Codable {
    var file: String
    var line: Int?
    var reason: String
    var batch: Int
}
