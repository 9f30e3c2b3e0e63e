import CLibdeflate
import CZlib
public import QuernKit

/// Deflate: batch members are deflated (ZIP method 8), so numpy opens the batch like any
/// `np.savez_compressed` file; input files ending in `.gz` are read as gzip streams (zlib).
/// Whole members go through libdeflate, which writes the same raw deflate 2-3x faster than zlib
/// and decompresses it about twice as fast (measured in docs/performance.md).
public struct ZlibCodec: Codec, CodecPlugin {
    public static let name = "zlib"
    public static let summary = "deflate (numpy opens the batches as .npz); reads .gz inputs"
    // Level 1 by default: on float data it is about 3x faster than numpy's 6 for a few percent more bytes.
    public static let options = [
        OptionSpec(
            "level", .int(1...9), default: "1", help: "1 fastest ... 9 smallest (numpy's savez_compressed uses 6)")
    ]
    public static let zipMethod: UInt16 = 8
    public static let fileExtensions = ["gz"]

    public static func make(_ options: PluginOptions) throws -> any Codec {
        ZlibCodec(level: options.int("level") ?? 1)
    }

    public let level: Int?
    public init(level: Int = 1) { self.level = level }

    public var name: String { Self.name }
    public var zipMethod: UInt16 { Self.zipMethod }

    public func compressBound(_ count: Int) -> Int { libdeflate_deflate_compress_bound(nil, count) }

    public func compress(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) throws -> Int {
        guard let compressor = libdeflate_alloc_compressor(Int32(level ?? 1)) else {
            throw CodecError("zlib", "cannot allocate a deflate compressor")
        }
        defer { libdeflate_free_compressor(compressor) }
        let n = libdeflate_deflate_compress(
            compressor, input.baseAddress, input.count, output.baseAddress, output.count)
        guard n > 0 || input.isEmpty else { throw CodecError("zlib", "deflate failed") }
        return n
    }

    public func decompress(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) throws {
        guard let decompressor = libdeflate_alloc_decompressor() else {
            throw CodecError("zlib", "cannot allocate a deflate decompressor")
        }
        defer { libdeflate_free_decompressor(decompressor) }
        var produced = 0
        let result = libdeflate_deflate_decompress(
            decompressor, input.baseAddress, input.count, output.baseAddress, output.count, &produced)
        guard result == LIBDEFLATE_SUCCESS, produced == output.count else {
            throw CodecError("zlib", "corrupt or truncated deflate data (\(produced) of \(output.count) bytes)")
        }
    }

    public func makeStreamDecoder() throws -> (any StreamDecoder)? { try GzipDecoder() }
}

/// Streaming gzip (and zlib-wrapped) decoder for `.gz` inputs.
final class GzipDecoder: StreamDecoder {
    private var stream = z_stream()

    init() throws {
        // 32 + 15: detect gzip or zlib headers automatically.
        guard inflateInit2_(&stream, 32 + 15, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw CodecError("zlib", "inflateInit2 failed")
        }
    }

    deinit { inflateEnd(&stream) }

    func decode(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) throws -> (
        consumed: Int, produced: Int, streamEnded: Bool
    ) {
        stream.next_in = UnsafeMutablePointer(mutating: input.baseAddress?.assumingMemoryBound(to: Bytef.self))
        stream.avail_in = uInt(input.count)
        stream.next_out = output.baseAddress?.assumingMemoryBound(to: Bytef.self)
        stream.avail_out = uInt(output.count)
        let r = inflate(&stream, Z_NO_FLUSH)
        guard r == Z_OK || r == Z_STREAM_END || (r == Z_BUF_ERROR && input.isEmpty) else {
            let msg = stream.msg.map { String(cString: $0) } ?? "error \(r)"
            throw CodecError("gzip", msg)
        }
        return (input.count - Int(stream.avail_in), output.count - Int(stream.avail_out), r == Z_STREAM_END)
    }

    func reset() throws { inflateReset(&stream) }
}
