import CLZ4
public import QuernKit

/// LZ4 (frame format): the fastest to read and write, larger than zstd. Batch members use the
/// private ZIP method 0x4C34 ("L4"; the ZIP specification assigns none to LZ4), so only quern reads
/// them; inputs ending in `.lz4` are read as LZ4 frames.
///
/// The default level is -3 (LZ4's acceleration 4), not the library's 0: on the games workload's
/// float features it compresses about 1.6x faster (1.40x smaller instead of 1.53x) and
/// decompresses faster too; LZ4 went from about 17.5% to 12.5% of extract's samples for batches
/// 7% larger (docs/performance.md).
public struct LZ4Codec: Codec, CodecPlugin {
    public static let name = "lz4"
    public static let summary = "LZ4 frames: fastest, larger files; reads .lz4 inputs"
    public static let options = [
        OptionSpec(
            "level", .int(-64...12), default: "-3",
            help:
                "-1 to -64: faster, with less compression (LZ4's acceleration 2-65); 0 LZ4's own default; 3-12 high-compression mode"
        )
    ]
    public static let zipMethod: UInt16 = 0x4C34
    public static let fileExtensions = ["lz4"]

    public static func make(_ options: PluginOptions) throws -> any Codec {
        LZ4Codec(level: options.int("level") ?? -3)
    }

    public let level: Int?
    public init(level: Int = -3) { self.level = level }

    public var name: String { Self.name }
    public var zipMethod: UInt16 { Self.zipMethod }

    private func preferences(_ count: Int) -> LZ4F_preferences_t {
        var prefs = LZ4F_preferences_t()
        prefs.compressionLevel = Int32(level ?? -3)
        prefs.frameInfo.contentSize = UInt64(count)
        return prefs
    }

    public func compressBound(_ count: Int) -> Int {
        var prefs = preferences(count)
        return LZ4F_compressFrameBound(count, &prefs)
    }

    public func compress(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) throws -> Int {
        var prefs = preferences(input.count)
        let n = LZ4F_compressFrame(output.baseAddress, output.count, input.baseAddress, input.count, &prefs)
        guard LZ4F_isError(n) == 0 else { throw CodecError("lz4", String(cString: LZ4F_getErrorName(n))) }
        return n
    }

    public func decompress(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) throws {
        let decoder = try LZ4StreamDecoder()
        var consumed = 0
        var produced = 0
        var ended = false
        while !ended {
            let r = try decoder.decode(
                UnsafeRawBufferPointer(rebasing: input[consumed...]),
                into: UnsafeMutableRawBufferPointer(rebasing: output[produced...]))
            consumed += r.consumed
            produced += r.produced
            ended = r.streamEnded
            if r.consumed == 0 && r.produced == 0 && !ended {
                throw CodecError(
                    "lz4",
                    produced == output.count ? "more data than the \(output.count) bytes expected" : "truncated frame")
            }
        }
        guard produced == output.count else {
            throw CodecError("lz4", "decompressed \(produced) bytes, expected \(output.count)")
        }
    }

    public func makeStreamDecoder() throws -> (any StreamDecoder)? { try LZ4StreamDecoder() }
}

/// Streaming decoder of LZ4 frames.
final class LZ4StreamDecoder: StreamDecoder {
    private var ctx: OpaquePointer?

    init() throws {
        guard LZ4F_isError(LZ4F_createDecompressionContext(&ctx, UInt32(LZ4F_VERSION))) == 0 else {
            throw CodecError("lz4", "cannot create a decompression context")
        }
    }

    deinit { LZ4F_freeDecompressionContext(ctx) }

    func decode(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) throws -> (
        consumed: Int, produced: Int, streamEnded: Bool
    ) {
        var srcSize = input.count
        var dstSize = output.count
        let r = LZ4F_decompress(ctx, output.baseAddress, &dstSize, input.baseAddress, &srcSize, nil)
        guard LZ4F_isError(r) == 0 else { throw CodecError("lz4", String(cString: LZ4F_getErrorName(r))) }
        return (srcSize, dstSize, r == 0)
    }

    func reset() throws { LZ4F_resetDecompressionContext(ctx) }
}
