import Foundation
public import QuernKit

#if canImport(Glibc)
    import Glibc
#endif

/// One stream of rows on disk, every array a valid `.npy` (fixed 128-byte headers, patched with the
/// row count at the end): `X_<name>.npy`, `split_<name>.npy` (int8 codes, when kept),
/// `.labels_<name>.<head>.npy`, `.masks_<name>.<head>.npy`, and `provenance_<name>.npy` (int64
/// `[n, 3]`: file, line, group) when rows carry their origin, and `<array>_<name>.npy` per output
/// array the extractor declares (``FeatureSchema/arrays``). The merge writes one such stream
/// (`merged`, in merge order); the split stage reads it and writes one per split.
public final class RowFilesWriter {
    public let dir: String
    public let name: String
    let schema: FeatureSchema
    let layout: RowLayout
    let x: BufferedFileWriter
    let split: BufferedFileWriter?
    let origin: BufferedFileWriter?
    let labels: [any RowArrayFile]
    let masks: [any RowArrayFile]
    /// One per output array (``FeatureSchema/arrays``), written as bytes.
    let arrays: [BufferedFileWriter]
    /// Whether the single label head / single mask head goes straight into `labels_<name>.npz` /
    /// `masks_<name>.npz` (see ``NpzMemberFile``) rather than a row file copied in later.
    public let labelsInNpz: Bool
    public let masksInNpz: Bool
    public private(set) var rows = 0

    /// `npz`: write a lone label head and a lone mask head straight into their final `.npz`.
    /// `writeBehind`: block appends are written on that queue's thread.
    /// `bufferBytes`: what each stream gathers before a write (less under a memory limit).
    /// `provenance`: the rows carry their origin (``RowBlock/origin``), written to `provenance_<name>.npy`.
    public init(
        dir: String, name: String, schema: FeatureSchema, keepSplit: Bool, npz: Bool = false, provenance: Bool = false,
        writeBehind: WriteBehind? = nil,
        bufferBytes: Int = 1 << 20
    ) throws {
        self.dir = dir
        self.name = name
        self.schema = schema
        layout = RowLayout(schema: schema, provenance: provenance)
        x = try BufferedFileWriter(path: RowFiles.x(dir, name), writeBehind: writeBehind, bufferBytes: bufferBytes)
        split = keepSplit ? try BufferedFileWriter(path: RowFiles.split(dir, name), bufferBytes: bufferBytes) : nil
        origin =
            provenance
            ? try BufferedFileWriter(
                path: RowFiles.origin(dir, name), writeBehind: writeBehind, bufferBytes: bufferBytes) : nil
        for w in [x] + (split.map { [$0] } ?? []) + (origin.map { [$0] } ?? []) {
            try w.write([UInt8](repeating: 0x20, count: NpyHeader.length))
        }
        labelsInNpz = npz && schema.labels.count == 1
        masksInNpz = npz && schema.masks.count == 1
        func npyFile(_ path: String) throws -> any RowArrayFile {
            let w = try BufferedFileWriter(path: path, writeBehind: writeBehind, bufferBytes: bufferBytes)
            try w.write([UInt8](repeating: 0x20, count: NpyHeader.length))
            return w
        }
        labels =
            try labelsInNpz
            ? [
                NpzMemberFile(
                    path: "\(dir)/\(OutputFolderLayout.labels(split: name))", member: schema.labels[0].name,
                    writeBehind: writeBehind,
                    bufferBytes: bufferBytes)
            ]
            : schema.labels.map { try npyFile(RowFiles.label(dir, name, $0.name)) }
        masks =
            try masksInNpz
            ? [
                NpzMemberFile(
                    path: "\(dir)/\(OutputFolderLayout.masks(split: name))", member: schema.masks[0].name,
                    writeBehind: writeBehind,
                    bufferBytes: bufferBytes)
            ]
            : schema.masks.map { try npyFile(RowFiles.mask(dir, name, $0.name)) }
        arrays = try schema.arrays.map {
            let w = try BufferedFileWriter(
                path: RowFiles.array(dir, name, $0.name), writeBehind: writeBehind, bufferBytes: bufferBytes)
            try w.write([UInt8](repeating: 0x20, count: NpyHeader.length))
            return w
        }
    }

