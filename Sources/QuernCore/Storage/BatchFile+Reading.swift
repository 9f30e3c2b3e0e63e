import Foundation
public import QuernKit

#if canImport(Glibc)
    import Glibc
#endif

/// Reading batch files back. A batch file may be damaged, cut short, empty, or something else
/// under a batch's name, so every size read from it is bounded before memory is spent on it: the
/// file by the format (no ZIP64, so under 4 GiB), `meta` by 16 MiB, each array by the size its
/// shape in `meta` implies, every member by its codec's largest possible ratio, and all members
/// together by `maxDecompressedBytes`.
extension BatchFile {
    /// A batch read back: its metadata, rows, and the file's CRC-32.
    public struct Loaded: Sendable {
        public var meta: BatchMeta
        public var batch: RowBatch
        public var fileCRC: UInt32
        public var fileBytes: Int
        /// The mask heads this file stores packed, as `maskbits_<m>` (``MaskBits``); `batch`
        /// holds them unpacked all the same.
        public var packedMasks: Set<String> = []
    }

    /// What the journal says a batch file is; checked before anything in the file is parsed.
    public struct Expected: Sendable, Equatable {
        public var bytes: Int
        public var crc32: String

        public init(bytes: Int, crc32: String) {
            self.bytes = bytes
            self.crc32 = crc32
        }
    }

    /// Most bytes all members of one batch may decompress to: half the machine's memory, so a
    /// forged size fails with a message instead of exhausting memory.
    public static var maxDecompressedBytes: Int { max(64 << 20, Int(ProcessInfo.processInfo.physicalMemory / 2)) }
    static let maxMetaBytes = 16 << 20
    /// An `.npy` 1.0 header is at most 10 + 65,535 bytes.
    static let maxNpyHeader = 65_545

    /// The largest ratio a ZIP method can reach (deflate: 1032, LZ4 frames: 255, Zstandard RLE
    /// blocks: 128 KiB from 4 bytes), plus a little for headers.
    static func maxExpansion(method: UInt16, compressed: Int) -> Int {
        let ratio: Int
        switch method {
        case 0: return compressed
        case 8: ratio = 1032
        case 0x4C34: ratio = 256
        default: ratio = 32_768
        }
        let (v, o) = compressed.multipliedReportingOverflow(by: ratio)
        return o ? Int.max : v + 4096
    }

    /// Reusable memory for reading batch files (one per loading thread): the file, and one
    /// member's decompressed `.npy` image at a time. See ``ScratchBuffer`` for why.
    public final class ReadScratch: @unchecked Sendable {
        let file = ScratchBuffer()
        let image = ScratchBuffer()
        public init() {}
    }

    /// Reads a whole batch file, verifying every member's CRC, the chained checksum, the shapes and
    /// the row count. With `expected`, the file's size and CRC-32 are checked against the journal
    /// first. `codecFor` maps a ZIP method to a codec (the registry's, so a batch written with any
    /// registered codec is readable whatever the current flag says). With `scratch` and
    /// `reusing` (a batch whose rows are done with), the file and the arrays land in memory that
    /// is already there: each array is copied once, from its decompressed image into the batch.
    public static func load(
        path: String, expected: Expected? = nil, scratch: ReadScratch = ReadScratch(),
        reusing: consuming RowBatch? = nil,
        codecFor: (UInt16) throws -> (any Codec)?
    ) throws -> Loaded {
        let file = try readWhole(path, limit: ZipArchive.limit, into: scratch.file)
        return try load(
            file: UnsafeRawBufferPointer(file), path: path, expected: expected, scratch: scratch,
            reusing: consume reusing, codecFor: codecFor)
    }

    /// The same, on a batch file's bytes already in memory (`path` names it in errors).
    public static func load(
        bytes: [UInt8], path: String, expected: Expected? = nil, codecFor: (UInt16) throws -> (any Codec)?
    ) throws -> Loaded {
        try bytes.withUnsafeBytes {
            try load(file: $0, path: path, expected: expected, scratch: ReadScratch(), reusing: nil, codecFor: codecFor)
        }
    }

