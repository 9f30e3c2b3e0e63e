// zlib's crc32 is the checksum ZIP members must carry; the host links zlib for it (and only for it)
// rather than hand-writing a table-driven CRC that would be slower.
import CZlib

/// CRC-32 (IEEE, as ZIP and gzip use it), incremental.
public struct CRC32: Sendable, Equatable {
    public private(set) var value: UInt32 = 0

    public init() {}

    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        var done = 0
        while done < bytes.count {
            let n = min(bytes.count - done, Int(UInt32.max >> 1))
            value = UInt32(crc32(uLong(value), base.advanced(by: done).assumingMemoryBound(to: Bytef.self), uInt(n)))
            done += n
        }
    }

    public static func of(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
        var c = CRC32()
        c.update(bytes)
        return c.value
    }

    public static func of(_ bytes: [UInt8]) -> UInt32 {
        bytes.withUnsafeBytes { of($0) }
    }

    public var hex: String { String(value, radix: 16).leftPadded(to: 8) }
}

/// FNV-1a 64-bit: the split function's hash (docs/formats.md) and the fingerprint's.
public enum FNV1a64 {
    public static let offset: UInt64 = 0xCBF2_9CE4_8422_2325
    public static let prime: UInt64 = 0x0000_0100_0000_01B3

    @inlinable public static func hash<S: Sequence>(_ bytes: S, seed: UInt64 = offset) -> UInt64 where S.Element == UInt8 {
        var h = seed
        for b in bytes { h = (h ^ UInt64(b)) &* prime }
        return h
    }
}
