public import QuernKit

/// The normalization of the output arrays an extractor declares normalized
/// (``OutputArray/normalized``, float32 only): fitted per column on the train rows, like X's
/// normalized features, with the run's method, and applied in place to each split's
/// `<name>_<split>.npy` by the same ``Normalizer``. Arrays not declared normalized (token ids)
/// are never touched.
public struct ArrayNormalization: Sendable {
    /// The fitted parameters per normalized array, by name (columns named `<name>[k]`).
    public var parameters: [(name: String, params: Normalizer.Parameters)] = []
    /// Values that are NaN or infinite after normalizing, per array name (none: empty).
    public var nonFinite: [String: Int] = [:]

    /// The schema ``Normalizer`` sees for one array: its columns as normalized features.
    static func columns(of array: OutputArray) -> FeatureSchema {
        FeatureSchema(
            features: (0..<array.width).map { FeatureSchema.Feature("\(array.name)[\($0)]", normalized: true) },
            labels: [], masks: [], hasGroups: false)
    }

    /// Fits on `moments` (``SplitWriter/arrayMoments``) and applies to the split files in `dir`.
    public static func run(
        method: Normalizer.Method, schema: FeatureSchema, moments: [Int: FeatureMoments], dir: String, rows: [Int],
        windowBytes: Int
    ) throws -> ArrayNormalization {
        var out = ArrayNormalization()
        for a in moments.keys.sorted() {
            let array = schema.arrays[a]
            var normalizer = Normalizer(method: method, schema: columns(of: array))
            normalizer.windowBytes = windowBytes
            let p = normalizer.fit(moments[a]!)
            var bad = 0
            for (s, name) in SplitFunction.names.enumerated() {
                bad += try normalizer.apply(p, path: RowFiles.array(dir, name, array.name), rows: rows[s])
            }
            out.parameters.append((array.name, p))
            if bad > 0 { out.nonFinite[array.name] = bad }
        }
        return out
    }

    /// The problems that keep the outputs from being published: non-finite values in an array.
    public var problems: [String] {
        nonFinite.keys.sorted().map {
            "output array '\($0)' has \(nonFinite[$0]!) values that are NaN or infinite after normalization"
        }
    }

    /// What `preprocessing_stats.json` says of every output array: name, dtype, width, whether
    /// normalized, its files, and the fitted parameters of a normalized one.
    public static func stats(schema: FeatureSchema, fitted: ArrayNormalization) -> [[String: Any]] {
        schema.arrays.map { array in
            var entry: [String: Any] = [
                "name": array.name, "dtype": array.dtype.rawValue, "width": array.width,
                "normalized": array.normalized,
                "files": SplitFunction.names.map { OutputFolderLayout.array(array.name, split: $0) },
            ]
            if let p = fitted.parameters.first(where: { $0.name == array.name })?.params {
                entry["normalization"] = p.features.map {
                    p.method == .minmax ? ["min": $0.shift, "range": $0.scale] : ["mean": $0.shift, "std": $0.scale]
                }
            }
            return entry
        }
    }
}