    /// A batch file's metadata alone (its size and CRC-32 checked against the journal first; the
    /// arrays are not decompressed): what a merge needs to learn the schema before it starts.
    public static func loadMeta(path: String, expected: Expected? = nil, codecFor: (UInt16) throws -> (any Codec)?)
        throws -> BatchMeta
    {
        let scratch = ReadScratch()
        let file = UnsafeRawBufferPointer(try readWhole(path, limit: ZipArchive.limit, into: scratch.file))
        return try meta(file: file, path: path, expected: expected, scratch: scratch, codecFor: codecFor).meta
    }

    /// The file checked against `expected`, its members, its metadata checked for what this quern
    /// reads, and its CRC-32.
    private static func meta(
        file: UnsafeRawBufferPointer, path: String, expected: Expected?, scratch: ReadScratch,
        codecFor: (UInt16) throws -> (any Codec)?
    ) throws -> (meta: BatchMeta, members: [ZipArchive.Entry], fileCRC: UInt32) {
        func bad(_ why: String) -> StorageError { .corruptBatch(path: path, reason: why) }
        let fileCRC = CRC32.of(file)
        if let expected {
            guard file.count == expected.bytes else {
                throw bad("it is \(file.count) bytes, the journal recorded \(expected.bytes) (cut short, or replaced)")
            }
            guard crc32Hex(fileCRC) == expected.crc32 else {
                throw bad(
                    "its checksum \(crc32Hex(fileCRC)) differs from the journal's \(expected.crc32) (changed or damaged after it was written)"
                )
            }
        }
        let members = try ZipArchive.entries(file, path: path)
        guard let metaMember = members.first(where: { $0.name == "meta.npy" }) else {
            throw bad("no meta member: not written by quern")
        }
        guard metaMember.uncompressedSize <= maxMetaBytes else {
            throw bad("its meta member claims \(metaMember.uncompressedSize) bytes")
        }
        let metaData = try npyData(
            try decompress(metaMember, file, into: scratch.image, codecFor: codecFor, bad), "meta", bad
        ).data
        let meta: BatchMeta
        do {
            meta = try JSONDecoder().decode(BatchMeta.self, from: Data(metaData))
        } catch {
            throw bad("its meta member is not valid batch metadata")
        }
        // Version 2 differs only in that mask heads may be stored packed (``MaskBits``).
        guard meta.format == "quern-batch", meta.version == 1 || meta.version == 2 else {
            throw bad("format \(meta.format) v\(meta.version) is not one this quern reads")
        }
        guard meta.rows >= 0 else { throw bad("meta claims \(meta.rows) rows") }
        if let why = unsafeName(in: meta.schema) { throw bad(why) }
        return (meta, members, fileCRC)
    }

