public import QuernKit

/// No compression: batch members are stored (ZIP method 0), so the batch is a plain `.npz`.
public struct NoneCodec: Codec, CodecPlugin {
    public static let name = "none"
    public static let summary = "no compression; batches are plain .npz files (largest, fastest to write)"
    public static let options: [OptionSpec] = []
    public static let zipMethod: UInt16 = 0
    public static let fileExtensions: [String] = []

    public static func make(_ options: PluginOptions) throws -> any Codec { NoneCodec() }

    public init() {}

    public var name: String { Self.name }
    public var level: Int? { nil }
    public var zipMethod: UInt16 { 0 }

    public func compressBound(_ count: Int) -> Int { count }

    public func compress(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) throws -> Int {
        output.copyMemory(from: input)
        return input.count
    }

    public func decompress(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) throws {
        guard input.count == output.count else {
            throw CodecError("none", "stored member is \(input.count) bytes, expected \(output.count)")
        }
        output.copyMemory(from: input)
    }

    public func makeStreamDecoder() throws -> (any StreamDecoder)? { nil }
}
