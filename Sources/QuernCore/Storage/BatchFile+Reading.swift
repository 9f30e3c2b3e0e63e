public import Foundation
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

    /// Reads a whole batch file, verifying every member's CRC, the chained checksum, the shapes and
    /// the row count. With `expected`, the file's size and CRC-32 are checked against the journal
    /// first. `codecFor` maps a ZIP method to a codec (the registry's, so a batch written with any
    /// registered codec is readable whatever the current flag says).
    public static func load(path: String, expected: Expected? = nil, codecFor: (UInt16) throws -> (any Codec)?) throws -> Loaded {
        try load(bytes: try readWhole(path, limit: ZipArchive.limit), path: path, expected: expected, codecFor: codecFor)
    }

    /// The same, on a batch file's bytes already in memory (`path` names it in errors).
    public static func load(bytes: [UInt8], path: String, expected: Expected? = nil, codecFor: (UInt16) throws -> (any Codec)?) throws -> Loaded {
        func bad(_ why: String) -> StorageError { .corruptBatch(path: path, reason: why) }
        let fileCRC = CRC32.of(bytes)
        if let expected {
            guard bytes.count == expected.bytes else {
                throw bad("it is \(bytes.count) bytes, the journal recorded \(expected.bytes) (cut short, or replaced)")
            }
            guard CRC32Hex(fileCRC) == expected.crc32 else {
                throw bad("its checksum \(CRC32Hex(fileCRC)) differs from the journal's \(expected.crc32) (changed or damaged after it was written)")
            }
        }
        let members = try ZipArchive.read(bytes, path: path)
        guard let metaMember = members.first(where: { $0.name == "meta.npy" }) else { throw bad("no meta member: not written by quern") }
        guard metaMember.uncompressedSize <= maxMetaBytes else { throw bad("its meta member claims \(metaMember.uncompressedSize) bytes") }
        let metaRaw = try decompress(metaMember, codecFor: codecFor, bad)
        let meta: BatchMeta
        do {
            meta = try JSONDecoder().decode(BatchMeta.self, from: Data(try decodeNpy(metaRaw, "meta", bad).data))
        } catch let e as StorageError {
            throw e
        } catch {
            throw bad("its meta member is not valid batch metadata")
        }
        guard meta.format == "quern-batch", meta.version == 1 else { throw bad("format \(meta.format) v\(meta.version) is not one this quern reads") }
        guard meta.rows >= 0 else { throw bad("meta claims \(meta.rows) rows") }
        if let why = unsafeName(in: meta.schema) { throw bad(why) }
        var claimed = 0
        for m in members where m.name != "meta.npy" {
            guard m.name.hasSuffix(".npy") else { throw bad("unexpected member \(m.name)") }
            var limit = maxExpansion(method: m.method, compressed: m.compressed.count)
            if let data = dataBytes(of: String(m.name.dropLast(4)), meta: meta) {
                limit = data == Int.max ? 0 : min(limit, data + maxNpyHeader)
            }
            guard m.uncompressedSize <= limit else {
                throw bad("member \(m.name) claims \(m.uncompressedSize) bytes, more than its \(m.compressed.count) compressed bytes and \(meta.rows) rows can hold")
            }
            claimed += m.uncompressedSize
        }
        guard claimed <= maxDecompressedBytes else {
            throw bad("its members claim \(Human.bytes(claimed)) in all, more than this machine can hold (\(Human.bytes(maxDecompressedBytes)))")
        }
        var arrays: [String: NpyArray] = [:]
        var chained = CRC32()
        for m in members where m.name != "meta.npy" {
            let key = String(m.name.dropLast(4))
            arrays[key] = try decodeNpy(try decompress(m, codecFor: codecFor, bad), key, bad)
            withUnsafeBytes(of: m.crc32.littleEndian) { chained.update($0) }
        }
        guard chained.hex == meta.checksum else { throw bad("checksum \(chained.hex) differs from the recorded \(meta.checksum)") }
        let batch = try rows(from: arrays, meta: meta, bad)
        return Loaded(meta: meta, batch: batch, fileCRC: fileCRC, fileBytes: bytes.count)
    }

    /// Head names become array names in the outputs and parts of file names in the staging
    /// folder, so one read from a file must be a plain name, as the config requires; widths and
    /// class counts must be positive.
    static func unsafeName(in schema: FeatureSchema) -> String? {
        func plain(_ s: String) -> Bool { !s.isEmpty && s.utf8.count <= 200 && s.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") } }
        for h in schema.labels where !plain(h.name) || h.classes < 1 {
            return "its schema has a label head '\(h.name.prefix(60))' with \(h.classes) classes (head names are letters, digits and _)"
        }
        for m in schema.masks where !plain(m.name) || m.width < 1 {
            return "its schema has a mask head '\(m.name.prefix(60))' of width \(m.width) (head names are letters, digits and _)"
        }
        return nil
    }

    /// The data bytes (header excluded) the array `key` must hold for `meta`'s rows and schema; nil
    /// for byte-string arrays, whose width the file chooses; `Int.max` when the product overflows.
    static func dataBytes(of key: String, meta: BatchMeta) -> Int? {
        let n = meta.rows
        let width: Int
        if key == "X" {
            width = meta.schema.features.count * 4
        } else if key == "group_index" || key == "source_index" || (key.hasPrefix("label_") && meta.schema.labels.contains { "label_\($0.name)" == key }) {
            width = 4
        } else if key == "source_row" {
            width = 8
        } else if key.hasPrefix("mask_"), let head = meta.schema.masks.first(where: { "mask_\($0.name)" == key }) {
            width = head.width
        } else {
            return nil
        }
        let (v, o) = n.multipliedReportingOverflow(by: width)
        return o || v > Int(UInt32.max) ? Int.max : v
    }

    private static func decompress(_ m: ZipArchive.Member, codecFor: (UInt16) throws -> (any Codec)?, _ bad: (String) -> StorageError) throws -> [UInt8] {
        let raw: [UInt8]
        if m.method == 0 {
            raw = m.compressed
        } else {
            guard let codec = try codecFor(m.method) else {
                throw bad("member \(m.name) uses ZIP method \(m.method), which no registered codec reads")
            }
            do {
                raw = try m.compressed.withUnsafeBytes { try codec.decompress($0, originalSize: m.uncompressedSize) }
            } catch {
                throw bad("member \(m.name) does not decompress (\(error))")
            }
        }
        guard raw.count == m.uncompressedSize, CRC32.of(raw) == m.crc32 else {
            throw bad("member \(m.name) fails its CRC-32 check (the file is damaged)")
        }
        return raw
    }

    private static func decodeNpy(_ raw: [UInt8], _ key: String, _ bad: (String) -> StorageError) throws -> NpyArray {
        do { return try NpyArray.decode(raw) } catch { throw bad("member \(key): \(error)") }
    }

    /// The bytes of a regular file of at most `limit` bytes (checked before reading).
    static func readWhole(_ path: String, limit: Int) throws -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw StorageError.io(path: path, operation: "read", errno: errno) }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw StorageError.io(path: path, operation: "read", errno: errno) }
        guard (st.st_mode & S_IFMT) == S_IFREG else { throw StorageError.corruptBatch(path: path, reason: "it is not a regular file") }
        let size = Int(st.st_size)
        guard size <= limit else { throw StorageError.corruptBatch(path: path, reason: "it is \(Human.bytes(size)), larger than any batch file can be (4 GiB)") }
        var out = [UInt8](repeating: 0, count: size)
        var done = 0
        while done < size {
            let n = out.withUnsafeMutableBytes { pread(fd, $0.baseAddress! + done, size - done, off_t(done)) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else {
                if n == 0 { break }
                throw StorageError.io(path: path, operation: "read", errno: errno)
            }
            done += n
        }
        if done < size { out.removeLast(size - done) }  // shrank while being read
        return out
    }
}
