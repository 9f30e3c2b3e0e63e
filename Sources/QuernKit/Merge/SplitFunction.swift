/// Which split a row goes to: h = FNV-1a 64 over the UTF-8 bytes of "<seed>:<key>", u = h mod
/// 10000, train if u < 10000·f_train, val if u < 10000·(f_train + f_val), else test. The key is the
/// row's group key (`split.by: group`, the default), or "<source file>:<line>" (`split.by: row`),
/// so a row's split never depends on the merge strategy. docs/formats.md shows it in Python.
public struct SplitFunction: Sendable, Equatable {
    public enum By: String, Sendable { case group, row }

    public var seed: Int
    public var fractions: [Double]
    public var by: By
    let trainCut: UInt64
    let valCut: UInt64

    public init(seed: Int = 0, fractions: [Double] = [0.8, 0.1, 0.1], by: By = .group) {
        self.seed = seed
        self.fractions = fractions
        self.by = by
        trainCut = UInt64((fractions[0] * 10000).rounded())
        valCut = UInt64(((fractions[0] + fractions[1]) * 10000).rounded())
    }

    /// 0 train, 1 val, 2 test.
    public func split(of key: some Collection<UInt8>) -> UInt8 {
        var h = FNV1a64.hash(Array("\(seed):".utf8))
        for b in key { h = (h ^ UInt64(b)) &* FNV1a64.prime }
        let u = h % 10000
        return u < trainCut ? 0 : u < valCut ? 1 : 2
    }

    public static let names = ["train", "val", "test"]
}
