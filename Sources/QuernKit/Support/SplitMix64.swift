#if canImport(Glibc)
    import Glibc
#endif

/// SplitMix64: the seeded random numbers for plugins (balance's sampling) and `quern generate`.
/// Small, fast, and the same sequence for a seed on every platform and in every release: a
/// strategy's output depends on it, so the algorithm never changes.
///
/// ```swift
/// var rng = SplitMix64(seed: UInt64(bitPattern: Int64(context.seed)))
/// let keep = rng.unit() < 0.5
/// ```
public struct SplitMix64: Sendable {
    private var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    /// Uniform in [0, 1).
    public mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }
    public mutating func normal() -> Double {
        let u = max(unit(), 1e-300)
        let v = unit()
        return (-2 * log(u)).squareRoot() * cos(2 * .pi * v)
    }
    public mutating func weighted(_ w: [Double]) -> Int {
        var x = unit() * w.reduce(0, +)
        for (i, p) in w.enumerated() {
            x -= p
            if x < 0 { return i }
        }
        return w.count - 1
    }
}
