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

    /// Checksums every quern output in `dir` (one read of each, the files in parallel) and writes
    /// the manifest atomically. Run it after the last output is final, before publishing.
    /// `arrays`: the names of the extractor's output arrays, whose files count too.
    public static func write(dir: String, arrays: [String] = []) throws {
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? [])
            .filter {
                $0 != fileName && (OutputPublisher.isQuernOutput($0) || OutputFolderLayout.isArray($0, of: arrays))
            }.sorted()
        let results = Mutex<[String: Result<Record, StorageError>]>([:])
        DispatchQueue.concurrentPerform(iterations: names.count) { i in
            let r = Result { () throws(StorageError) in try checksum(of: "\(dir)/\(names[i])") }
            results.withLock { $0[names[i]] = r }
        }
        var files: [String: Record] = [:]
        for (name, r) in results.withLock({ $0 }) { files[name] = try r.get() }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let data = try encoder.encode(Manifest(files: files))
        try AtomicFile.write(String(decoding: data, as: UTF8.self) + "\n", to: "\(dir)/\(fileName)")
    }

    /// A file's size and CRC-32, read in 4 MiB chunks.
    public static func checksum(of path: String) throws(StorageError) -> Record {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .io(path: path, operation: "open to checksum", errno: errno) }
        defer { close(fd) }
        let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: 4 << 20, alignment: 16)
        defer { chunk.deallocate() }
        var crc = CRC32()
        var bytes = 0
        while true {
            let n = Glibc.read(fd, chunk.baseAddress, chunk.count)
            if n < 0 && errno == EINTR { continue }
            guard n >= 0 else { throw .io(path: path, operation: "read to checksum", errno: errno) }
            if n == 0 { break }
            crc.update(UnsafeRawBufferPointer(rebasing: chunk[0..<n]))
            bytes += n
        }
        return Record(bytes: bytes, crc32: crc.hex)
    }

    /// The manifest of `dir`; nil when there is none. Throws when it is there but unreadable.
    public static func read(dir: String) throws -> Manifest? {
        let path = "\(dir)/\(fileName)"
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        let bytes = try BatchFile.readWhole(path, limit: 64 << 20)
        return try JSONDecoder().decode(Manifest.self, from: Data(bytes))
    }
}
