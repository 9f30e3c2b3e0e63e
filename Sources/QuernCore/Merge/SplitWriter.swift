import Foundation
public import QuernKit

#if canImport(Glibc)
    import Glibc
#endif

/// Sends rows to their split's row files (`X_train.npy`, ... in the staging folder), counting rows
/// and classes and checking labels and mask bits as they pass; then turns the label and mask files
/// into `labels_<split>.npz` and `masks_<split>.npz`.
public final class SplitWriter {
    public let dir: String
    let schema: FeatureSchema
    let layout: RowLayout
    private let writers: [RowFilesWriter]
    /// classCounts[head][split][class]
    public private(set) var classCounts: [[[Int]]]
    public private(set) var problems: [String] = []
    private let maskLabel: [Int?]
    /// Statistics of the train rows' normalized features, for the fit (see ``FeatureMoments``).
    public private(set) var trainMoments: FeatureMoments
    /// The same for each normalized output array (``OutputArray/normalized``), by array index.
    public private(set) var arrayMoments: [Int: FeatureMoments] = [:]

    /// The thread that copies rows into the split files while the next block is prepared; it
    /// holds up to 16 output buffers' worth (less under a memory limit, where buffers are smaller).
    private let writeBehind: WriteBehind
    /// The results files, with an output writer that writes results (`save.writer: jsonl`).
    public var results: ResultsWriter? = nil

    /// The write-behind mark after the last block's writes.
    private var previousBlockWrites = 0

    /// `provenance`: the blocks carry each row's origin, written to `provenance_<split>.npy`.
    public init(dir: String, schema: FeatureSchema, provenance: Bool = false, bufferBytes: Int = 1 << 20) throws {
        self.dir = dir
        self.schema = schema
        layout = RowLayout(schema: schema, provenance: provenance)
        classCounts = schema.labels.map { head in Array(repeating: Array(repeating: 0, count: head.classes), count: 3) }
        maskLabel = schema.masks.map { m in m.label.flatMap { l in schema.labels.firstIndex { $0.name == l } } }
        trainMoments = FeatureMoments(columns: schema.features.indices.filter { schema.features[$0].normalized })
        for (a, array) in schema.arrays.enumerated() where array.normalized {
            arrayMoments[a] = FeatureMoments(columns: Array(0..<array.width))
        }
        let queue = WriteBehind(limitBytes: max(2 << 20, min(16 << 20, bufferBytes * 16)))
        writeBehind = queue
        writers = try SplitFunction.names.map {
            try RowFilesWriter(
                dir: dir, name: $0, schema: schema, keepSplit: false, npz: true, provenance: provenance,
                writeBehind: queue, bufferBytes: bufferBytes)
        }
    }

    public var rows: [Int] { writers.map(\.rows) }

    public func write(_ block: RowBlock) throws {
        // Check every row, then send each split its runs of consecutive rows (the rows of one
        // group are consecutive, so runs are long), written straight from the block.
        var rowsOf: [[Int]] = [[], [], []]
        var runsOf: [[Range<Int>]] = [[], [], []]
        for i in 0..<block.count {
            let s = Int(block.split[i])
            guard s < 3 else {
                problem("a row has split code \(s)")
                continue
            }
            rowsOf[s].append(i)
            if let last = runsOf[s].last, last.upperBound == i {
                runsOf[s][runsOf[s].count - 1] = last.lowerBound..<(i + 1)
            } else {
                runsOf[s].append(i..<(i + 1))
            }
            for h in 0..<schema.labels.count {
                let y = block.labels[h][i]
                if y >= 0 && Int(y) < schema.labels[h].classes {
                    classCounts[h][s][Int(y)] += 1
                } else {
                    problem("label '\(schema.labels[h].name)' value \(y) is outside 0..\(schema.labels[h].classes - 1)")
                }
            }
            for (m, w) in layout.maskWidths.enumerated() {
                if let h = maskLabel[m] {
                    let y = Int(block.labels[h][i])
                    if y >= 0 && y < w && block.masks[m][i * w + y] != 1 {
                        problem(
                            "mask '\(schema.masks[m].name)' does not allow the row's own label \(y) (label head '\(schema.labels[h].name)')"
                        )
                    }
                }
            }
        }
        try results?.write(block, rowsOf: rowsOf)
        if !rowsOf[0].isEmpty {
            block.features.withUnsafeBufferPointer { trainMoments.add($0, width: layout.features, rows: rowsOf[0]) }
            for a in arrayMoments.keys.sorted() {
                block.arrays[a].withUnsafeBytes {
                    arrayMoments[a]!.add($0.bindMemory(to: Float.self), width: schema.arrays[a].width, rows: rowsOf[0])
                }
            }
        }
        // The writes of the block before this one are done before this one's are queued: at most
        // one block is being written behind, and the block before it is free to be reused
        // (``BatchSet``'s spare blocks) without a copy.
        try writeBehind.wait(through: previousBlockWrites)
        for s in 0..<3 where !rowsOf[s].isEmpty {
            if rowsOf[s].count == block.count {
                try writers[s].append(block)
            } else {
                try writers[s].append(block, runs: runsOf[s])
            }
        }
        previousBlockWrites = writeBehind.submitted
    }

    private func problem(_ text: String) {
        if problems.count < 10 {
            problems.append(text)
        } else if problems.count == 10 {
            problems.append("... and more")
        }
    }

    /// Finishes the files (real shapes in their headers); they are synced by ``syncArrays()``.
    public func finish() throws {
        for w in writers { try w.finish(sync: false) }
    }

    /// Fsyncs the X files once they are final (after normalization), the provenance files and the
    /// output arrays' files, before publishing.
    public func syncArrays() throws {
        let paths =
            SplitFunction.names.map { RowFiles.x(dir, $0) }
            + (layout.provenance ? SplitFunction.names.map { RowFiles.origin(dir, $0) } : [])
            + schema.arrays.flatMap { a in SplitFunction.names.map { RowFiles.array(dir, $0, a.name) } }
        for path in paths {
            let fd = open(path, O_RDONLY | O_CLOEXEC)
            guard fd >= 0, fsync(fd) == 0 else { throw StorageError.io(path: path, operation: "fsync", errno: errno) }
            close(fd)
        }
    }

    /// Writes `labels_<split>.npz` and `masks_<split>.npz` (no masks file when there are no mask
    /// heads) from the per-head files, then removes those.
    public func writeNpz() throws {
        for (s, name) in SplitFunction.names.enumerated() {
            // written in place
            if writers[s].labelsInNpz && (writers[s].masksInNpz || schema.masks.isEmpty) { continue }
            if !writers[s].labelsInNpz {
                let l = try NpzStreamWriter(path: "\(dir)/\(OutputFolderLayout.labels(split: name))")
                for head in schema.labels {
                    let file = RowFiles.label(dir, name, head.name)
                    try l.add(name: head.name, descr: "<i4", shape: [rows[s]], rawPath: file, skip: NpyHeader.length)
                    try FileManager.default.removeItem(atPath: file)
                }
                try l.close()
            }
            guard !schema.masks.isEmpty, !writers[s].masksInNpz else { continue }
            let m = try NpzStreamWriter(path: "\(dir)/\(OutputFolderLayout.masks(split: name))")
            for head in schema.masks {
                let file = RowFiles.mask(dir, name, head.name)
                try m.add(
                    name: head.name, descr: "|i1", shape: [rows[s], head.width], rawPath: file, skip: NpyHeader.length)
                try FileManager.default.removeItem(atPath: file)
            }
            try m.close()
        }
    }
}
