#if canImport(Glibc)
import Glibc
#endif

/// A stream of bytes: a file, or a decompressed view of one.
public protocol ByteSource: AnyObject {
    /// Reads up to `buffer.count` bytes; 0 at the end.
    func read(into buffer: UnsafeMutableRawBufferPointer) throws(ReadError) -> Int
}

/// A file read with plain `read(2)`, in the caller's chunk size. Keeps a CRC-32 and a count of the
/// raw bytes, so the journal can record the content hash of each input without a second read.
public final class FileSource: ByteSource {
    public let path: String
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

/// The decompressed bytes of a compressed source, through a codec's ``StreamDecoder``.
public final class DecompressingSource: ByteSource {
    private let inner: any ByteSource
    private let decoder: any StreamDecoder
    private let codec: String
    private let input: UnsafeMutableRawBufferPointer
    private var start = 0
    private var end = 0
    private var innerEOF = false
    private var finished = false
    private var sawStreamEnd = false

    public init(_ inner: any ByteSource, decoder: any StreamDecoder, codec: String, chunk: Int = 1 << 18) {
        self.inner = inner
        self.decoder = decoder
        self.codec = codec
        input = .allocate(byteCount: chunk, alignment: 8)
    }

    deinit { input.deallocate() }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws(ReadError) -> Int {
        while !finished {
            if start == end && !innerEOF {
                let n = try inner.read(into: input)
                start = 0
                end = n
                if n == 0 { innerEOF = true }
            }
            if start == end && innerEOF {
                finished = true
                if !sawStreamEnd { throw ReadError(line: nil, "the \(codec) stream is truncated (it ends before its end marker)") }
                return 0
            }
            if sawStreamEnd {
                do { try decoder.reset() } catch { throw ReadError(line: nil, "\(error)") }
                sawStreamEnd = false
            }
            let result: (consumed: Int, produced: Int, streamEnded: Bool)
            do {
                result = try decoder.decode(UnsafeRawBufferPointer(rebasing: input[start..<end]), into: buffer)
            } catch {
                throw ReadError(line: nil, "not valid \(codec) data: \(error)")
            }
            start += result.consumed
            if result.streamEnded { sawStreamEnd = true }
            if result.produced > 0 { return result.produced }
            if result.consumed == 0 && !result.streamEnded && start < end {
                throw ReadError(line: nil, "the \(codec) decoder made no progress (corrupt data)")
            }
        }
        return 0
    }
}
