import Foundation
import QuernKit

#if canImport(Glibc)
    import Glibc
#endif

extension OutputVerifier {
    /// The output arrays `preprocessing_stats.json` lists under `arrays` (name, dtype, width).
    static func arraySpecs(_ stats: [String: Any]) -> [OutputArray] {
        (stats["arrays"] as? [[String: Any]] ?? []).compactMap { a in
            guard let name = a["name"] as? String, let dtype = (a["dtype"] as? String).flatMap(OutputArray.DType.init),
                let width = a["width"] as? Int
            else { return nil }
            return OutputArray(name, dtype: dtype, width: width, normalized: a["normalized"] as? Bool ?? false)
        }
    }

    /// Each output array of each split: a valid `.npy` of the declared dtype, `[rows of X, width]`,
    /// as long as its header says; a float32 array holds finite values only.
    static func checkArrays(_ dir: String, arrays: [OutputArray], rows: [String: Int], into report: inout VerifyReport)
    {
        guard !arrays.isEmpty else { return }
        var good = 0
        var checked = 0
        for array in arrays {
            for split in SplitFunction.names {
                guard let n = rows[split] else { continue }
                checked += 1
                let path = "\(dir)/\(OutputFolderLayout.array(array.name, split: split))"
                guard let bytes = try? BatchFile.readWhole(path, limit: Int.max), let a = try? NpyArray.decode(bytes)
                else {
                    report.problem(
                        path,
                        "missing or not a valid .npy file, though \(OutputFolderLayout.stats) lists array '\(array.name)': run `quern merge` again"
                    )
                    continue
                }
                guard a.descr == array.dtype.npyDescr, a.shape == [n, array.width] else {
                    report.problem(
                        path,
                        "is \(a.descr) \(a.shape), expected \(array.dtype.npyDescr) [\(n), \(array.width)] to match \(OutputFolderLayout.x(split: split))"
                    )
                    continue
                }
                if array.dtype == .float32 {
                    let values = (try? a.values(as: Float.self, descr: "<f4")) ?? []
                    let bad = values.reduce(0) { $0 + ($1.isFinite ? 0 : 1) }
                    if bad > 0 {
                        report.problem(path, "holds \(bad) NaN or infinite values")
                        continue
                    }
                }
                good += 1
            }
        }
        report.checked.append("\(dir): \(good) of \(checked) output array files good")
    }
}