    static func load(
        file: UnsafeRawBufferPointer, path: String, expected: Expected?, scratch: ReadScratch,
        reusing: consuming RowBatch?,
        codecFor: (UInt16) throws -> (any Codec)?
    ) throws -> Loaded {
        func bad(_ why: String) -> StorageError { .corruptBatch(path: path, reason: why) }
        let (meta, members, fileCRC) = try self.meta(
            file: file, path: path, expected: expected, scratch: scratch, codecFor: codecFor)
        var claimed = 0
        for m in members where m.name != "meta.npy" {
            guard m.name.hasSuffix(".npy") else { throw bad("unexpected member \(m.name)") }
            var limit = maxExpansion(method: m.method, compressed: m.compressedSize)
            if let data = dataBytes(of: String(m.name.dropLast(4)), meta: meta) {
                limit = data == Int.max ? 0 : min(limit, data + maxNpyHeader)
            }
            guard m.uncompressedSize <= limit else {
                throw bad(
                    "member \(m.name) claims \(m.uncompressedSize) bytes, more than its \(m.compressedSize) compressed bytes and \(meta.rows) rows can hold"
                )
            }
            claimed += m.uncompressedSize
        }
        guard claimed <= maxDecompressedBytes else {
            throw bad(
                "its members claim \(Human.bytes(claimed)) in all, more than this machine can hold (\(Human.bytes(maxDecompressedBytes)))"
            )
        }
        // The spare batch is consumed, not copied: its arrays must have no other owner, or the
        // first append would copy them into fresh memory after all.
        var batch = (consume reusing) ?? RowBatch(schema: meta.schema)
        if batch.featureCount != meta.schema.features.count || batch.maskWidths != meta.schema.masks.map(\.width)
            || batch.labels.count != meta.schema.labels.count
            || batch.arrayRowBytes != meta.schema.arrays.map(\.rowBytes)
        {
            batch = RowBatch(schema: meta.schema)
        }
        batch.removeAll()
        var chained = CRC32()
        var found = Set<String>()
        for m in members where m.name != "meta.npy" {
            let key = String(m.name.dropLast(4))
            guard found.insert(key).inserted else { throw bad("member \(m.name) appears twice") }
            let array = try npyData(try decompress(m, file, into: scratch.image, codecFor: codecFor, bad), key, bad)
            do { try place(key, array.header, array.data, meta: meta, into: &batch) } catch {
                throw bad(error.description)
            }
            withUnsafeBytes(of: m.crc32.littleEndian) { chained.update($0) }
        }
        guard chained.hex == meta.checksum else {
            throw bad("checksum \(chained.hex) differs from the recorded \(meta.checksum)")
        }
        let required =
            ["X", "group_index", "groups", "source_index", "source_row", "sources"]
            + meta.schema.labels.map { "label_\($0.name)" } + meta.schema.arrays.map { "array_\($0.name)" }
        if let missing = required.first(where: { !found.contains($0) }) { throw bad("missing array \(missing)") }
        // A mask head is stored once: a byte a value, or packed.
        for head in meta.schema.masks {
            switch (found.contains("mask_\(head.name)"), found.contains("maskbits_\(head.name)")) {
            case (true, true): throw bad("mask head \(head.name) is stored twice (mask_ and maskbits_)")
            case (false, false): throw bad("missing array mask_\(head.name)")
            default: break
            }
        }
        let n = meta.rows
        guard batch.groupIndex.allSatisfy({ $0 >= 0 && Int($0) < max(batch.groups.count, 1) }) || n == 0 else {
            throw bad("a group index is out of range")
        }
        guard batch.sourceIndex.allSatisfy({ $0 >= 0 && Int($0) < max(batch.sources.count, 1) }) || n == 0 else {
            throw bad("a source index is out of range")
        }
        batch.setFilledCount(n)
        return Loaded(
            meta: meta, batch: batch, fileCRC: fileCRC, fileBytes: file.count,
            packedMasks: Set(meta.schema.masks.map(\.name).filter { found.contains("maskbits_\($0)") }))
    }