    /// Appends row `i` of `block`.
    @inline(__always)
    public func append(_ block: RowBlock, row i: Int, features: UnsafeRawBufferPointer) throws {
        let d = layout.features
        try x.write(UnsafeRawBufferPointer(rebasing: features[(i * d * 4)..<((i + 1) * d * 4)]))
        if let split { try split.write([block.split[i]]) }
        for h in 0..<labels.count {
            var y = block.labels[h][i]
            try withUnsafeBytes(of: &y) { try labels[h].write($0) }
        }
        for (m, w) in layout.maskWidths.enumerated() {
            try block.masks[m].withUnsafeBytes {
                try masks[m].write(UnsafeRawBufferPointer(rebasing: $0[(i * w)..<((i + 1) * w)]))
            }
        }
        for (a, w) in layout.arrayBytes.enumerated() {
            try block.arrays[a].withUnsafeBytes {
                try arrays[a].write(UnsafeRawBufferPointer(rebasing: $0[(i * w)..<((i + 1) * w)]))
            }
        }
        if let origin {
            let o = RowBlock.originWidth
            try block.origin.withUnsafeBytes {
                try origin.write(UnsafeRawBufferPointer(rebasing: $0[(i * o * 8)..<((i + 1) * o * 8)]))
            }
        }
        rows += 1
    }

    /// Appends every row of `block`: one write per array.
    public func append(_ block: RowBlock) throws {
        try x.write(array: block.features)
        if let split { try split.write(array: block.split) }
        for h in 0..<labels.count { try labels[h].write(array: block.labels[h]) }
        for m in 0..<masks.count { try masks[m].write(array: block.masks[m]) }
        for a in 0..<arrays.count { try arrays[a].write(array: block.arrays[a]) }
        if let origin { try origin.write(array: block.origin) }
        rows += block.count
    }

    /// Appends the rows of `block` in `runs` (ranges of row indices, in order), straight from the
    /// block's arrays: one write per array, no gathering copy.
    public func append(_ block: RowBlock, runs: [Range<Int>]) throws {
        let d = layout.features
        try x.write(array: block.features, ranges: runs.map { ($0.lowerBound * d)..<($0.upperBound * d) })
        if let split { try split.write(array: block.split, ranges: runs) }
        for h in 0..<labels.count { try labels[h].write(array: block.labels[h], ranges: runs) }
        for (m, w) in layout.maskWidths.enumerated() {
            try masks[m].write(array: block.masks[m], ranges: runs.map { ($0.lowerBound * w)..<($0.upperBound * w) })
        }
        for (a, w) in layout.arrayBytes.enumerated() {
            try arrays[a].write(array: block.arrays[a], ranges: runs.map { ($0.lowerBound * w)..<($0.upperBound * w) })
        }
        let o = RowBlock.originWidth
        if let origin {
            try origin.write(array: block.origin, ranges: runs.map { ($0.lowerBound * o)..<($0.upperBound * o) })
        }
        rows += runs.reduce(0) { $0 + $1.count }
    }

    /// Patches the headers with the real shapes and flushes. `sync` fsyncs too: files of a stream
    /// that is read back and removed need no fsync; published ones are synced before publishing.
    public func finish(sync: Bool = false) throws {
        try x.finish(header: NpyHeader.bytes(descr: "<f4", shape: [rows, layout.features]), sync: sync)
        try split?.finish(header: NpyHeader.bytes(descr: "|i1", shape: [rows]), sync: sync)
        try origin?.finish(header: NpyHeader.bytes(descr: "<i8", shape: [rows, RowBlock.originWidth]), sync: sync)
        // An .npz written in place is final now: synced whatever `sync` says.
        for w in labels {
            try w.finish(header: NpyHeader.bytes(descr: "<i4", shape: [rows]), sync: sync || labelsInNpz)
        }
        for (m, w) in masks.enumerated() {
            try w.finish(
                header: NpyHeader.bytes(descr: "|i1", shape: [rows, layout.maskWidths[m]]), sync: sync || masksInNpz)
        }
        for (a, w) in arrays.enumerated() {
            let spec = schema.arrays[a]
            try w.finish(header: NpyHeader.bytes(descr: spec.dtype.npyDescr, shape: [rows, spec.width]), sync: sync)
        }
    }
}

