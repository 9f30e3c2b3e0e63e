/// A compression codec, used for two things: the members of batch files (whole buffers, with the
/// size known), and compressed input files (`.csv.gz`, `.jsonl.zst`: a stream).
///
/// A codec fills buffers the caller owns (`compress(_:into:)`, `decompress(_:into:)`), so the
/// extract and merge stages reuse the same memory batch after batch instead of allocating, zeroing
/// and page-faulting fresh arrays each time (that was a sixth of extract's CPU). The `[UInt8]`
/// forms are built on them.
///
/// Contract every codec keeps, checked for each codec of a plugin table by `CodecConformance`
/// (library `QuernConformance`; Quern runs it over `builtInPlugins`, a team over its own plugins),
/// at the defaults, both ends of every integer option (levels) and any extra specs:
/// - `decompress(compress(x), originalSize: x.count) == x` for any bytes (empty, one byte, runs,
///   random, text, floats), and `compress` writes at most `compressBound(x.count)` bytes;
/// - damage is an error, never garbage or a crash: a truncated member, or an original size that
///   is one byte off, throws; random bytes throw or decode without a crash;
/// - a compressing codec (any ZIP method but 0, stored) shrinks repetitive text under a quarter;
/// - a codec that declares `fileExtensions` has a stream decoder that decodes files made by the
///   format's own tool (`gzip -c`), fed in chunks of any size, concatenated streams included, and
///   reports a truncated file as a ``ReadError``.
///
/// Threading: one codec value is shared by every worker thread, which call `compress` and
/// `decompress` at the same time: keep no mutable state in the codec (make a library context per
/// call, as the built-ins do). A ``StreamDecoder`` is made per input file and used by one thread.
///
/// Errors: throw ``CodecError`` naming the codec and the library's reason, with `outOfMemory` set
/// when the library could not allocate (the host then says to lower `--workers` or the memory
/// limit instead of calling the data corrupt). Never trap on bad input: batch files and inputs
/// come from disk and may be damaged.
public protocol Codec: Sendable {
    var name: String { get }
    /// The level in use, when the codec has levels.
    var level: Int? { get }
    /// ZIP method id written into batch files (0 stored, 8 deflate, 93 zstd, ...).
    var zipMethod: UInt16 { get }
    /// The most bytes `compress(_:into:)` writes for `count` input bytes.
    func compressBound(_ count: Int) -> Int
    /// Compresses `input` into `output`, which holds at least `compressBound(input.count)` bytes;
    /// returns how many bytes it wrote.
    func compress(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) throws -> Int
    /// Decompresses `input` into `output`, which is exactly the original size; throws when the data
    /// is corrupt or does not decompress to exactly that many bytes.
    func decompress(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) throws
    /// A decoder of this codec's file format, or nil when it has none.
    func makeStreamDecoder() throws -> (any StreamDecoder)?
}

extension Codec {
    /// `name` or `name:level`, as written in flags and recorded in batches.
    public var spec: String { level.map { "\(name):\($0)" } ?? name }

    /// `input` compressed, as a new array.
    public func compress(_ input: UnsafeRawBufferPointer) throws -> [UInt8] {
        try [UInt8](unsafeUninitializedCapacity: compressBound(input.count)) { out, n in
            n = 0
            n = try compress(input, into: UnsafeMutableRawBufferPointer(out))
        }
    }

    /// `input` decompressed to its `originalSize` bytes, as a new array.
    public func decompress(_ input: UnsafeRawBufferPointer, originalSize: Int) throws -> [UInt8] {
        try [UInt8](unsafeUninitializedCapacity: originalSize) { out, n in
            n = 0
            try decompress(input, into: UnsafeMutableRawBufferPointer(out))
            n = originalSize
        }
    }
}

/// Decodes a compressed file incrementally. Made per file, used by one thread; throws
/// ``CodecError`` on corrupt data (the host reports it as the file's read error).
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
    /// The codec could not allocate its memory: the data may be fine, the machine is short.
    public var outOfMemory: Bool
    public init(_ codec: String, _ reason: String, outOfMemory: Bool = false) {
        self.codec = codec
        self.reason = reason
        self.outOfMemory = outOfMemory
    }
    public var description: String { "\(codec): \(reason)" }
}
