import CZstd
public import QuernKit

/// Zstandard: batch members use ZIP method 93 (as the ZIP specification assigns it); inputs ending
/// in `.zst` are read as zstd streams. The default: fast to write and read, compact.
public struct ZstdCodec: Codec, CodecPlugin {
    public static let name = "zstd"
    public static let summary = "Zstandard (default): fast and compact; reads .zst inputs"
    public static let options = [
        OptionSpec("level", .int(1...22), default: "1", help: "1 fastest ... 19 smallest (20-22 use much memory)")
    ]
    public static let zipMethod: UInt16 = 93
    public static let fileExtensions = ["zst", "zstd"]

    public static func make(_ options: PluginOptions) throws -> any Codec {
        ZstdCodec(level: options.int("level") ?? 1)
    }

    public let level: Int?
    public init(level: Int = 1) { self.level = level }

    public var name: String { Self.name }
    public var zipMethod: UInt16 { Self.zipMethod }

    public func compressBound(_ count: Int) -> Int { ZSTD_compressBound(count) }

    public func compress(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) throws -> Int {
        let n = ZSTD_compress(output.baseAddress, output.count, input.baseAddress, input.count, Int32(level ?? 1))
        guard ZSTD_isError(n) == 0 else { throw CodecError("zstd", String(cString: ZSTD_getErrorName(n))) }
        return n
    }

    public func decompress(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) throws {
        let n = ZSTD_decompress(output.baseAddress, output.count, input.baseAddress, input.count)
        guard ZSTD_isError(n) == 0 else {
            throw CodecError(
                "zstd", String(cString: ZSTD_getErrorName(n)),
                outOfMemory: ZSTD_getErrorCode(n) == ZSTD_error_memory_allocation)
        }
        guard n == output.count else { throw CodecError("zstd", "decompressed \(n) bytes, expected \(output.count)") }
    }

    public func makeStreamDecoder() throws -> (any StreamDecoder)? { try ZstdStreamDecoder() }
}

/// Streaming decoder for `.zst` inputs.
final class ZstdStreamDecoder: StreamDecoder {
    private let ctx: OpaquePointer

    init() throws {
        guard let c = ZSTD_createDCtx() else { throw CodecError("zstd", "cannot create a decompression context") }
        ctx = c
    }

    deinit { ZSTD_freeDCtx(ctx) }

    func decode(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) throws -> (
        consumed: Int, produced: Int, streamEnded: Bool
    ) {
        var inBuf = ZSTD_inBuffer(src: input.baseAddress, size: input.count, pos: 0)
        var outBuf = ZSTD_outBuffer(dst: output.baseAddress, size: output.count, pos: 0)
        let r = ZSTD_decompressStream(ctx, &outBuf, &inBuf)
        guard ZSTD_isError(r) == 0 else { throw CodecError("zstd", String(cString: ZSTD_getErrorName(r))) }
        return (inBuf.pos, outBuf.pos, r == 0)
    }

    func reset() throws { ZSTD_DCtx_reset(ctx, ZSTD_reset_session_only) }
}
