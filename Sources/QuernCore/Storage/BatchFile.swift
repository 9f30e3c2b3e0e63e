import Foundation
public import QuernKit

/// Reads and writes batch files: a ZIP of `.npy` members (a standard `.npz` with codec `none` or
/// `zlib`), each compressed by the batch's codec, plus a `meta` member. The format is specified in
/// docs/formats.md.
public enum BatchFile {
    /// The encoded file and what the journal records about it.
    public struct Encoded: Sendable {
        public var bytes: [UInt8]
        public var meta: BatchMeta
        /// CRC-32 of the whole file, as the journal records it.
        public var fileCRC: UInt32
    }

    /// Reusable memory for writing batch files (one per worker): a member's `.npy` image and its
    /// compressed form.
    public final class Scratch: @unchecked Sendable {
        let image = ScratchBuffer()
        let packed = ScratchBuffer()
        /// A mask head's values packed eight to a byte (``MaskBits``).
        let bits = ScratchBuffer()
        public init() {}
    }

    /// What writing a batch file gives, as the journal records it.
    public struct Written: Sendable {
        public var meta: BatchMeta
        public var bytes: Int
        /// CRC-32 of the whole file.
        public var fileCRC: UInt32
    }

    /// Each array member, in the order they are written: its key, `.npy` type and shape, and its
    /// bytes, read in place from the batch.
    static func forEachArray(
        of batch: RowBatch, schema: FeatureSchema,
        _ body: (String, String, [Int], UnsafeRawBufferPointer) throws -> Void
    ) rethrows {
        let n = batch.count
        try batch.features.withUnsafeBytes { try body("X", "<f4", [n, batch.featureCount], $0) }
        for (h, head) in schema.labels.enumerated() {
            try batch.labels[h].withUnsafeBytes { try body("label_\(head.name)", "<i4", [n], $0) }
        }
        for (h, head) in schema.masks.enumerated() {
            try batch.masks[h].withUnsafeBytes { try body("mask_\(head.name)", "|i1", [n, head.width], $0) }
        }
        for (h, array) in schema.arrays.enumerated() {
            try batch.arrays[h].withUnsafeBytes {
                try body("array_\(array.name)", array.dtype.npyDescr, [n, array.width], $0)
            }
        }
        try batch.groupIndex.withUnsafeBytes { try body("group_index", "<i4", [n], $0) }
        let groups = NpyArray(byteStrings: batch.groups)
        try groups.data.withUnsafeBytes { try body("groups", groups.descr, groups.shape, $0) }
        try batch.sourceIndex.withUnsafeBytes { try body("source_index", "<i4", [n], $0) }
        try batch.sourceRow.withUnsafeBytes { try body("source_row", "<i8", [n], $0) }
        let sources = NpyArray(byteStrings: batch.sources.map { Array($0.utf8) })
        try sources.data.withUnsafeBytes { try body("sources", sources.descr, sources.shape, $0) }
        // Only batches of an extractor that makes results have the member (docs/formats.md).
        if !batch.results.isEmpty {
            let results = NpyArray(byteStrings: batch.results)
            try results.data.withUnsafeBytes { try body("results", results.descr, results.shape, $0) }
        }
    }

    /// Array members in the order they are written.
    public static func arrays(of batch: RowBatch, schema: FeatureSchema) -> [(String, NpyArray)] {
        var out: [(String, NpyArray)] = []
        forEachArray(of: batch, schema: schema) { key, descr, shape, data in
            out.append((key, NpyArray(descr: descr, shape: shape, data: Array(data))))
        }
        return out
    }

    /// Writes `batch` as a batch file into `sink`, member by member: each array is copied once, into
    /// `scratch` with its `.npy` header, and compressed into `scratch` from there. `path` names the
    /// file in errors.
    public static func write(
        _ batch: RowBatch, name: BatchName, schema: FeatureSchema, fingerprint: SchemaFingerprint, extractor: String,
        codec: any Codec, path: String, scratch: Scratch, to sink: ZipArchive.Writer.Sink
    ) throws -> Written {
        let arrays = try writeArrays(batch, schema: schema, codec: codec, path: path, scratch: scratch, to: sink)
        return try finish(
            arrays, name: name, schema: schema, fingerprint: fingerprint, extractor: extractor, codec: codec,
            scratch: scratch, to: sink)
    }

    /// A batch file whose arrays are written and whose `meta` member and directory are not: what a
    /// worker leaves when the part's number is not known yet (a range of a big file, before the
    /// ranges ahead of it are read). ``finish(_:name:schema:fingerprint:extractor:codec:scratch:to:)``
    /// completes it with the same bytes ``write(_:name:schema:fingerprint:extractor:codec:path:scratch:to:)`` gives.
    public struct Arrays: Sendable {
        var zip: ZipArchive.Writer
        var fileCRC = CRC32()
        var chained = CRC32()
        public internal(set) var rows = 0
        /// The format version `meta` states: 2 once a mask head is stored packed (``MaskBits``), so
        /// a quern that predates packed masks refuses the file by its version instead of calling it
        /// damaged; 1 otherwise, as before.
        var version = 1
        /// Bytes written so far.
        public var offset: Int { zip.offset }
    }

