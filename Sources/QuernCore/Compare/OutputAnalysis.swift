import Foundation
import QuernKit

#if canImport(Glibc)
    import Glibc
#endif

/// What `quern compare` measures in one output folder: rows per split, dropped rows, class counts
/// (per split) and balance of a label head, each feature's mean, spread and drift per split,
/// duplicate rows left, bytes, and a checksum of the arrays.
public struct OutputAnalysis: Sendable, Codable, Equatable {
    public var rows: [String: Int]
    public var dropped: [String: Int]
    public var classCounts: [Int]
    /// Class counts of the label head by split (`train`, `val`, `test`), as the outputs hold them.
    public var classCountsPerSplit: [String: [Int]]
    /// Per-feature mean, spread and drift by split (``FeatureStats``).
    public var features: [FeatureStats]
    /// Smallest over largest class count, over the classes the batches hold.
    public var minMaxRatio: Double
    /// Shannon entropy of the class distribution over those classes, divided by its maximum (1 = even).
    public var entropy: Double
    public var duplicatesRemaining: Int
    public var outputBytes: Int
    /// CRC-32 of the array files (X_*.npy, labels_*.npz, masks_*.npz) in name order.
    public var checksum: String

    /// Analyses `dir`, balancing over the classes present in `inputClasses` (counts from the batches).
    public static func of(_ dir: String, head: String, inputClasses: [Int]) throws -> OutputAnalysis {
        let statsPath = "\(dir)/\(OutputFolderLayout.stats)"
        guard let data = FileManager.default.contents(atPath: statsPath),
            let stats = try JSONSerialization.jsonObject(with: data) as? [String: Any]
        else { throw StorageError.io(path: statsPath, operation: "read", errno: ENOENT) }
        let rows = (stats["splits"] as? [String: Int]) ?? [:]
        let dropped = ((stats["merge"] as? [String: Any])?["dropped"] as? [String: Int]) ?? [:]
        var counts = [Int](repeating: 0, count: inputClasses.count)
        let perSplit = (stats["class_counts"] as? [String: Any])?[head] as? [String: [Int]] ?? [:]
        for list in perSplit.values { for (k, n) in list.enumerated() where k < counts.count { counts[k] += n } }
        let present = inputClasses.indices.filter { inputClasses[$0] > 0 }
        let kept = present.map { counts[$0] }
        let total = Double(kept.reduce(0, +))
        let ratio = (kept.max() ?? 0) > 0 ? Double(kept.min() ?? 0) / Double(kept.max()!) : 0
        var h = 0.0
        for n in kept where n > 0 {
            let p = Double(n) / total
            h -= p * log(p)
        }
        let entropy = present.count > 1 ? h / log(Double(present.count)) : 1
        // The data only: the saved config and transform describe the run (the config names the
        // candidate), and checksums.json holds their CRCs, so two candidates with the same rows
        // keep the same checksum.
        let saved: Set = [OutputFolderLayout.transform, OutputFolderLayout.config]
        let files = ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).filter {
            OutputFolderLayout.isOutput($0) && !saved.contains($0)
        }
        .sorted()
        var bytes = 0
        var crc = CRC32()
        for f in files where f != OutputFolderLayout.stats && f != OutputFolderLayout.checksums {
            guard let d = FileManager.default.contents(atPath: "\(dir)/\(f)") else { continue }
            d.withUnsafeBytes { crc.update($0) }
        }
        for f in files {
            bytes += (try? FileManager.default.attributesOfItem(atPath: "\(dir)/\(f)")[.size] as? Int) ?? 0
        }
        return OutputAnalysis(
            rows: rows, dropped: dropped, classCounts: counts, classCountsPerSplit: perSplit,
            features: try FeatureStats.of(dir, stats: stats),
            minMaxRatio: ratio, entropy: entropy,
            duplicatesRemaining: try duplicates(in: dir), outputBytes: bytes, checksum: crc.hex)
    }

    /// Rows whose features, labels and masks equal another row's, over all splits.
    static func duplicates(in dir: String) throws -> Int {
        var seen = Set<[UInt64]>()
        var total = 0
        for split in SplitFunction.names {
            guard let xData = FileManager.default.contents(atPath: "\(dir)/\(OutputFolderLayout.x(split: split))")
            else { continue }
            let x = try NpyArray.decode([UInt8](xData))
            let n = x.shape.first ?? 0
            guard n > 0 else { continue }
            let rowBytes = x.data.count / n
            var extra: [(bytes: [UInt8], width: Int)] = []
            for file in [OutputFolderLayout.labels(split: split), OutputFolderLayout.masks(split: split)] {
                guard let d = FileManager.default.contents(atPath: "\(dir)/\(file)") else { continue }
                for m in try ZipArchive.read([UInt8](d), path: "\(dir)/\(file)") where m.method == 0 {
                    let a = try NpyArray.decode(m.compressed)
                    extra.append((a.data, a.data.count / max(n, 1)))
                }
            }
            for i in 0..<n {
                var h1 = FNV1a64.hash(x.data[(i * rowBytes)..<((i + 1) * rowBytes)])
                var h2 = FNV1a64.hash(x.data[(i * rowBytes)..<((i + 1) * rowBytes)], seed: 0x9E37_79B9_7F4A_7C15)
                for e in extra {
                    h1 = FNV1a64.hash(e.bytes[(i * e.width)..<((i + 1) * e.width)], seed: h1)
                    h2 = FNV1a64.hash(e.bytes[(i * e.width)..<((i + 1) * e.width)], seed: h2)
                }
                seen.insert([h1, h2])
                total += 1
            }
        }
        return total - seen.count
    }
}
