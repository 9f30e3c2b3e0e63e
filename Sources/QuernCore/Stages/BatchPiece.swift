import QuernKit

/// One piece of a batch's work, which any worker may do: a run of whole files, or one byte range
/// of a big file (``FileRanges``). Pieces follow from the batch's files, their sizes and
/// `batch.range_bytes` alone, and each starts a new part, so the batch's parts are the same for any
/// worker count. ``BatchWorker/pieces(of:)`` cuts a batch into them.
public struct BatchPiece: Sendable {
    enum Work: Sendable {
        case files([InputFile])
        case range(InputFile, FileRanges, index: Int)
    }

    public var batch: Int
    /// Its place among the batch's pieces.
    public var index: Int
    var work: Work
    /// Whether it is the batch's only piece: then it writes a part even when no row is kept (a
    /// batch always has one), with the names of the files it read.
    var alone = false
}

/// What a piece leaves: parts written but not yet numbered, and what the journal records of its
/// files (a range gives one record of its own rows, combined with the file's other ranges when the
/// batch is assembled).
struct PieceResult: Sendable {
    var parts: [PendingPart] = []
    var records: [JournalEntry.FileRecord] = []
    /// What the piece's records cost (the `command` extractor's `cost`), summed into the journal.
    var spent = 0.0

    /// Removes the parts' temporary files.
    func discard() {
        for p in parts { AtomicFile.discard(p.temp) }
    }
}

/// A part whose arrays are in a synced temporary file, waiting for its number (its `meta` member
/// and the ZIP directory are written once the parts before it are known).
struct PendingPart: Sendable {
    var temp: String
    var arrays: BatchFile.Arrays
    /// The number its `meta` says, once finished (``BatchWorker/finish(_:number:batch:)``), and what
    /// the journal records of it then. A later failure of a file before it renumbers it.
    var finished: (number: Int, part: JournalEntry.Part)? = nil
}

extension JournalEntry.FileRecord {
    /// The file failed: none of its rows are used.
    mutating func fail(line: Int?, reason: String) {
        rows = 0
        skipped = [:]
        notes = [:]
        failedRecords = nil
        errorLine = line
        error = reason
    }

    mutating func fail(_ failure: BatchWorker.FileFailure) { fail(line: failure.line, reason: failure.reason) }

    /// The record of a file read in ranges, from the records of its ranges in order: the first
    /// range's error fails the whole file; otherwise rows, skips, notes and invalid records add up
    /// (the first ``maxFailedRecords`` listed, the others counted, as for a file read whole).
    static func combining(_ ranges: [Self], file: InputFile) -> Self {
        var r = Self(
            name: file.name, size: file.size, mtimeNs: file.mtimeNs, crc32: "", rows: 0, skipped: [:], notes: [:],
            errorLine: nil, error: nil)
        if let failed = ranges.first(where: { $0.error != nil }) {
            r.fail(line: failed.errorLine, reason: failed.error ?? "")
            return r
        }
        var failedRecords: [JournalEntry.FailedRecord] = []
        for range in ranges {
            r.rows += range.rows
            r.skipped.merge(range.skipped, uniquingKeysWith: +)
            r.notes.merge(range.notes, uniquingKeysWith: +)
            failedRecords += range.failedRecords ?? []
        }
        if failedRecords.count > maxFailedRecords {
            r.skipped[overflowReason, default: 0] += failedRecords.count - maxFailedRecords
            failedRecords.removeLast(failedRecords.count - maxFailedRecords)
        }
        r.failedRecords = failedRecords.isEmpty ? nil : failedRecords
        if r.rows == 0 && r.skipped.isEmpty && failedRecords.isEmpty {
            r.fail(line: nil, reason: "no data rows (header only)")
        }
        return r
    }

    /// Where invalid records past the listed ones are counted.
    static var overflowReason: String {
        "invalid record (more than \(maxFailedRecords) in the file; the first are in \(IntermediateFolderLayout.failed))"
    }
}
