import CQuernSys
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Direct I/O (Linux `O_DIRECT`) for the large files Quern writes once and reads once: batch
/// files and output arrays. Their bytes go between Quern's own (reused) buffers and the disk
/// without passing through the page cache, which would copy every byte and take a fresh page of
/// memory for every 4 KiB written. On a virtual machine whose free memory is handed back to the
/// host, that first touch of a fresh page was the largest single cost of a merge (see
/// docs/performance.md); on any machine it keeps GBs of arrays from evicting the user's files.
///
/// Where the filesystem refuses it (tmpfs before Linux 6.6, some FUSE and network filesystems),
/// or `QUERN_DIRECT_IO=0` is set, the same calls read and write through the page cache: only the
/// speed differs, never the bytes.
public enum DirectIO {
    /// Buffers, lengths and file offsets of direct transfers are multiples of this (the largest
    /// logical block size of common disks).
    public static let alignment = 4096

    /// False when `QUERN_DIRECT_IO=0` (or `off`, `no`, `false`) is in the environment.
    public static let enabled: Bool = {
        guard let value = ProcessInfo.processInfo.environment["QUERN_DIRECT_IO"]?.lowercased() else { return true }
        return !["0", "off", "no", "false"].contains(value)
    }()

    /// Opens `path` with `flags`, adding `O_DIRECT` when enabled and the filesystem accepts it.
    /// Returns the descriptor (or -1 with errno set, as `open`) and whether it is direct.
    public static func open(_ path: String, _ flags: Int32, _ mode: UInt32 = 0o644) -> (fd: Int32, direct: Bool) {
        if enabled {
            let fd = Glibc.open(path, flags | quern_direct_flag(), mode)
            if fd >= 0 { return (fd, true) }
            guard errno == EINVAL else { return (-1, false) }
        }
        return (Glibc.open(path, flags, mode), false)
    }

    /// Turns direct I/O off for `fd` (before unaligned writes such as a header patched in place).
    public static func stopDirect(_ fd: Int32) {
        _ = quern_set_direct(fd, 0)
    }

    /// `count` rounded up to a multiple of ``alignment``.
    public static func roundUp(_ count: Int) -> Int {
        (count + alignment - 1) / alignment * alignment
    }

    /// An aligned buffer of at least `count` bytes, for direct transfers (free it with `deallocate`).
    public static func buffer(_ count: Int) -> UnsafeMutableRawBufferPointer {
        UnsafeMutableRawBufferPointer.allocate(byteCount: max(alignment, roundUp(count)), alignment: alignment)
    }

    /// `pwrite` of all of `bytes` at `offset`. On a direct descriptor the caller keeps `bytes`
    /// aligned and a multiple of ``alignment`` long, and `offset` aligned; when the filesystem
    /// still refuses the transfer (EINVAL), direct I/O is turned off for `fd` and the write retried
    /// through the page cache.
    public static func writeAll(
        _ fd: Int32, _ bytes: UnsafeRawBufferPointer, at offset: Int, path: String
    ) throws(StorageError) {
        var done = 0
        var fellBack = false
        while done < bytes.count {
            let n = pwrite(fd, bytes.baseAddress! + done, bytes.count - done, off_t(offset + done))
            if n < 0 {
                if errno == EINTR { continue }
                if errno == EINVAL && !fellBack {
                    fellBack = true
                    stopDirect(fd)
                    continue
                }
                throw .io(path: path, operation: "write", errno: errno)
            }
            done += n
        }
    }

    /// `pread` into `buffer` from `offset` until it is full or the file ends; the bytes read. On a
    /// direct descriptor `buffer` and `offset` are aligned and `buffer` a multiple of
    /// ``alignment`` long (the file's end may still fall anywhere); EINVAL falls back as above.
    public static func readAll(
        _ fd: Int32, into buffer: UnsafeMutableRawBufferPointer, at offset: Int, path: String
    ) throws(StorageError) -> Int {
        var done = 0
        var fellBack = false
        while done < buffer.count {
            let n = pread(fd, buffer.baseAddress! + done, buffer.count - done, off_t(offset + done))
            if n < 0 {
                if errno == EINTR { continue }
                if errno == EINVAL && !fellBack {
                    fellBack = true
                    stopDirect(fd)
                    continue
                }
                throw .io(path: path, operation: "read", errno: errno)
            }
            if n == 0 { break }
            done += n
            // A short direct read ends at the file's end, which need not be aligned: stop there
            // (another read from an unaligned offset would be refused).
            if done % alignment != 0 { break }
        }
        return done
    }
}

/// Appends bytes to a file sequentially through one aligned buffer, writing whole aligned blocks
/// with direct I/O as the buffer fills; ``finish()`` writes the last, partial block padded with
/// zeros and cuts the file to its true length. Without direct I/O it writes the same bytes
/// through the page cache. The descriptor stays the caller's (it opens and closes it).
public final class DirectAppender {
    public let path: String
    let fd: Int32
    private let buffer: UnsafeMutableRawBufferPointer
    private var filled = 0
    /// Where the buffer's first byte goes in the file (always aligned).
    private var fileOffset: Int
    public private(set) var written = 0

    /// `start`: the file offset of the first byte appended, a multiple of ``DirectIO/alignment``.
    public init(fd: Int32, path: String, start: Int = 0, bufferBytes: Int = 4 << 20) {
        precondition(start % DirectIO.alignment == 0)
        self.fd = fd
        self.path = path
        self.fileOffset = start
        self.written = start
        buffer = DirectIO.buffer(bufferBytes)
    }

    deinit { buffer.deallocate() }

    public func append(_ bytes: UnsafeRawBufferPointer) throws(StorageError) {
        var from = 0
        while from < bytes.count {
            let n = min(buffer.count - filled, bytes.count - from)
            (buffer.baseAddress! + filled).copyMemory(from: bytes.baseAddress! + from, byteCount: n)
            filled += n
            from += n
            if filled == buffer.count { try flushWhole() }
        }
        written += bytes.count
    }

    /// Appends the byte ranges `ranges` of `bytes`, in order.
    public func append(_ bytes: UnsafeRawBufferPointer, ranges: [Range<Int>]) throws(StorageError) {
        for r in ranges { try append(UnsafeRawBufferPointer(rebasing: bytes[r])) }
    }

    /// Writes the buffer's whole aligned blocks, keeping the partial one at its front.
    private func flushWhole() throws(StorageError) {
        let whole = filled / DirectIO.alignment * DirectIO.alignment
        guard whole > 0 else { return }
        try DirectIO.writeAll(fd, UnsafeRawBufferPointer(rebasing: buffer[0..<whole]), at: fileOffset, path: path)
        fileOffset += whole
        let rest = filled - whole
        if rest > 0 { buffer.baseAddress!.copyMemory(from: buffer.baseAddress! + whole, byteCount: rest) }
        filled = rest
    }

    /// Writes what is left (the last block padded with zeros, then cut off with `ftruncate`);
    /// the file is then exactly ``written`` bytes long. The caller syncs and closes.
    public func finish() throws(StorageError) {
        try flushWhole()
        if filled > 0 {
            let padded = DirectIO.roundUp(filled)
            (buffer.baseAddress! + filled).initializeMemory(as: UInt8.self, repeating: 0, count: padded - filled)
            try DirectIO.writeAll(fd, UnsafeRawBufferPointer(rebasing: buffer[0..<padded]), at: fileOffset, path: path)
            fileOffset += filled
            filled = 0
        }
        guard ftruncate(fd, off_t(written)) == 0 else { throw .io(path: path, operation: "write", errno: errno) }
    }
}