    /// Copies array `key` (its data checked against the shape and type `meta` implies) into `batch`.
    private static func place(
        _ key: String, _ h: NpyArray.Header, _ data: UnsafeRawBufferPointer, meta: BatchMeta, into batch: inout RowBatch
    ) throws(NpyError) {
        let n = meta.rows
        func check(_ shape: [Int], _ descr: String) throws(NpyError) {
            guard h.shape == shape else { throw NpyError("array \(key) has shape \(h.shape), expected \(shape)") }
            guard h.descr == descr else { throw NpyError("member \(key): dtype is \(h.descr), expected \(descr)") }
        }
        if key == "X" {
            try check([n, meta.schema.features.count], "<f4")
            append(data, to: &batch.features)
        } else if key.hasPrefix("label_"), let h = meta.schema.labels.firstIndex(where: { "label_\($0.name)" == key }) {
            try check([n], "<i4")
            append(data, to: &batch.labels[h])
        } else if key.hasPrefix("mask_"), let m = meta.schema.masks.firstIndex(where: { "mask_\($0.name)" == key }) {
            try check([n, meta.schema.masks[m].width], "|i1")
            append(data, to: &batch.masks[m])
        } else if key.hasPrefix("maskbits_"),
            let m = meta.schema.masks.firstIndex(where: { "maskbits_\($0.name)" == key })
        {
            let width = meta.schema.masks[m].width
            try check([n, MaskBits.rowBytes(width)], "|u1")
            // Unpacked straight into the batch's array (its capacity is reused from batch to batch).
            let start = batch.masks[m].count
            batch.masks[m].append(contentsOf: repeatElement(0, count: n * width))
            let whole = batch.masks[m].withUnsafeMutableBytes {
                MaskBits.unpack(
                    data, rows: n, width: width, into: UnsafeMutableRawBufferPointer(rebasing: $0[start...]))
            }
            guard whole else { throw NpyError("member \(key): a bit past the mask's width \(width) is set") }
        } else if key.hasPrefix("array_"), let a = meta.schema.arrays.firstIndex(where: { "array_\($0.name)" == key }) {
            try check([n, meta.schema.arrays[a].width], meta.schema.arrays[a].dtype.npyDescr)
            append(data, to: &batch.arrays[a])
        } else if key == "group_index" || key == "source_index" {
            try check([n], "<i4")
            if key == "group_index" {
                append(data, to: &batch.groupIndex)
            } else {
                append(data, to: &batch.sourceIndex)
            }
        } else if key == "source_row" {
            try check([n], "<i8")
            append(data, to: &batch.sourceRow)
        } else if key == "results" {
            guard h.shape == [n] else { throw NpyError("array results has shape \(h.shape), expected [\(n)]") }
            batch.results = try NpyArray(descr: h.descr, shape: h.shape, data: Array(data)).byteStrings()
        } else if key == "groups" || key == "sources" {
            let strings = try NpyArray(descr: h.descr, shape: h.shape, data: Array(data)).byteStrings()
            if key == "groups" {
                batch.groups = strings
            } else {
                batch.sources = strings.map { String(decoding: $0, as: UTF8.self) }
            }
        }
    }

    /// Appends the elements in `data` (whole elements, any alignment) to `array`, without a fresh
    /// array when its capacity suffices.
    private static func append<T: BitwiseCopyable>(_ data: UnsafeRawBufferPointer, to array: inout [T]) {
        let n = data.count / MemoryLayout<T>.stride
        guard n > 0, let base = data.baseAddress else { return }
        if Int(bitPattern: base) % MemoryLayout<T>.alignment == 0 {
            array.append(contentsOf: UnsafeBufferPointer(start: base.assumingMemoryBound(to: T.self), count: n))
        } else {
            array.append(
                contentsOf: (0..<n).map { data.loadUnaligned(fromByteOffset: $0 * MemoryLayout<T>.stride, as: T.self) })
        }
    }

