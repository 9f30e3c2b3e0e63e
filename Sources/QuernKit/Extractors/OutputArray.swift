/// An array an extractor fills per row beside X, declared in its ``FeatureSchema``: `width`
/// values of `dtype` a row (the ids of a cell's top genes, int32). Batch files store it as
/// `array_<name>.npy`; the merge keeps its rows aligned with X through every strategy and saves it
/// as `<name>_train.npy`, `<name>_val.npy`, `<name>_test.npy` (docs/formats.md).
///
/// ```swift
/// OutputArray("tokens", dtype: .int32, width: 2000)               // ids: never rescaled
/// OutputArray("embedding", dtype: .float32, width: 64, normalized: true)
/// ```
public struct OutputArray: Sendable, Codable, Equatable {
    /// The element type, as saved in the `.npy` files (little-endian).
    public enum DType: String, Sendable, Codable, CaseIterable {
        case int32, float32

        /// Bytes of one value.
        public var size: Int { 4 }
        /// The `.npy` type string.
        public var npyDescr: String {
            switch self {
            case .int32: "<i4"
            case .float32: "<f4"
            }
        }
    }

    public var name: String
    public var dtype: DType
    /// Values a row.
    public var width: Int
    /// Whether the normalize stage fits (on train) and applies the run's normalization to each of
    /// its columns, as it does to X's normalized features. Only a float32 array can be.
    public var normalized: Bool

    public init(_ name: String, dtype: DType, width: Int, normalized: Bool = false) {
        self.name = name
        self.dtype = dtype
        self.width = width
        self.normalized = normalized
    }

    /// The widest array: a row of every array is held in memory many times over.
    public static let maxWidth = 1_000_000

    /// Bytes of one row.
    public var rowBytes: Int { width * dtype.size }

    /// Names an array may not take: its files would be X's, the provenance's, a staging stream's,
    /// or read as the labels' and masks'.
    public static let reservedNames: Set<String> = ["X", "labels", "masks", "provenance", "split", "merged"]

    /// Why `name`, `width` and `normalized` cannot name an output array, or nil when they can:
    /// a plain name (letters, digits, `_`: it names files), not reserved, a positive width, and
    /// `normalized` only on float32.
    public var problem: String? {
        guard !name.isEmpty, name.utf8.count <= 200,
            name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") })
        else {
            return "output array name '\(name.prefix(60))' must be letters, digits and _ only (it names files)"
        }
        if Self.reservedNames.contains(name) {
            return
                "output array name '\(name)' is taken by quern's own files (\(Self.reservedNames.sorted().joined(separator: ", ")))"
        }
        if width < 1 || width > Self.maxWidth {
            return "output array '\(name)' has width \(width); allowed from 1 to \(Self.maxWidth)"
        }
        if normalized && dtype != .float32 {
            return "output array '\(name)' is \(dtype.rawValue): only float32 arrays can be normalized"
        }
        return nil
    }
}
