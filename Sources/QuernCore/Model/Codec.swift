/// A compression codec, used for two things: the members of batch files (whole buffers, with the
/// size known), and compressed input files (`.csv.gz`, `.jsonl.zst`: a stream).
///
/// Contract (checked for every codec by `Tests/PluginTests/CodecConformanceTests`):
/// `decompress(compress(x), originalSize: x.count) == x` for any bytes, at every level; and a
/// stream decoder fed a compressed file in chunks of any size yields the original bytes.
public protocol Codec: Sendable {
    var name: String { get }
    /// The level in use, when the codec has levels.
    var level: Int? { get }
    /// ZIP method id written into batch files (0 stored, 8 deflate, 93 zstd, ...).
    var zipMethod: UInt16 { get }
    func compress(_ input: UnsafeRawBufferPointer) throws -> [UInt8]
    func decompress(_ input: UnsafeRawBufferPointer, originalSize: Int) throws -> [UInt8]
    /// A decoder of this codec's file format, or nil when it has none.
    func makeStreamDecoder() throws -> (any StreamDecoder)?
}

extension Codec {
    /// `name` or `name:level`, as written in flags and recorded in batches.
    public var spec: String { level.map { "\(name):\($0)" } ?? name }
}

/// Decodes a compressed file incrementally.
public protocol StreamDecoder: AnyObject {
    /// Decodes from `input` into `output`. Returns bytes consumed and produced, and whether the
    /// compressed stream ended (a decoder may see several concatenated streams).
    func decode(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) throws
        -> (consumed: Int, produced: Int, streamEnded: Bool)
    /// Prepares for another concatenated stream after `streamEnded`.
    func reset() throws
}

/// A codec failed: corrupt data, a size that does not match, or a library error.
public struct CodecError: Error, CustomStringConvertible, Equatable {
    public var codec: String
    public var reason: String
    public init(_ codec: String, _ reason: String) {
        self.codec = codec
        self.reason = reason
    }
    public var description: String { "\(codec): \(reason)" }
}