    /// Head names become array names in the outputs and parts of file names in the staging
    /// folder, so one read from a file must be a plain name, as the config requires; widths and
    /// class counts must be positive.
    static func unsafeName(in schema: FeatureSchema) -> String? {
        func plain(_ s: String) -> Bool {
            !s.isEmpty && s.utf8.count <= 200
                && s.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }
        }
        for h in schema.labels where !plain(h.name) || h.classes < 1 {
            return
                "its schema has a label head '\(h.name.prefix(60))' with \(h.classes) classes (head names are letters, digits and _)"
        }
        for m in schema.masks where !plain(m.name) || m.width < 1 {
            return
                "its schema has a mask head '\(m.name.prefix(60))' of width \(m.width) (head names are letters, digits and _)"
        }
        if let why = schema.arrays.lazy.compactMap(\.problem).first { return "its schema has \(why)" }
        return nil
    }

    /// The data bytes (header excluded) the array `key` must hold for `meta`'s rows and schema; nil
    /// for byte-string arrays, whose width the file chooses; `Int.max` when the product overflows.
    static func dataBytes(of key: String, meta: BatchMeta) -> Int? {
        let n = meta.rows
        let width: Int
        if key == "X" {
            width = meta.schema.features.count * 4
        } else if key == "group_index" || key == "source_index"
            || (key.hasPrefix("label_") && meta.schema.labels.contains { "label_\($0.name)" == key })
        {
            width = 4
        } else if key == "source_row" {
            width = 8
        } else if key.hasPrefix("mask_"), let head = meta.schema.masks.first(where: { "mask_\($0.name)" == key }) {
            width = head.width
        } else if key.hasPrefix("maskbits_"),
            let head = meta.schema.masks.first(where: { "maskbits_\($0.name)" == key })
        {
            width = MaskBits.rowBytes(head.width)
        } else if key.hasPrefix("array_"), let array = meta.schema.arrays.first(where: { "array_\($0.name)" == key }) {
            width = array.rowBytes
        } else {
            return nil
        }
        let (v, o) = n.multipliedReportingOverflow(by: width)
        return o || v > Int(UInt32.max) ? Int.max : v
    }

    /// Member `m` of `file`, decompressed into `scratch` and checked against its CRC-32.
    private static func decompress(
        _ m: ZipArchive.Entry, _ file: UnsafeRawBufferPointer, into scratch: ScratchBuffer,
        codecFor: (UInt16) throws -> (any Codec)?,
        _ bad: (String) -> StorageError
    ) throws -> UnsafeRawBufferPointer {
        let stored = UnsafeRawBufferPointer(rebasing: file[m.offset..<(m.offset + m.compressedSize)])
        let raw: UnsafeRawBufferPointer
        if m.method == 0 {
            raw = stored
        } else {
            guard let codec = try codecFor(m.method) else {
                throw bad("member \(m.name) uses ZIP method \(m.method), which no registered codec reads")
            }
            let out = scratch.bytes(m.uncompressedSize)
            do {
                try codec.decompress(stored, into: out)
            } catch let e as CodecError where e.outOfMemory {
                // A failed allocation says nothing about the file: redoing the batch would not help.
                guard case .corruptBatch(let path, _) = bad("") else { throw e }
                throw StorageError.io(
                    path: path, operation: "decompress member \(m.name) (the file is not damaged)", errno: ENOMEM)
            } catch {
                throw bad("member \(m.name) does not decompress (\(error))")
            }
            raw = UnsafeRawBufferPointer(out)
        }
        guard raw.count == m.uncompressedSize, CRC32.of(raw) == m.crc32 else {
            throw bad("member \(m.name) fails its CRC-32 check (the file is damaged)")
        }
        return raw
    }

    /// The header and the data of an `.npy` image, the data's length checked against the header.
    private static func npyData(_ image: UnsafeRawBufferPointer, _ key: String, _ bad: (String) -> StorageError) throws
        -> (
            header: NpyArray.Header, data: UnsafeRawBufferPointer
        )
    {
        do {
            let h = try NpyArray.header(image)
            let expected = try h.dataBytes()
            guard image.count - h.dataStart == expected else {
                throw NpyError(
                    "data is \(image.count - h.dataStart) bytes, shape \(h.shape) of \(h.descr) needs \(expected)")
            }
            return (h, UnsafeRawBufferPointer(rebasing: image[h.dataStart...]))
        } catch {
            throw bad("member \(key): \(error)")
        }
    }

    /// The bytes of a regular file of at most `limit` bytes (checked before reading).
    static func readWhole(_ path: String, limit: Int) throws -> [UInt8] {
        let scratch = ScratchBuffer()
        return Array(try readWhole(path, limit: limit, into: scratch))
    }

    /// The same, read into `scratch` (valid until its next use).
    static func readWhole(_ path: String, limit: Int, into scratch: ScratchBuffer) throws
        -> UnsafeMutableRawBufferPointer
    {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw StorageError.io(path: path, operation: "read", errno: errno) }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw StorageError.io(path: path, operation: "read", errno: errno) }
        guard (st.st_mode & S_IFMT) == S_IFREG else {
            throw StorageError.corruptBatch(path: path, reason: "it is not a regular file")
        }
        let size = Int(st.st_size)
        guard size <= limit else {
            throw StorageError.corruptBatch(
                path: path, reason: "it is \(Human.bytes(size)), larger than any batch file can be (4 GiB)")
        }
        let out = scratch.bytes(size)
        var done = 0
        while done < size {
            let n = pread(fd, out.baseAddress! + done, size - done, off_t(done))
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else {
                if n == 0 { break }
                throw StorageError.io(path: path, operation: "read", errno: errno)
            }
            done += n
        }
        return UnsafeMutableRawBufferPointer(rebasing: out[0..<done])  // shorter if it shrank while being read
    }
}