    /// Writes the array members of `batch` into `sink` (the first half of ``write``).
    public static func writeArrays(
        _ batch: RowBatch, schema: FeatureSchema, codec: any Codec, path: String, scratch: Scratch,
        to sink: ZipArchive.Writer.Sink
    ) throws -> Arrays {
        var state = Arrays(zip: ZipArchive.Writer(path: path))
        state.rows = batch.count
        let packing = packsMasks(codec)
        try forEachArray(of: batch, schema: schema) { key, descr, shape, data in
            var (key, descr, shape, data) = (key, descr, shape, data)
            if packing, key.hasPrefix("mask_"), shape.count == 2,
                let bits = MaskBits.pack(data, rows: shape[0], width: shape[1], into: scratch.bits)
            {
                key = "maskbits_" + key.dropFirst("mask_".count)
                descr = "|u1"
                shape = [shape[0], MaskBits.rowBytes(shape[1])]
                data = bits
                state.version = 2
            }
            let crc = try member(
                key, descr: descr, shape: shape, data: data, codec: codec, scratch: scratch, state: &state, sink: sink)
            withUnsafeBytes(of: crc.littleEndian) { state.chained.update($0) }
        }
        return state
    }

    /// Writes the `meta` member (naming the part) and the directory after ``writeArrays``.
    public static func finish(
        _ arrays: Arrays, name: BatchName, schema: FeatureSchema, fingerprint: SchemaFingerprint, extractor: String,
        codec: any Codec, scratch: Scratch, to sink: ZipArchive.Writer.Sink
    ) throws -> Written {
        var state = arrays
        let meta = BatchMeta(
            batch: name.batch, part: name.part, rows: state.rows, fingerprint: fingerprint.value, extractor: extractor,
            codec: codec.spec, schema: schema, checksum: state.chained.hex, version: state.version)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let json = try Array(encoder.encode(meta))
        _ = try json.withUnsafeBytes {
            try member(
                "meta", descr: "|u1", shape: [json.count], data: $0, codec: codec, scratch: scratch, state: &state,
                sink: sink)
        }
        var fileCRC = state.fileCRC
        try state.zip.finish { (bytes) throws(StorageError) in
            fileCRC.update(bytes)
            try sink(bytes)
        }
        return Written(meta: meta, bytes: state.zip.offset, fileCRC: fileCRC.value)
    }

    /// Whether mask heads are stored packed (`maskbits_<m>`, ``MaskBits``) with `codec`: with every
    /// codec but `none` and `zlib`, whose batch files numpy opens as they are and which keep a byte
    /// a value (`mask_<m>`). A mask with a value other than 0 or 1 is never packed.
    public static func packsMasks(_ codec: any Codec) -> Bool { codec.zipMethod != 0 && codec.zipMethod != 8 }

    /// One `.npy` member: copied into scratch with its header, compressed, added to the ZIP.
    private static func member(
        _ key: String, descr: String, shape: [Int], data: UnsafeRawBufferPointer, codec: any Codec, scratch: Scratch,
        state: inout Arrays, sink: ZipArchive.Writer.Sink
    ) throws -> UInt32 {
        let header = NpyArray.header(descr: descr, shape: shape)
        let image = scratch.image.bytes(header.count + data.count)
        header.withUnsafeBytes { image.copyMemory(from: $0) }
        if data.count > 0 { UnsafeMutableRawBufferPointer(rebasing: image[header.count...]).copyMemory(from: data) }
        let raw = UnsafeRawBufferPointer(image)
        let crc = CRC32.of(raw)
        var stored = raw
        if codec.zipMethod != 0 {
            let packed = scratch.packed.bytes(codec.compressBound(raw.count))
            stored = UnsafeRawBufferPointer(rebasing: packed[0..<(try codec.compress(raw, into: packed))])
        }
        var fileCRC = state.fileCRC
        try state.zip.add(
            name: "\(key).npy", method: codec.zipMethod, crc32: crc, uncompressedSize: raw.count,
            compressed: stored
        ) { (bytes) throws(StorageError) in
            fileCRC.update(bytes)
            try sink(bytes)
        }
        state.fileCRC = fileCRC
        return crc
    }

    /// The whole batch file in memory (for tests and `quern compare`; extract writes to the file).
    public static func encode(
        _ batch: RowBatch, name: BatchName, schema: FeatureSchema, fingerprint: SchemaFingerprint, extractor: String,
        codec: any Codec, path: String
    ) throws -> Encoded {
        var bytes: [UInt8] = []
        let written = try write(
            batch, name: name, schema: schema, fingerprint: fingerprint, extractor: extractor, codec: codec, path: path,
            scratch: Scratch()
        ) {
            bytes += $0
        }
        return Encoded(bytes: bytes, meta: written.meta, fileCRC: written.fileCRC)
    }
}
