public import QuernKit

/// The hashing trick for high-cardinality text columns: each value (or each whitespace-separated
/// token) of the hashed columns adds +1 or -1 to one of `buckets` features, chosen by FNV-1a of
/// `column=value`; plus numeric columns, labels, masks and group as in `tabular`.
public struct HashedExtractor: Extractor, ExtractorPlugin {
    public static let name = "hashed"
    public static let summary = "hashing trick: text columns into N signed buckets, plus numeric columns"
    public static let options: [OptionSpec] =
        ColumnSpecs.optionSpecs + [
            OptionSpec("hash_columns", .stringList, required: true, help: "text columns to hash"),
            OptionSpec("buckets", .int(1...(1 << 24)), default: "1024", help: "number of hash features"),
            OptionSpec(
                "tokens", .bool, default: "false",
                help: "hash each whitespace-separated token instead of the whole value"),
            OptionSpec("signed", .bool, default: "true", help: "add -1 or +1 by a hash bit (reduces collision bias)"),
        ]

    public static func make(_ options: PluginOptions) throws -> any Extractor {
        let hashColumns = options.stringList("hash_columns") ?? []
        guard !hashColumns.isEmpty else {
            throw PluginError.invalidOptions(
                "extractor 'hashed' needs `hash_columns: [...]`, the text columns to hash.")
        }
        return HashedExtractor(
            columns: try ColumnSpecs.parse(options), hashColumns: hashColumns, buckets: options.int("buckets") ?? 1024,
            tokens: options.bool("tokens") ?? false, signed: options.bool("signed") ?? true,
            optionsText: options.canonical)
    }

    public let columns: ColumnSpecs
    public var labelHeads: [String]? { columns.labelHeads.map(\.name) }
    public let hashColumns: [String]
    public let buckets: Int
    public let tokens: Bool
    public let signed: Bool
    public let optionsText: String
    public var name: String { Self.name }

    public func schema(columns header: [String]) throws -> FeatureSchema {
        let numeric = try columns.numericColumns(header, excluding: Set(hashColumns))
        let features =
            numeric.map { FeatureSchema.Feature($0, normalized: true) }
            + (0..<buckets).map { FeatureSchema.Feature("hash_\($0)", normalized: false) }
        return FeatureSchema(
            features: features, labels: columns.labelHeads, masks: columns.maskHeads, hasGroups: columns.group != nil)
    }

    public func bind(columns header: [String], schema: FeatureSchema, missing: MissingValues) throws
        -> any BoundExtractor
    {
        let numeric = try columns.numericColumns(header, excluding: Set(hashColumns))
        guard numeric.count + buckets == schema.features.count,
            numeric.elementsEqual(schema.features.prefix(numeric.count).map(\.name))
        else {
            throw ExtractorError.schemaMismatch(expected: schema.featureNames, found: numeric)
        }
        let hashed = try hashColumns.map { c -> (Int, UInt64) in
            guard let i = header.firstIndex(of: c) else {
                throw ExtractorError.missingColumn(name: c, role: "hashed", columns: header)
            }
            return (i, FNV1a64.hash(Array("\(c)=".utf8)))
        }
        return BoundHashed(
            columns: try columns.bind(columns: header, numericNames: numeric, missing: missing), hashed: hashed,
            buckets: buckets,
            tokens: tokens, signed: signed, missing: missing, schema: schema)
    }
}

struct BoundHashed: BoundExtractor {
    let columns: BoundColumns
    let hashed: [(Int, UInt64)]
    let buckets: Int
    let tokens: Bool
    let signed: Bool
    let missing: MissingValues
    var row: [Float]
    var labels: [Int32]
    var masks: [[Int8]]
    var notes: [String: Int] = [:]

    init(
        columns: BoundColumns, hashed: [(Int, UInt64)], buckets: Int, tokens: Bool, signed: Bool,
        missing: MissingValues, schema: FeatureSchema
    ) {
        self.columns = columns
        self.hashed = hashed
        self.buckets = buckets
        self.tokens = tokens
        self.signed = signed
        self.missing = missing
        row = [Float](repeating: 0, count: schema.features.count)
        labels = [Int32](repeating: 0, count: schema.labels.count)
        masks = schema.masks.map { [Int8](repeating: 0, count: $0.width) }
    }

    mutating func extract(_ record: Record, into batch: inout RowBatch) throws(RowError) -> RowOutcome {
        if let reason = try columns.readLabels(record, into: &labels) { return .skipped(reason) }
        try columns.readMasks(record, into: &masks)
        let base = columns.numericCount
        let (buckets, tokens, signed) = (self.buckets, self.tokens, self.signed)
        var nonFinite = 0
        try row.withUnsafeMutableBufferPointer { (out: inout UnsafeMutableBufferPointer<Float>) throws(RowError) in
            nonFinite = try columns.readNumeric(record, into: out.baseAddress!)
            for k in base..<out.count { out[k] = 0 }
            for (col, seed) in hashed {
                let f = record.field(col)
                if missing.isMissing(f) { continue }
                func add(_ bytes: UnsafeBufferPointer<UInt8>) {
                    let h = FNV1a64.hash(bytes, seed: seed)
                    out[base + Int(h % UInt64(buckets))] += signed && (h >> 63) == 1 ? -1 : 1
                }
                if tokens {
                    for t in f.split(whereSeparator: { $0 == 32 || $0 == 9 }) { add(UnsafeBufferPointer(rebasing: t)) }
                } else {
                    add(f)
                }
            }
        }
        if nonFinite > 0 { notes[BoundColumns.nonFiniteNote, default: 0] += nonFinite }
        row.withUnsafeBufferPointer { r in
            labels.withUnsafeBufferPointer { l in
                batch.append(features: r, labels: l, masks: masks, group: columns.group(record), line: record.line)
            }
        }
        return .kept
    }
}
