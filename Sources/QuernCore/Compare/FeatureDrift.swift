import Foundation
import QuernKit

/// One feature of an output folder, per split: its mean and spread on the scale of the input
/// (the fitted normalization undone, so candidates compare on the same scale), and how far val
/// and test drift from train.
///
/// Drift is the standardized mean difference (Cohen's d with population standard deviations):
/// `d = (mean_split - mean_train) / sqrt((sd_train² + sd_split²) / 2)`. It has no unit and does
/// not change under normalization; |d| < 0.1 is commonly read as negligible, 0.2 as small,
/// 0.5 as medium. When both splits are constant, d is 0 for equal values and absent otherwise.
public struct FeatureStats: Sendable, Codable, Equatable {
    public var name: String
    /// By split name; a split with no rows has no entry.
    public var mean: [String: Double]
    /// Population standard deviation, by split name.
    public var std: [String: Double]
    /// Standardized mean difference against train, for `val` and `test`.
    public var drift: [String: Double]

    /// How drift is defined, for the reports.
    public static let driftDefinition =
        "Drift is the standardized mean difference against train, d = (mean_split - mean_train) / sqrt((sd_train^2 + sd_split^2) / 2), with population standard deviations; it has no unit and normalization does not change it; |d| below 0.1 is commonly read as negligible, 0.2 small, 0.5 medium."

    /// The features of `dir`'s `X_<split>.npy`, named and un-normalized with `stats`
    /// (`preprocessing_stats.json`, parsed).
    static func of(_ dir: String, stats: [String: Any]) throws -> [FeatureStats] {
        let names = stats["feature_names"] as? [String] ?? []
        let fitted = ((stats["normalization"] as? [String: Any])?["features"] as? [String: [String: Double]]) ?? [:]
        var moments: [String: [(mean: Double, std: Double)]] = [:]
        for split in SplitFunction.names {
            let path = "\(dir)/\(OutputFolderLayout.x(split: split))"
            guard let data = FileManager.default.contents(atPath: path) else { continue }
            let x = try NpyArray.decode([UInt8](data))
            guard x.shape.count == 2, x.shape[0] > 0 else { continue }
            moments[split] = try columnMoments(x, path: path)
        }
        let width = moments.values.first?.count ?? names.count
        return (0..<width).map { k in
            let name = k < names.count ? names[k] : "feature \(k)"
            // x' = (x - shift) / scale, so x = x' * scale + shift.
            let f = fitted[name]
            let shift = f?["mean"] ?? f?["min"] ?? 0
            let scale = f?["std"] ?? f?["range"] ?? 1
            var s = FeatureStats(name: name, mean: [:], std: [:], drift: [:])
            for (split, m) in moments {
                s.mean[split] = m[k].mean * scale + shift
                s.std[split] = m[k].std * abs(scale)
            }
            for split in ["val", "test"] {
                guard let m0 = s.mean["train"], let s0 = s.std["train"], let m1 = s.mean[split], let s1 = s.std[split]
                else { continue }
                let pooled = ((s0 * s0 + s1 * s1) / 2).squareRoot()
                if pooled > 0 { s.drift[split] = (m1 - m0) / pooled } else if m1 == m0 { s.drift[split] = 0 }
            }
            return s
        }
    }

    /// Mean and population standard deviation of each column, in float64 (two passes: the sum
    /// of squares of float32 values around a large mean loses digits).
    static func columnMoments(_ x: NpyArray, path: String) throws -> [(mean: Double, std: Double)] {
        let rows = x.shape[0]
        let cols = x.shape[1]
        guard x.descr == "<f4" || x.descr == "<f8" else {
            throw StorageError.io(path: path, operation: "read features of dtype \(x.descr) from", errno: EINVAL)
        }
        var sums = [Double](repeating: 0, count: cols)
        x.data.withUnsafeBytes { raw in
            for r in 0..<rows { for c in 0..<cols { sums[c] += element(raw, r * cols + c, x.descr) } }
        }
        let means = sums.map { $0 / Double(rows) }
        var squares = [Double](repeating: 0, count: cols)
        x.data.withUnsafeBytes { raw in
            for r in 0..<rows {
                for c in 0..<cols {
                    let d = element(raw, r * cols + c, x.descr) - means[c]
                    squares[c] += d * d
                }
            }
        }
        return (0..<cols).map { (means[$0], (squares[$0] / Double(rows)).squareRoot()) }
    }

    private static func element(_ raw: UnsafeRawBufferPointer, _ i: Int, _ descr: String) -> Double {
        descr == "<f4"
            ? Double(raw.loadUnaligned(fromByteOffset: i * 4, as: Float.self))
            : raw.loadUnaligned(fromByteOffset: i * 8, as: Double.self)
    }
}
