import QuernCore
import QuernKit
import Testing

/// The one-pass, block-combined statistics the normalization fits on, against the slow, obvious
/// two-pass computation over all the rows at once.
@Suite("FeatureMoments: one pass over blocks equals two passes over everything")
struct FeatureMomentsTests {
    struct Rng {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }
    }

    @Test(arguments: [1, 2, 3, 4, 5])
    func matchesTwoPassesOverAllRows(seed: UInt64) {
        var rng = Rng(state: seed)
        let width = 5
        let columns = [0, 2, 3]
        let rows = 1 + Int(rng.next() % 5000)
        // Large offsets and tiny spreads: where a naive sum-of-squares formula loses digits.
        let offsets = [1e4, -3.5, 250.0, 0, 7]
        let spreads = [0.01, 100, 1e-3, 1, 0]
        var x = [Float](repeating: 0, count: rows * width)
        for r in 0..<rows {
            for c in 0..<width { x[r * width + c] = Float(offsets[c] + spreads[c] * (rng.unit() - 0.5)) }
        }
        // Some rows are not train rows: blocks list the rows they add.
        var moments = FeatureMoments(columns: columns)
        var start = 0
        var included: [Int] = []
        while start < rows {
            let n = min(rows - start, 1 + Int(rng.next() % 700))
            let picked = (start..<(start + n)).filter { _ in rng.next() % 4 != 0 }
            x.withUnsafeBufferPointer { moments.add($0, width: width, rows: picked) }
            included += picked
            start += n
        }
        #expect(moments.count == included.count)
        guard !included.isEmpty else { return }
        for (k, c) in columns.enumerated() {
            let values = included.map { Double(x[$0 * width + c]) }
            let mean = values.reduce(0, +) / Double(values.count)
            let variance = values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(values.count)
            #expect(abs(moments.mean[k] - mean) <= 1e-9 * max(1, abs(mean)), "mean of column \(c)")
            #expect(
                abs(moments.m2[k] / Double(values.count) - variance) <= 1e-9 * max(1e-12, variance) + 1e-15,
                "variance of column \(c)")
            #expect(moments.min[k] == values.min() && moments.max[k] == values.max())
        }
    }

    @Test func noRowsGivesANeutralFit() {
        let moments = FeatureMoments(columns: [0])
        let schema = FeatureSchema(
            features: [FeatureSchema.Feature("a", normalized: true)], labels: [], masks: [], hasGroups: false)
        for method in Normalizer.Method.allCases where method != .none {
            let p = Normalizer(method: method, schema: schema).fit(moments)
            #expect(p.features.count == 1 && p.features[0].scale == 1)
        }
    }
}
