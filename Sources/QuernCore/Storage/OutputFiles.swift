import CZlib
import Foundation

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

    /// Where large writes go when set: a background thread (see ``WriteBehind``).
    private let writeBehind: WriteBehind?
    /// Whether the thread starts each write's writeback to disk (a file final as written).
    private let writeback: Bool

    /// `bufferBytes`: bytes gathered before a write (smaller under a memory limit). `writeback`:
    /// the file is final as its bytes are written (nothing rewrites them but its header), so the
    /// write-behind thread hands each write to the disk at once (see ``WriteBehind/submit``).
    public init(
        path: String, trackCRC: Bool = false, writeBehind: WriteBehind? = nil, bufferBytes: Int = 1 << 20,
        writeback: Bool = false
    ) throws {
        self.path = path
        self.trackCRC = trackCRC
        self.writeBehind = writeBehind
        self.writeback = writeback
        self.bufferBytes = max(4096, bufferBytes)
        fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw StorageError.io(path: path, operation: "create", errno: errno) }
        buffer.reserveCapacity(self.bufferBytes)
    }

    deinit {
        // Queued writes hold this descriptor's number: let them finish before it can be reused.
        try? writeBehind?.drain()
        if fd >= 0 { Glibc.close(fd) }
    }

    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        if trackCRC { crc.update(bytes) }
        written += bytes.count
        if buffer.count + bytes.count > bufferBytes { try flush() }
        if bytes.count > bufferBytes {
            // Behind queued writes, a large write must queue too (a copy: pass arrays to
            // `write(array:)` to avoid it).
            if let writeBehind {
                try writeBehind.submit(fd: fd, path: path, [UInt8](bytes), count: bytes.count, writeback: writeback)
            } else {
                try AtomicFile.writeAll(fd, bytes, path: path)
            }
        } else {
            buffer.append(contentsOf: bytes)
        }
    }

    public func write(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try write($0) }
    }

    /// Appends a whole array. With a ``WriteBehind``, a large array is handed over as it is (no
    /// copy) and written on the background thread.
    public func write<T: BitwiseCopyable & Sendable>(array: [T]) throws {
        let count = array.count * MemoryLayout<T>.stride
        guard let writeBehind, count >= 64 << 10 else {
            try array.withUnsafeBytes { try write($0) }
            return
        }
        if trackCRC { array.withUnsafeBytes { crc.update($0) } }
        try flush()
        written += count
        try writeBehind.submit(fd: fd, path: path, ArrayBytes(array: array), count: count, writeback: writeback)
    }

    /// Appends the element ranges `ranges` of `array`, in order. With a ``WriteBehind`` and
    /// enough bytes, the array is handed over as it is and the ranges are written from it with
    /// `writev` on the background thread: no gathering copy.
    public func write<T: BitwiseCopyable & Sendable>(array: [T], ranges: [Range<Int>]) throws {
        let size = MemoryLayout<T>.stride
        let byteRanges = ranges.map { ($0.lowerBound * size)..<($0.upperBound * size) }
        let count = byteRanges.reduce(0) { $0 + $1.count }
        guard let writeBehind, count >= 64 << 10 else {
            try array.withUnsafeBytes { raw in
                for r in byteRanges { try write(UnsafeRawBufferPointer(rebasing: raw[r])) }
            }
            return
        }
        if trackCRC {
            array.withUnsafeBytes { raw in for r in byteRanges { crc.update(UnsafeRawBufferPointer(rebasing: raw[r])) }
            }
        }
        try flush()
        written += count
        try writeBehind.submit(
            fd: fd, path: path, ArrayBytes(array: array), count: count, ranges: byteRanges, writeback: writeback)
    }

    public func flush() throws {
        guard !buffer.isEmpty else { return }
        if let writeBehind {
            try writeBehind.submit(fd: fd, path: path, buffer, count: buffer.count, writeback: writeback)
            buffer = []
            buffer.reserveCapacity(bufferBytes)
            return
        }
        try buffer.withUnsafeBytes { try AtomicFile.writeAll(fd, $0, path: path) }
        buffer.removeAll(keepingCapacity: true)
    }

    /// Waits for this writer's queued writes (all of the shared queue's, in fact).
    private func settle() throws {
        try flush()
        try writeBehind?.drain()
    }

    /// Overwrites bytes at `offset` (after a flush), e.g. a header whose shape is known at the end.
    public func patch(_ bytes: [UInt8], at offset: Int) throws {
        try settle()
        let n = bytes.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, off_t(offset)) }
        guard n == bytes.count else { throw StorageError.io(path: path, operation: "write", errno: errno) }
    }

    /// Flushes; with `sync`, also fsyncs (temporary files that never get published skip it).
    public func close(sync: Bool = true) throws {
        try settle()
        if sync { guard fsync(fd) == 0 else { throw StorageError.io(path: path, operation: "fsync", errno: errno) } }
    }
}

/// Any array's bytes, retained until a ``WriteBehind`` has written them.
struct ArrayBytes<T: BitwiseCopyable & Sendable>: ContiguousBytes, Sendable {
    let array: [T]
    func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try array.withUnsafeBytes(body)
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
        try out.write(StoredZipRecords.local(name: nameBytes))
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
        guard size < Int(UInt32.max) else {
            throw StorageError.tooLarge(path: out.path, what: "member \(name)", limit: "4 GiB")
        }
        var fix: [UInt8] = []
        fix.le32(crc.value)
        fix.le32(UInt32(size))
        fix.le32(UInt32(size))
        try out.patch(fix, at: offset + 14)
        central += StoredZipRecords.central(name: nameBytes, crc: crc.value, size: size, offset: offset)
        count += 1
    }

    public func close() throws {
        let cdOffset = out.written
        try out.write(
            central + StoredZipRecords.end(entries: count, centralBytes: central.count, centralOffset: cdOffset))
        try out.close()
    }
}

