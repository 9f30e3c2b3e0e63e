public import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Appends bytes to a new file through a buffer; `close()` flushes and fsyncs.
public final class BufferedFileWriter {
    public let path: String
    let fd: Int32
    private var buffer: [UInt8] = []
    public private(set) var written = 0
    public private(set) var crc = CRC32()
    private let trackCRC: Bool
    private let bufferBytes: Int

    /// `bufferBytes`: bytes gathered before a write (smaller under a memory limit).
    public init(path: String, trackCRC: Bool = false, bufferBytes: Int = 1 << 20) throws {
        self.path = path
        self.trackCRC = trackCRC
        self.bufferBytes = max(4096, bufferBytes)
        fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw StorageError.io(path: path, operation: "create", errno: errno) }
        buffer.reserveCapacity(self.bufferBytes)
    }

    deinit { if fd >= 0 { Glibc.close(fd) } }

    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        if trackCRC { crc.update(bytes) }
        written += bytes.count
        if buffer.count + bytes.count > bufferBytes { try flush() }
        if bytes.count > bufferBytes {
            try AtomicFile.writeAll(fd, bytes, path: path)
        } else {
            buffer.append(contentsOf: bytes)
        }
    }

    public func write(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try write($0) }
    }

    public func flush() throws {
        guard !buffer.isEmpty else { return }
        try buffer.withUnsafeBytes { try AtomicFile.writeAll(fd, $0, path: path) }
        buffer.removeAll(keepingCapacity: true)
    }

    /// Overwrites bytes at `offset` (after a flush), e.g. a header whose shape is known at the end.
    public func patch(_ bytes: [UInt8], at offset: Int) throws {
        try flush()
        let n = bytes.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, off_t(offset)) }
        guard n == bytes.count else { throw StorageError.io(path: path, operation: "write", errno: errno) }
    }

    /// Flushes; with `sync`, also fsyncs (temporary files that never get published skip it).
    public func close(sync: Bool = true) throws {
        try flush()
        if sync { guard fsync(fd) == 0 else { throw StorageError.io(path: path, operation: "fsync", errno: errno) } }
    }
}

/// `.npy` headers of a fixed length (128 bytes), so a file can be written before its row count is
/// known and the header rewritten in place at the end.
public enum NpyHeader {
    public static let length = 128

    public static func bytes(descr: String, shape: [Int]) -> [UInt8] {
        let shapeText = shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
        var dict = "{'descr': '\(descr)', 'fortran_order': False, 'shape': \(shapeText), }"
        dict += String(repeating: " ", count: max(0, length - 10 - dict.utf8.count - 1)) + "\n"
        var out: [UInt8] = [0x93] + Array("NUMPY".utf8) + [1, 0]
        let n = UInt16(dict.utf8.count)
        out += [UInt8(n & 0xFF), UInt8(n >> 8)]
        return out + Array(dict.utf8)
    }
}

/// Writes an `.npz` (ZIP, members stored) whose arrays come from raw files, streaming: the local
/// header is patched with the CRC and sizes once each member is copied.
public final class NpzStreamWriter {
    private let out: BufferedFileWriter
    private var central: [UInt8] = []
    private var count = 0

    public init(path: String) throws {
        out = try BufferedFileWriter(path: path)
    }

    /// Adds member `name.npy`: header for `descr`/`shape`, then the bytes of `rawPath`.
    public func add(name: String, descr: String, shape: [Int], rawPath: String, skip: Int = 0) throws {
        let header = NpyArray(descr: descr, shape: shape, data: []).headerBytes()
        let nameBytes = Array("\(name).npy".utf8)
        let offset = out.written
        var local: [UInt8] = []
        local.le32(0x0403_4B50); local.le16(20); local.le16(0); local.le16(0); local.le16(0); local.le16(ZipArchive.dosDate)
        local.le32(0); local.le32(0); local.le32(0)
        local.le16(UInt16(nameBytes.count)); local.le16(0)
        local += nameBytes
        try out.write(local)
        var crc = CRC32()
        header.withUnsafeBytes { crc.update($0) }
        try out.write(header)
        var size = header.count
        let fd = open(rawPath, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw StorageError.io(path: rawPath, operation: "read", errno: errno) }
        defer { Glibc.close(fd) }
        if skip > 0 { lseek(fd, off_t(skip), SEEK_SET) }
        let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 8)
        defer { chunk.deallocate() }
        while true {
            let n = read(fd, chunk.baseAddress, chunk.count)
            guard n >= 0 else { throw StorageError.io(path: rawPath, operation: "read", errno: errno) }
            if n == 0 { break }
            let part = UnsafeRawBufferPointer(rebasing: chunk[0..<n])
            crc.update(part)
            try out.write(part)
            size += n
        }
        guard size < Int(UInt32.max) else { throw StorageError.tooLarge(path: out.path, what: "member \(name)", limit: "4 GiB") }
        var fix: [UInt8] = []
        fix.le32(crc.value); fix.le32(UInt32(size)); fix.le32(UInt32(size))
        try out.patch(fix, at: offset + 14)
        central.le32(0x0201_4B50)
        central.le16(20); central.le16(20); central.le16(0); central.le16(0); central.le16(0); central.le16(ZipArchive.dosDate)
        central.le32(crc.value); central.le32(UInt32(size)); central.le32(UInt32(size))
        central.le16(UInt16(nameBytes.count)); central.le16(0); central.le16(0); central.le16(0); central.le16(0)
        central.le32(0o100644 << 16); central.le32(UInt32(offset))
        central += nameBytes
        count += 1
    }

    public func close() throws {
        let cdOffset = out.written
        try out.write(central)
        var end: [UInt8] = []
        end.le32(0x0605_4B50); end.le16(0); end.le16(0); end.le16(UInt16(count)); end.le16(UInt16(count))
        end.le32(UInt32(central.count)); end.le32(UInt32(cdOffset)); end.le16(0)
        try out.write(end)
        try out.close()
    }
}
