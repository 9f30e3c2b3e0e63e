/// A stream of bytes: a file, or a decompressed view of one. Used by one thread (the reader's);
/// the host passes a file or a decompressing view, a test may pass bytes in memory.
public protocol ByteSource: AnyObject {
    /// Reads up to `buffer.count` bytes; 0 at the end.
    func read(into buffer: UnsafeMutableRawBufferPointer) throws(ReadError) -> Int
}
