public import QuernKit

#if canImport(Glibc)
    import Glibc
#endif

/// A file read with plain `read(2)`, in the caller's chunk size. Keeps a CRC-32 and a count of the
/// raw bytes, so the journal can record the content hash of each input without a second read.
public final class FileSource: ByteSource {
    public let path: String
    public var filePath: String? { path }
    private let fd: Int32
    public private(set) var crc = CRC32()
    public private(set) var bytesRead = 0

    /// The file's size when it was opened (a hint for buffer sizes).
    public let sizeHint: Int

    public init(path: String) throws(ReadError) {
        self.path = path
        fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw ReadError(line: nil, "cannot open: \(String(cString: strerror(errno)))") }
        var st = stat()
        sizeHint = fstat(fd, &st) == 0 ? Int(st.st_size) : 0
    }

    deinit { close(fd) }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws(ReadError) -> Int {
        while true {
            let n = Glibc.read(fd, buffer.baseAddress, buffer.count)
            if n < 0 {
                if errno == EINTR { continue }
                throw ReadError(line: nil, "read failed: \(String(cString: strerror(errno)))")
            }
            crc.update(UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
            bytesRead += n
            return n
        }
    }

    /// Reads the rest of the file (to finish the content hash when a reader stops early).
    public func drain() throws(ReadError) {
        let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: 8)
        defer { scratch.deallocate() }
        while try read(into: scratch) > 0 {}
    }
}
