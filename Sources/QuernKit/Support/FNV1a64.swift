/// FNV-1a 64-bit: the split function's hash (docs/formats.md) and the fingerprint's.
public enum FNV1a64 {
    public static let offset: UInt64 = 0xCBF2_9CE4_8422_2325
    public static let prime: UInt64 = 0x0000_0100_0000_01B3

    @inlinable public static func hash<S: Sequence>(_ bytes: S, seed: UInt64 = offset) -> UInt64
    where S.Element == UInt8 {
        var h = seed
        for b in bytes { h = (h ^ UInt64(b)) &* prime }
        return h
    }
}
