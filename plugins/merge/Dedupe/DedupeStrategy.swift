public import QuernKit

/// Drops every row whose content (features, labels and masks) equals an earlier row's, or, with
/// `keys`, whose chosen columns do. Keeps the first occurrence, in batch order. Remembers a 128-bit
/// hash per distinct row (16 bytes, in a hash table of 21 to 43 bytes a row), not the rows.
public struct DedupeStrategy: MergeStrategy, MergePlugin {
    public static let name = "dedupe"
    public static let summary = "drops rows equal to an earlier row (whole content, or key columns)"
    public static let options = [
        OptionSpec(
            "keys", .stringList, default: "",
            help: "compare only these: feature names, label heads or mask heads (default: everything)")
    ]

    public static func make(_ options: PluginOptions) throws -> any MergeStrategy {
        DedupeStrategy(keys: options.stringList("keys") ?? [])
    }

    public let keys: [String]
    public init(keys: [String] = []) { self.keys = keys }
    public var name: String { Self.name }
    public var optionsText: String { keys.isEmpty ? "" : "keys=\(keys.joined(separator: ";"))" }

    struct Hash128: Hashable {
        var a: UInt64
        var b: UInt64
    }

    /// The table of hashes for `rows` distinct rows, reserved up front (so it never grows, which
    /// would hold the old table and the new one at once), and the copies of a block's kept rows
    /// when it holds duplicates (``RowBlock/selectionBytes(partRows:layout:)``).
    public func stateBytes(rows: Int, partRows: Int, schema: FeatureSchema) -> Int {
        Self.tableBytes(rows: rows) + RowBlock.selectionBytes(partRows: partRows, layout: RowLayout(schema: schema))
    }

    /// Bytes of a `Set<Hash128>` with room for `rows` elements: Swift's hash tables have a power of
    /// two buckets, at most three quarters full, each an element and a bit of the occupancy map.
    public static func tableBytes(rows: Int) -> Int {
        var buckets = 2
        while buckets * 3 / 4 < rows || buckets <= rows { buckets *= 2 }
        return buckets * MemoryLayout<Hash128>.stride + buckets / 8 + 64
    }

    public func merge(_ context: MergeContext, emit: (RowBlock) throws -> Void) throws -> MergeReport {
        let schema = context.batches.schema
        let ranges = try byteRanges(schema)
        let reason = keys.isEmpty ? "duplicate content" : "duplicate key (\(keys.joined(separator: ", ")))"
        var seen = Set<Hash128>()
        // Every row may be distinct: when the budget holds a table for them all (under
        // --memory-limit it always does), it is reserved up front and never grows, which would
        // hold the old table and the new one at once: it stays at its declared size. A table
        // over the budget (no limit, more rows than merge.memory_budget_mb holds) grows as
        // distinct rows come instead; most data has fewer distinct rows than rows.
        let total = context.batches.totalRows
        if Self.tableBytes(rows: total) <= context.memoryBudget { seen.reserveCapacity(total) }
        var report = MergeReport()
        var bytes: [UInt8] = []
        try context.batches.forEachBlock(split: context.split) { _, block in
            report.rowsIn += block.count
            var kept: [Int] = []
            kept.reserveCapacity(block.count)
            for i in 0..<block.count {
                bytes.removeAll(keepingCapacity: true)
                block.contentBytes(i, into: &bytes)
                let h = bytes.withUnsafeBytes { raw in Self.hash(raw, ranges) }
                if seen.insert(h).inserted { kept.append(i) } else { report.dropped[reason, default: 0] += 1 }
            }
            report.rowsOut += kept.count
            try emit(kept.count == block.count ? block : block.selecting(kept))
        }
        report.details["distinct"] = String(seen.count)
        return report
    }

    /// The byte ranges of the row content that are compared (nil: all of it).
    func byteRanges(_ schema: FeatureSchema) throws -> [Range<Int>]? {
        guard !keys.isEmpty else { return nil }
        let d = schema.features.count
        var ranges: [Range<Int>] = []
        for key in keys {
            if let i = schema.features.firstIndex(where: { $0.name == key }) {
                ranges.append((i * 4)..<(i * 4 + 4))
            } else if let h = schema.labels.firstIndex(where: { $0.name == key }) {
                ranges.append((d * 4 + h * 4)..<(d * 4 + h * 4 + 4))
            } else if let m = schema.masks.firstIndex(where: { $0.name == key }) {
                let start = d * 4 + schema.labels.count * 4 + schema.masks[..<m].reduce(0) { $0 + $1.width }
                ranges.append(start..<(start + schema.masks[m].width))
            } else {
                let known = schema.featureNames + schema.labels.map(\.name) + schema.masks.map(\.name)
                throw PluginError.invalidOptions(
                    "dedupe key '\(key)' is not a feature, label head or mask head\(closest(to: key, in: known).map { " (did you mean '\($0)'?)" } ?? "")."
                )
            }
        }
        return ranges
    }

    /// Two 64-bit multiply-xorshift hashes over 8-byte words, with different seeds.
    static func hash(_ raw: UnsafeRawBufferPointer, _ ranges: [Range<Int>]?) -> Hash128 {
        var a: UInt64 = 0x9E37_79B9_7F4A_7C15
        var b: UInt64 = 0xC2B2_AE3D_27D4_EB4F
        func feed(_ r: Range<Int>) {
            var i = r.lowerBound
            while i + 8 <= r.upperBound {
                let w = raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)
                a = (a ^ w) &* 0xBF58_476D_1CE4_E5B9
                a ^= a >> 29
                b = (b ^ w) &* 0x94D0_49BB_1331_11EB
                b ^= b >> 32
                i += 8
            }
            while i < r.upperBound {
                let w = UInt64(raw[i])
                a = (a ^ w) &* 0xBF58_476D_1CE4_E5B9
                a ^= a >> 29
                b = (b ^ w) &* 0x94D0_49BB_1331_11EB
                b ^= b >> 32
                i += 1
            }
            a ^= UInt64(r.count)
            b = b &+ UInt64(r.count)
        }
        if let ranges { ranges.forEach(feed) } else { feed(0..<raw.count) }
        return Hash128(a: a, b: b)
    }
}
