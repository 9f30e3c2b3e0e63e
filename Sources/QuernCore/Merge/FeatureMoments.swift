/// Per-feature statistics of the train rows, gathered while the rows are written (one pass, no
/// re-reading of `X_train.npy`): count, mean and sum of squared deviations in float64, combined
/// block by block with Chan's parallel formula (each block's own mean and squares are computed
/// exactly, in two passes over the block in memory), plus min and max. Both `standard` and
/// `minmax` fit from these, whichever a pre-normalize hook picks.
public struct FeatureMoments: Sendable {
    public let columns: [Int]
    public private(set) var count = 0
    public private(set) var mean: [Double]
    public private(set) var m2: [Double]
    public private(set) var min: [Double]
    public private(set) var max: [Double]
    private var blockSum: [Double]
    private var blockM2: [Double]

    public init(columns: [Int]) {
        self.columns = columns
        mean = Array(repeating: 0, count: columns.count)
        m2 = mean
        blockSum = mean
        blockM2 = mean
        min = Array(repeating: .infinity, count: columns.count)
        max = Array(repeating: -.infinity, count: columns.count)
    }

    /// Adds the rows of `x` (row-major, `width` floats a row) listed in `rows`.
    public mutating func add(_ x: UnsafeBufferPointer<Float>, width: Int, rows: [Int]) {
        let n = rows.count
        guard n > 0, !columns.isEmpty else { return }
        let k = columns.count
        blockSum.withUnsafeMutableBufferPointer { sum in
            for i in 0..<k { sum[i] = 0 }
            for r in rows {
                let base = r * width
                for (i, c) in columns.enumerated() { sum[i] += Double(x[base + c]) }
            }
        }
        let blockMean = blockSum.map { $0 / Double(n) }
        blockM2.withUnsafeMutableBufferPointer { sq in
            min.withUnsafeMutableBufferPointer { lo in
                max.withUnsafeMutableBufferPointer { hi in
                    for i in 0..<k { sq[i] = 0 }
                    for r in rows {
                        let base = r * width
                        for (i, c) in columns.enumerated() {
                            let v = Double(x[base + c])
                            let dev = v - blockMean[i]
                            sq[i] += dev * dev
                            if v < lo[i] { lo[i] = v }
                            if v > hi[i] { hi[i] = v }
                        }
                    }
                }
            }
        }
        let total = count + n
        for i in 0..<k {
            let delta = blockMean[i] - mean[i]
            mean[i] += delta * Double(n) / Double(total)
            m2[i] += blockM2[i] + delta * delta * Double(count) * Double(n) / Double(total)
        }
        count = total
    }
}
