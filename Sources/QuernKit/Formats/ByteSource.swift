/// A stream of bytes: a file, or a decompressed view of one. Used by one thread (the reader's);
/// the host passes a file or a decompressing view, a test may pass bytes in memory.
public protocol ByteSource: AnyObject {
    /// Reads up to `buffer.count` bytes; 0 at the end.
    func read(into buffer: UnsafeMutableRawBufferPointer) throws(ReadError) -> Int
    /// The file's path when the source is a plain file on disk (nil for a decompressed view or
    /// bytes in memory): formats that need random access (HDF5) open the file by it.
    var filePath: String? { get }
}

extension ByteSource {
    public var filePath: String? { nil }
}
