import Foundation
import QuernKit

#if canImport(Glibc)
    import Glibc
#endif

/// Why a merge that ran published nothing: outputs with no rows, or with values the outputs
/// cannot hold. Either way the previous outputs stay exactly as they were, the run exits 1, and
/// `--skip-validation` does not change it (an empty dataset or a NaN mean is never what a user
/// asked for).
public enum NothingToPublish: Error, CustomStringConvertible, Sendable {
    /// No row reached the outputs. `failed`: up to 10 failed input files (`name:line: reason`) of
    /// `failedCount`; `dropped`: rows the extractor skipped, by reason; `strategy` is set when the
    /// batches held rows and the merge strategy kept none of them.
    case noRows(
        intermediate: String, output: String, failed: [String], failedCount: Int, dropped: [String: Int],
        strategy: String?)
    /// NaN or infinite values: where they are in the outputs (`X_train.npy: 32 (feature 'v': 32)`),
    /// and where they came from in the input, when a batch shows it.
    case nonFinite(output: String, outputs: [String], inputs: [String])
    /// `preprocessing_stats.json` could not be written whole (`why` names the key).
    case statsUnwritable(output: String, why: String)

    public var description: String {
        switch self {
        case .noRows(let intermediate, let output, let failed, let failedCount, let dropped, let strategy):
            var lines: [String] = []
            if let strategy {
                lines.append(
                    "the merge strategy \(strategy) kept none of the rows, so nothing was published: the outputs in \(output) are unchanged."
                )
            } else {
                lines.append(
                    "no rows to merge in \(intermediate): every input file failed or held no row the config could take, so nothing was published: "
                        + "the outputs in \(output) are unchanged.")
            }
            if failedCount > 0 {
                lines.append(
                    "  \(Human.count(failedCount)) input files failed (all listed in \(intermediate)/\(IntermediateFolderLayout.failed)):"
                )
                lines += failed.map { "    \($0)" }
                if failedCount > failed.count {
                    lines.append("    ... and \(Human.count(failedCount - failed.count)) more")
                }
            }
            for (reason, n) in dropped.sorted(by: { $0.key < $1.key }) {
                lines.append("  rows dropped: \(Human.count(n)) \(reason)")
            }
            lines.append("Fix the inputs or the config, then run again.")
            return lines.joined(separator: "\n")
        case .nonFinite(let output, let outputs, let inputs):
            var lines = [
                "the outputs would hold NaN or infinite values, so nothing was published (\(OutputFolderLayout.stats) cannot record them, "
                    + "and --skip-validation does not change that); the outputs in \(output) are unchanged:"
            ]
            lines += outputs.map { "  \($0)" }
            if !inputs.isEmpty {
                lines.append("  first such values in the input:")
                lines += inputs.map { "    \($0)" }
            }
            lines.append(
                "A number float32 cannot hold (beyond about ±3.4e38) becomes infinity, and a normalization fit on it becomes NaN: "
                    + "fix those cells in the input, or list their text as missing (input.missing_values).")
            return lines.joined(separator: "\n")
        case .statsUnwritable(let output, let why):
            return
                "\(OutputFolderLayout.stats) cannot be written whole (\(why)), so nothing was published: the outputs in \(output) are unchanged."
        }
    }

    /// The error for a merge of batches that hold no row at all, naming the failed files and the
    /// dropped rows from the journal (read whole: this is the error path).
    static func noRows(_ batches: BatchSet, output: String) -> NothingToPublish {
        let journal = (try? JournalState.load(from: batches.dir, withFiles: true)) ?? JournalState()
        var failed: [String] = []
        var failedCount = 0
        var dropped: [String: Int] = [:]
        for k in journal.entries.keys.sorted() {
            for f in journal.entries[k]!.files {
                dropped.merge(f.skipped, uniquingKeysWith: +)
                guard let error = f.error else { continue }
                failedCount += 1
                if failed.count < 10 {
                    failed.append("\(printable(f.name))\(f.errorLine.map { ":\($0)" } ?? ""): \(error)")
                }
            }
        }
        return .noRows(
            intermediate: batches.dir, output: output, failed: failed, failedCount: failedCount, dropped: dropped,
            strategy: nil)
    }

    /// The error for NaN or infinite values found in the staged X files: counts per split file and
    /// feature (one more read of the X files), and the first few input rows (file and line) whose
    /// features are not finite, from the batches. Only on this error path, so its cost is no
    /// concern of a good merge.
    static func nonFinite(staging: String, output: String, schema: FeatureSchema, rows: [Int], batches: BatchSet)
        -> NothingToPublish
    {
        let d = schema.features.count
        var outputs: [String] = []
        for (s, name) in SplitFunction.names.enumerated() where rows[s] > 0 && d > 0 {
            let file = OutputFolderLayout.x(split: name)
            guard let counts = nonFiniteByColumn(path: "\(staging)/\(file)", rows: rows[s], columns: d) else {
                outputs.append("\(file): cannot be read back to find them")
                continue
            }
            let total = counts.reduce(0, +)
            guard total > 0 else { continue }
            let named = counts.enumerated().filter { $0.element > 0 }.sorted { $0.element > $1.element }
            let shown = named.prefix(5).map {
                "feature '\(schema.features[$0.offset].name)': \(Human.count($0.element))"
            }.joined(separator: ", ")
            outputs.append(
                "\(file): \(Human.count(total)) NaN or infinite values (\(shown)\(named.count > 5 ? ", and \(named.count - 5) more features" : ""))"
            )
        }
        var inputs: [String] = []
        for i in batches.entries.indices where inputs.count < 5 {
            guard let b = try? batches.load(i) else { continue }
            for r in 0..<b.count where inputs.count < 5 {
                for j in 0..<d where !b.features[r * d + j].isFinite {
                    let source =
                        b.sourceIndex[r] >= 0 && Int(b.sourceIndex[r]) < b.sources.count
                        ? printable(b.sources[Int(b.sourceIndex[r])]) : "?"
                    inputs.append(
                        "\(source):\(b.sourceRow[r]): column '\(schema.features[j].name)' read as \(b.features[r * d + j])"
                    )
                    break
                }
            }
        }
        return .nonFinite(output: output, outputs: outputs, inputs: inputs)
    }

    /// A file name for the terminal: control characters escaped (a name may hold any byte but `/`).
    static func printable(_ name: String) -> String {
        var out = ""
        for scalar in name.unicodeScalars {
            out +=
                scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value)
                ? scalar.escaped(asASCII: true) : String(scalar)
        }
        return out
    }

    /// Non-finite values per column of a staged X file (quern's fixed-size header), or nil when it
    /// cannot be read.
    static func nonFiniteByColumn(path: String, rows: Int, columns: Int) -> [Int]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var counts = [Int](repeating: 0, count: columns)
        let rowBytes = columns * 4
        let rowsPerChunk = max(1, (4 << 20) / rowBytes)
        let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: rowsPerChunk * rowBytes, alignment: 4)
        defer { chunk.deallocate() }
        var row = 0
        while row < rows {
            let n = min(rowsPerChunk, rows - row)
            let want = n * rowBytes
            var got = 0
            while got < want {
                let r = pread(fd, chunk.baseAddress! + got, want - got, off_t(NpyHeader.length + row * rowBytes + got))
                if r < 0 && errno == EINTR { continue }
                guard r > 0 else { return nil }
                got += r
            }
            let x = UnsafeRawBufferPointer(rebasing: chunk[0..<want]).bindMemory(to: Float.self)
            for i in 0..<(n * columns) where !x[i].isFinite { counts[i % columns] += 1 }
            row += n
        }
        return counts
    }
}