/// Where a row stream's label or mask rows go: an `.npy` being written, or the one member of an
/// `.npz` being written in place (``NpzMemberFile``).
public protocol RowArrayFile: AnyObject {
    func write(_ bytes: UnsafeRawBufferPointer) throws
    func write<T: BitwiseCopyable & Sendable>(array: [T]) throws
    /// Appends the element ranges `ranges` of `array`, in order.
    func write<T: BitwiseCopyable & Sendable>(array: [T], ranges: [Range<Int>]) throws
    /// Writes the final `.npy` header (the shape is known only now), flushes, and with `sync` fsyncs.
    func finish(header: [UInt8], sync: Bool) throws
}

extension BufferedFileWriter: RowArrayFile {
    public func finish(header: [UInt8], sync: Bool) throws {
        try patch(header, at: 0)
        try close(sync: sync)
    }
}

/// An `.npz` with one stored member, written as its rows arrive: the ZIP local header and a
/// fixed-length `.npy` header first, the rows straight after, then at the end the real `.npy`
/// header, the member's CRC-32 (the header's combined with the rows', kept as they were written)
/// and sizes, and the central directory. A label or mask head that is alone in its `.npz` is
/// written once, instead of to a row file that is then copied into the `.npz`.
public final class NpzMemberFile: RowArrayFile {
    private let out: BufferedFileWriter
    private let nameBytes: [UInt8]
    private var crc = CRC32()
    private var dataBytes = 0

    public init(path: String, member: String, writeBehind: WriteBehind? = nil, bufferBytes: Int = 1 << 20) throws {
        // Its rows are final as written (only the headers are patched at the end, by pwrite).
        out = try BufferedFileWriter(path: path, writeBehind: writeBehind, bufferBytes: bufferBytes, writeback: true)
        nameBytes = Array("\(member).npy".utf8)
        try out.write(StoredZipRecords.local(name: nameBytes))
        try out.write([UInt8](repeating: 0x20, count: NpyHeader.length))
    }

    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        crc.update(bytes)
        dataBytes += bytes.count
        try out.write(bytes)
    }

    public func write<T: BitwiseCopyable & Sendable>(array: [T]) throws {
        array.withUnsafeBytes { crc.update($0) }
        dataBytes += array.count * MemoryLayout<T>.stride
        try out.write(array: array)
    }

    public func write<T: BitwiseCopyable & Sendable>(array: [T], ranges: [Range<Int>]) throws {
        let size = MemoryLayout<T>.stride
        array.withUnsafeBytes { raw in
            for r in ranges {
                crc.update(UnsafeRawBufferPointer(rebasing: raw[(r.lowerBound * size)..<(r.upperBound * size)]))
            }
        }
        dataBytes += ranges.reduce(0) { $0 + $1.count } * size
        try out.write(array: array, ranges: ranges)
    }

    public func finish(header: [UInt8], sync: Bool) throws {
        precondition(header.count == NpyHeader.length)
        let size = header.count + dataBytes
        guard size < Int(UInt32.max) else {
            throw StorageError.tooLarge(
                path: out.path, what: "member \(String(decoding: nameBytes, as: UTF8.self))", limit: "4 GiB")
        }
        let value = UInt32(crc32_combine(uLong(CRC32.of(header)), uLong(crc.value), numericCast(dataBytes)))
        let localLength = 30 + nameBytes.count
        try out.patch(header, at: localLength)
        var fix: [UInt8] = []
        fix.le32(value)
        fix.le32(UInt32(size))
        fix.le32(UInt32(size))
        try out.patch(fix, at: 14)
        let central = StoredZipRecords.central(name: nameBytes, crc: value, size: size, offset: 0)
        try out.write(
            central + StoredZipRecords.end(entries: 1, centralBytes: central.count, centralOffset: out.written))
        try out.close(sync: sync)
    }
}

/// The ZIP records of a stored member, shared by the `.npz` writers: the local header (CRC and
/// sizes zero, patched at offset 14 once known) and the central directory entry.
enum StoredZipRecords {
    static func local(name: [UInt8]) -> [UInt8] {
        var local: [UInt8] = []
        local.le32(0x0403_4B50)
        local.le16(20)
        local.le16(0)
        local.le16(0)
        local.le16(0)
        local.le16(ZipArchive.dosDate)
        local.le32(0)
        local.le32(0)
        local.le32(0)
        local.le16(UInt16(name.count))
        local.le16(0)
        return local + name
    }

    static func central(name: [UInt8], crc: UInt32, size: Int, offset: Int) -> [UInt8] {
        ZipArchive.centralEntry(
            name: name, method: 0, crc32: crc, compressedSize: size, uncompressedSize: size, offset: offset)
    }

    static func end(entries: Int, centralBytes: Int, centralOffset: Int) -> [UInt8] {
        var end: [UInt8] = []
        end.le32(0x0605_4B50)
        end.le16(0)
        end.le16(0)
        end.le16(UInt16(entries))
        end.le16(UInt16(entries))
        end.le32(UInt32(centralBytes))
        end.le32(UInt32(centralOffset))
        end.le16(0)
        return end
    }
}
