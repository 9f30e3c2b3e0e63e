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
    ///
    /// On the merge's one consumer thread for every train row, so written on raw pointers: the
    /// bounds-checked, enumerated loops it replaces were 5% of a merge's CPU. With the usual
    /// contiguous columns the inner loops vectorize.
    public mutating func add(_ x: UnsafeBufferPointer<Float>, width: Int, rows: [Int]) {
        let n = rows.count
        guard n > 0, !columns.isEmpty, let data = x.baseAddress else { return }
        let k = columns.count
        let first = columns[0]
        let contiguous = columns.last! - first == k - 1 && zip(columns, columns.dropFirst()).allSatisfy { $1 == $0 + 1 }
        var blockMean = [Double](repeating: 0, count: k)
        columns.withUnsafeBufferPointer { cols in
            blockSum.withUnsafeMutableBufferPointer { sum in
                for i in 0..<k { sum[i] = 0 }
                let s = sum.baseAddress!
                for r in rows {
                    let row = data + r * width
                    if contiguous {
                        let v = row + first
                        for i in 0..<k { s[i] += Double(v[i]) }
                    } else {
                        for i in 0..<k { s[i] += Double(row[cols[i]]) }
                    }
                }
                for i in 0..<k { blockMean[i] = s[i] / Double(n) }
            }
            blockMean.withUnsafeBufferPointer { meanOf in
                blockM2.withUnsafeMutableBufferPointer { sq in
                    min.withUnsafeMutableBufferPointer { lo in
                        max.withUnsafeMutableBufferPointer { hi in
                            for i in 0..<k { sq[i] = 0 }
                            let q = sq.baseAddress!
                            let l = lo.baseAddress!
                            let h = hi.baseAddress!
                            let m = meanOf.baseAddress!
                            for r in rows {
                                let row = data + r * width
                                for i in 0..<k {
                                    let v = Double(contiguous ? row[first + i] : row[cols[i]])
                                    let dev = v - m[i]
                                    q[i] += dev * dev
                                    l[i] = v < l[i] ? v : l[i]
                                    h[i] = v > h[i] ? v : h[i]
                                }
                            }
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
