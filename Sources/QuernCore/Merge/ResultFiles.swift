public import QuernKit
import Synchronization

/// Each merged row's result (``RowBatch/results``), found again by the row's origin: the merge
/// carries rows through the strategy as fixed-width ``RowBlock``s (shuffle spills them), so a
/// result, of any length, stays here and the row takes its origin (file, line) with it. Filled on
/// the merge's consuming thread, batch by batch, as ``BatchSet`` hands out blocks; held for the
/// whole merge (results are small: a slug, a label, a short JSON object per record).
///
/// The key is unique because an extractor that makes results gives at most one row per record
/// (the `command` extractor: one reply per record).
public final class ResultTable: Sendable {
    struct Key: Hashable {
        var file: Int64
        var line: Int64
    }
    private let table = Mutex<[Key: [UInt8]]>([:])

    public init() {}

    /// Records the results of `block`'s rows (their origins already numbered by the merge's
    /// ``ProvenanceTable``); `batch` names the batch file in errors.
    public func add(_ block: RowBlock, results: [[UInt8]], batch: String) throws {
        guard results.count == block.count else {
            throw MergeError.badSettings(
                "\(batch) holds \(block.count) rows but \(results.count) results: it was made by an extractor that returns none. save.writer jsonl writes each row's result; use the command extractor (and `quern extract --restart`), or save.writer: npy."
            )
        }
        let w = RowBlock.originWidth
        table.withLock { t in
            for i in 0..<block.count {
                t[Key(file: block.origin[i * w], line: block.origin[i * w + 1])] = results[i]
            }
        }
    }

    func result(file: Int64, line: Int64) -> [UInt8]? {
        table.withLock { $0[Key(file: file, line: line)] }
    }
}

/// The results files of a merge (`results_<split>.<ext>`, or one `results.<ext>` when every row
/// goes to train): the output writer's sinks, fed by ``SplitWriter`` with each split's rows in
/// output order, in the staging folder, so they are published with the arrays or not at all.
public final class ResultsWriter {
    let table: ResultTable
    /// One sink per split (the one sink of an unsplit run serves train).
    private let sinks: [(any ResultSink)?]
    private let names: [String?]
    public private(set) var rows = [0, 0, 0]

    /// `fractions`: the split's; with `[1, 0, 0]` the rows are one unsplit file.
    public init(writer: any OutputWriter, table: ResultTable, dir: String, fractions: [Double]) throws {
        self.table = table
        guard let ext = writer.resultsExtension else {
            sinks = [nil, nil, nil]
            names = [nil, nil, nil]
            return
        }
        if fractions.count == 3 && fractions[0] == 1 {
            names = [OutputFolderLayout.results(split: nil, extension: ext), nil, nil]
        } else {
            names = SplitFunction.names.map { OutputFolderLayout.results(split: $0, extension: ext) }
        }
        sinks = try names.map { name in try name.map { try writer.open(path: "\(dir)/\($0)") } }
    }

    /// Writes the results of `block`'s rows; `rowsOf[s]` are the rows of split `s`, in order.
    func write(_ block: RowBlock, rowsOf: [[Int]]) throws {
        let w = RowBlock.originWidth
        for s in 0..<3 where !rowsOf[s].isEmpty {
            guard let sink = sinks[s] else {
                throw MergeError.badSettings(
                    "a row went to split \(SplitFunction.names[s]) though split.fractions give it none (a bug)")
            }
            for i in rowsOf[s] {
                let file = block.origin[i * w]
                let line = block.origin[i * w + 1]
                guard let result = table.result(file: file, line: line) else {
                    throw MergeError.badSettings(
                        "a merged row (file #\(file), line \(line)) has no result: its batch was made by an extractor that returns none. Use the command extractor (and `quern extract --restart`), or save.writer: npy."
                    )
                }
                try result.withUnsafeBufferPointer { try sink.write(result: $0) }
                rows[s] += 1
            }
        }
    }

    /// The files written, with their rows.
    public var files: [(file: String, rows: Int)] {
        zip(names, rows).compactMap { name, n in name.map { ($0, n) } }
    }

    /// Finishes every file (synced); the rows written per split.
    public func finish() throws -> [Int] {
        for sink in sinks { _ = try sink?.finish() }
        return rows
    }
}