/// Names of the row files, and reading a stream back a block at a time.
public enum RowFiles {
    public static func x(_ dir: String, _ name: String) -> String { "\(dir)/\(OutputFolderLayout.x(split: name))" }
    public static func split(_ dir: String, _ name: String) -> String {
        "\(dir)/\(OutputFolderLayout.splitCodes(split: name))"
    }
    public static func label(_ dir: String, _ name: String, _ head: String) -> String {
        "\(dir)/\(OutputFolderLayout.labelRows(split: name, head: head))"
    }
    public static func mask(_ dir: String, _ name: String, _ head: String) -> String {
        "\(dir)/\(OutputFolderLayout.maskRows(split: name, head: head))"
    }
    public static func origin(_ dir: String, _ name: String) -> String { "\(dir)/\(Provenance.rowsFile(name))" }
    public static func array(_ dir: String, _ name: String, _ array: String) -> String {
        "\(dir)/\(OutputFolderLayout.array(array, split: name))"
    }

    /// Reads the stream `name` (with split codes, and origins with `provenance`) as blocks of up to `blockRows` rows.
    public static func forEachBlock(
        dir: String, name: String, schema: FeatureSchema, provenance: Bool = false, rows: Int, blockRows: Int = 1 << 16,
        _ body: (RowBlock) throws -> Void
    ) throws {
        let layout = RowLayout(schema: schema, provenance: provenance)
        let files =
            [x(dir, name), split(dir, name)] + schema.labels.map { label(dir, name, $0.name) }
            + schema.masks.map { mask(dir, name, $0.name) }
            + schema.arrays.map { array(dir, name, $0.name) }
            + (provenance ? [origin(dir, name)] : [])
        let fds = files.map { open($0, O_RDONLY | O_CLOEXEC) }
        defer { for fd in fds where fd >= 0 { close(fd) } }
        for (k, fd) in fds.enumerated() where fd < 0 {
            throw StorageError.io(path: files[k], operation: "read", errno: errno)
        }
        func read<T: BitwiseCopyable>(_ fd: Int32, _ path: String, count: Int, at row: Int, width: Int, as: T.Type)
            throws -> [T]
        {
            let size = MemoryLayout<T>.size * width
            return try [T](unsafeUninitializedCapacity: count * width) { buf, n in
                let want = count * size
                let got = pread(fd, buf.baseAddress, want, off_t(NpyHeader.length + row * size))
                guard got == want else { throw StorageError.io(path: path, operation: "read back", errno: errno) }
                n = count * width
            }
        }
        var start = 0
        while start < rows {
            let n = min(blockRows, rows - start)
            var block = RowBlock(layout: layout)
            block.features = try read(fds[0], files[0], count: n, at: start, width: layout.features, as: Float.self)
            block.split = try read(fds[1], files[1], count: n, at: start, width: 1, as: UInt8.self)
            for h in 0..<layout.labelHeads {
                block.labels[h] = try read(fds[2 + h], files[2 + h], count: n, at: start, width: 1, as: Int32.self)
            }
            for (m, w) in layout.maskWidths.enumerated() {
                let k = 2 + layout.labelHeads + m
                block.masks[m] = try read(fds[k], files[k], count: n, at: start, width: w, as: Int8.self)
            }
            for (a, w) in layout.arrayBytes.enumerated() {
                let k = 2 + layout.labelHeads + layout.maskWidths.count + a
                block.arrays[a] = try read(fds[k], files[k], count: n, at: start, width: w, as: UInt8.self)
            }
            if provenance {
                let k = files.count - 1
                block.origin = try read(
                    fds[k], files[k], count: n, at: start, width: RowBlock.originWidth, as: Int64.self)
            }
            try body(block)
            start += n
        }
    }

    /// Removes the files of stream `name`.
    public static func remove(dir: String, name: String, schema: FeatureSchema) {
        for f in [x(dir, name), split(dir, name), origin(dir, name)] + schema.labels.map({ label(dir, name, $0.name) })
            + schema.masks.map({ mask(dir, name, $0.name) }) + schema.arrays.map({ array(dir, name, $0.name) })
        {
            unlink(f)
        }
    }
}
