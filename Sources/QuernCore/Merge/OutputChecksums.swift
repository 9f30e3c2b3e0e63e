import CZlib
import Foundation
import QuernKit
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// `checksums.json` in an output folder: the size and CRC-32 of every other file quern wrote
/// there (`X_*.npy`, `labels_*.npz`, `masks_*.npz`, `preprocessing_stats.json`), recorded by the
/// save step as the last file of the staging folder, so it is published with the outputs it
/// describes. `quern verify` recomputes them: a flipped bit in X's data or a mean edited by hand
/// keeps every shape and count plausible, and only a checksum sees it.
///
/// ```json
/// {"algorithm": "crc32", "files": {"X_train.npy": {"bytes": 3848, "crc32": "1c291ca3"}, ...},
///  "format": "quern-output-checksums", "version": 1}
/// ```
///
/// CRC-32 (as ZIP, gzip and Python's `zlib.crc32` compute it) finds accidental damage and edits;
/// it is no defence against someone who rewrites the file and its checksum together.
public enum OutputChecksums {
    public static let fileName = OutputFolderLayout.checksums

    /// One file's size and CRC-32 (8 hex digits).
    public struct Record: Codable, Sendable, Equatable {
        public var bytes: Int
        public var crc32: String

        public init(bytes: Int, crc32: String) {
            self.bytes = bytes
            self.crc32 = crc32
        }
    }

    /// The file's content.
    public struct Manifest: Codable, Sendable, Equatable {
        public var format = "quern-output-checksums"
        public var version = 1
        public var algorithm = "crc32"
        public var files: [String: Record]

        public init(files: [String: Record]) { self.files = files }
    }

    /// Bytes of one file checksummed by one thread at a time: X_train is most of an output folder,
    /// so a file is cut into pieces that run in parallel and are joined with `crc32_combine`.
    public static let pieceBytes = 32 << 20

    /// Checksums every quern output in `dir` (one read of each, in pieces of up to ``pieceBytes``
    /// in parallel) and writes the manifest atomically. Run it after the last output is final,
    /// before publishing. `arrays`: the names of the extractor's output arrays, whose files count too.
    public static func write(dir: String, arrays: [String] = [], pieceBytes: Int = pieceBytes) throws {
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? [])
            .filter {
                $0 != fileName && (OutputPublisher.isQuernOutput($0) || OutputFolderLayout.isArray($0, of: arrays))
            }.sorted()
        var pieces: [(file: Int, range: Range<Int>)] = []
        for (k, name) in names.enumerated() {
            var st = stat()
            guard stat("\(dir)/\(name)", &st) == 0 else {
                throw StorageError.io(path: "\(dir)/\(name)", operation: "stat to checksum", errno: errno)
            }
            let size = Int(st.st_size)
            pieces += stride(from: 0, to: max(size, 1), by: pieceBytes).map {
                (k, $0..<min($0 + pieceBytes, size))
            }
        }
        let results = Mutex<[Int: Result<UInt32, StorageError>]>([:])
        let work = pieces
        DispatchQueue.concurrentPerform(iterations: work.count) { i in
            let r = Result { () throws(StorageError) in
                try checksum(of: "\(dir)/\(names[work[i].file])", range: work[i].range)
            }
            results.withLock { $0[i] = r }
        }
        let crcs = results.withLock { $0 }
        // The pieces of a file are in order: each one's CRC-32 is joined to the CRC-32 so far.
        var joined = [UInt32](repeating: 0, count: names.count)
        var bytes = [Int](repeating: 0, count: names.count)
        for (i, piece) in pieces.enumerated() {
            let crc = try crcs[i]!.get()
            joined[piece.file] =
                piece.range.lowerBound == 0
                ? crc : UInt32(crc32_combine(uLong(joined[piece.file]), uLong(crc), numericCast(piece.range.count)))
            bytes[piece.file] = piece.range.upperBound
        }
        var files: [String: Record] = [:]
        for (k, name) in names.enumerated() { files[name] = Record(bytes: bytes[k], crc32: crc32Hex(joined[k])) }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let data = try encoder.encode(Manifest(files: files))
        try AtomicFile.write(String(decoding: data, as: UTF8.self) + "\n", to: "\(dir)/\(fileName)")
    }

    /// A file's size and CRC-32, read in 4 MiB chunks.
    public static func checksum(of path: String) throws(StorageError) -> Record {
        var bytes = 0
        let crc = try checksum(of: path, range: 0..<Int.max, read: &bytes)
        return Record(bytes: bytes, crc32: crc32Hex(crc))
    }

    /// The CRC-32 of the bytes `range` of a file, which must hold them all.
    static func checksum(of path: String, range: Range<Int>) throws(StorageError) -> UInt32 {
        var bytes = 0
        let crc = try checksum(of: path, range: range, read: &bytes)
        guard bytes == range.count else {
            throw .io(path: path, operation: "read to checksum (it changed size while being read)", errno: EIO)
        }
        return crc
    }

    /// The CRC-32 of the bytes `range` of a file (up to its end), read in 4 MiB chunks; `read`
    /// counts them.
    private static func checksum(of path: String, range: Range<Int>, read: inout Int) throws(StorageError) -> UInt32 {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .io(path: path, operation: "open to checksum", errno: errno) }
        defer { close(fd) }
        let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: 4 << 20, alignment: 16)
        defer { chunk.deallocate() }
        var crc = CRC32()
        while read < range.count {
            let n = pread(fd, chunk.baseAddress, min(chunk.count, range.count - read), off_t(range.lowerBound + read))
            if n < 0 && errno == EINTR { continue }
            guard n >= 0 else { throw .io(path: path, operation: "read to checksum", errno: errno) }
            if n == 0 { break }
            crc.update(UnsafeRawBufferPointer(rebasing: chunk[0..<n]))
            read += n
        }
        return crc.value
    }

    /// The manifest of `dir`; nil when there is none. Throws when it is there but unreadable.
    public static func read(dir: String) throws -> Manifest? {
        let path = "\(dir)/\(fileName)"
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        let bytes = try BatchFile.readWhole(path, limit: 64 << 20)
        return try JSONDecoder().decode(Manifest.self, from: Data(bytes))
    }
}
