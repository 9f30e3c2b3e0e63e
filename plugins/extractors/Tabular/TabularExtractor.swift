public import QuernKit

/// Numeric columns, one-hot categorical columns, label heads, mask heads and a group key, driven by
/// config. The workload extractor: docs/examples/games.yaml shows it on the `games` data.
public struct TabularExtractor: Extractor, ExtractorPlugin {
    public static let name = "tabular"
    public static let summary = "numeric columns, one-hot categoricals, labels, masks and a group key"
    public static let options: [OptionSpec] =
        ColumnSpecs.optionSpecs + [
            OptionSpec(
                "categorical", .structured(shape: "map column -> [values]"),
                help: "one-hot columns over declared values (unknown or missing: all zeros, counted)"),
            OptionSpec(
                "genes", .stringList, default: "",
                help:
                    "gene columns of an .h5ad: names or globs over the var names only (* is every gene), after numeric"),
        ]

    public static func make(_ options: PluginOptions) throws -> any Extractor {
        let columns = try ColumnSpecs.parse(options)
        var categorical: [(String, [String])] = []
        if let v = options["categorical"] {
            guard let entries = v.mapValue else {
                throw ConfigError.wrongType(
                    at: v.mark, key: "tabular.categorical", expected: "a map of column -> [values]", found: v.typeName)
            }
            for (column, values) in entries {
                guard let list = values.listValue, !list.isEmpty, list.allSatisfy({ $0.stringValue != nil }) else {
                    throw ConfigError.wrongType(
                        at: values.mark, key: "tabular.categorical.\(column)", expected: "a non-empty list of values",
                        found: values.typeName)
                }
                categorical.append((column, list.compactMap(\.stringValue)))
            }
        }
        let genes = options.stringList("genes") ?? []
        guard !columns.numeric.isEmpty || !categorical.isEmpty || !genes.isEmpty else {
            throw PluginError.invalidOptions(
                "extractor 'tabular' needs at least one feature: set `numeric:`, `categorical:` or (for .h5ad files) `genes:` under `extractor:` (see docs/examples/games.yaml)."
            )
        }
        return TabularExtractor(
            columns: columns, categorical: categorical, genes: genes, optionsText: options.canonical)
    }

    public let columns: ColumnSpecs
    /// Gene columns (names or globs over the block's columns, an `.h5ad`'s var names).
    public let genes: [String]
    public var labelHeads: [String]? { columns.labelHeads.map(\.name) }
    public let categorical: [(String, [String])]
    public let optionsText: String
    public var name: String { Self.name }

    public init(columns: ColumnSpecs, categorical: [(String, [String])], genes: [String] = [], optionsText: String) {
        self.columns = columns
        self.categorical = categorical
        self.genes = genes
        self.optionsText = optionsText
    }

    public func schema(columns header: [String]) throws -> FeatureSchema {
        try schema(columns: header, blockColumns: nil)
    }

    public func schema(columns header: [String], blockColumns: Range<Int>?) throws -> FeatureSchema {
        let numeric = try numericColumns(header, blockColumns)
        var features = numeric.map { FeatureSchema.Feature($0, normalized: true) }
        for (column, values) in categorical {
            features += values.map { FeatureSchema.Feature("\(column)=\($0)", normalized: false) }
        }
        return FeatureSchema(
            features: features, labels: columns.labelHeads, masks: columns.maskHeads, hasGroups: columns.group != nil)
    }

    public func bind(columns header: [String], schema: FeatureSchema, missing: MissingValues) throws
        -> any BoundExtractor
    {
        try bind(columns: header, blockColumns: nil, schema: schema, missing: missing)
    }

    /// The numeric features: `numeric` over every column, then `genes` over the block's.
    func numericColumns(_ header: [String], _ block: Range<Int>?) throws -> [String] {
        var names = try columns.numericColumns(header, excluding: Set(categorical.map(\.0)))
        guard !genes.isEmpty else { return names }
        guard let block else {
            throw ExtractorError.missingColumn(
                name: genes[0],
                role: "gene: `genes:` picks among the gene columns of an .h5ad file, this file has none",
                columns: header)
        }
        let geneNames = Array(header[block])
        let known = Set(geneNames)
        var taken = Set(names)
        for pattern in genes {
            if Glob.isPattern(pattern) {
                let hits = geneNames.filter { Glob.matches($0, pattern) }
                guard !hits.isEmpty else { throw ExtractorError.noMatch(pattern: pattern, columns: geneNames) }
                for h in hits where taken.insert(h).inserted { names.append(h) }
            } else {
                guard known.contains(pattern) else {
                    throw ExtractorError.missingColumn(name: pattern, role: "gene", columns: geneNames)
                }
                if taken.insert(pattern).inserted { names.append(pattern) }
            }
        }
        return names
    }

    public func bind(
        columns header: [String], blockColumns: Range<Int>?, schema: FeatureSchema, missing: MissingValues
    ) throws -> any BoundExtractor {
        let numeric = try numericColumns(header, blockColumns)
        guard numeric.elementsEqual(schema.features.prefix(numeric.count).map(\.name)),
            numeric.count + categorical.reduce(0, { $0 + $1.1.count }) == schema.features.count
        else {
            throw ExtractorError.schemaMismatch(expected: schema.featureNames, found: numeric)
        }
        let cats = try categorical.map { (column, values) -> BoundTabular.Categorical in
            guard let i = header.firstIndex(of: column) else {
                throw ExtractorError.missingColumn(name: column, role: "categorical", columns: header)
            }
            return BoundTabular.Categorical(column: i, name: column, values: values.map { Array($0.utf8) })
        }
        return BoundTabular(
            columns: try columns.bind(columns: header, numericNames: numeric, missing: missing), categorical: cats,
            schema: schema,
            missing: missing)
    }
}

/// Tabular bound to one file: converts records to rows.
struct BoundTabular: BoundExtractor {
    struct Categorical {
        var column: Int
        var name: String
        var values: [[UInt8]]

        /// The position of the declared value `f` equals, or nil. Lengths first, then bytes, on
        /// raw pointers: the generic `elementsEqual` this replaces, tried on every value in turn,
        /// was 3% of extraction on the games data (five such columns a row).
        @inline(__always) func index(of f: UnsafeBufferPointer<UInt8>) -> Int? {
            let n = f.count
            for k in values.indices where values[k].count == n {
                let same = values[k].withUnsafeBufferPointer { v in
                    var j = 0
                    while j < n && v[j] == f[j] { j &+= 1 }
                    return j == n
                }
                if same { return k }
            }
            return nil
        }
    }

    let columns: BoundColumns
    let categorical: [Categorical]
    let missing: MissingValues
    var row: [Float]
    var labels: [Int32]
    var masks: [[Int8]]
    var notes: [String: Int] = [:]

    init(columns: BoundColumns, categorical: [Categorical], schema: FeatureSchema, missing: MissingValues) {
        self.columns = columns
        self.categorical = categorical
        self.missing = missing
        row = [Float](repeating: 0, count: schema.features.count)
        labels = [Int32](repeating: 0, count: schema.labels.count)
        masks = schema.masks.map { [Int8](repeating: 0, count: $0.width) }
    }

    mutating func extract(_ record: Record, into batch: inout RowBatch) throws(RowError) -> RowOutcome {
        if let reason = try columns.readLabels(record, into: &labels) { return .skipped(reason) }
        try columns.readMasks(record, into: &masks)
        let numericCount = columns.numericCount
        var anyUnknown = false
        var nonFinite = 0
        // The row's buffer moves out of self while it is written, so the closure reads `columns`
        // and `categorical` in place instead of copies made per row (when `BoundColumns` was a
        // struct, each copy retained and released its nine arrays: 4% of extract's samples).
        var row = self.row
        self.row = []
        defer { self.row = row }
        try row.withUnsafeMutableBufferPointer { (out: inout UnsafeMutableBufferPointer<Float>) throws(RowError) in
            nonFinite = try self.columns.readNumeric(record, into: out.baseAddress!)
            var offset = numericCount
            for c in self.categorical {
                let hit = c.index(of: record.field(c.column)) ?? -1
                for k in 0..<c.values.count { out[offset + k] = k == hit ? 1 : 0 }
                if hit < 0 { anyUnknown = true }
                offset += c.values.count
            }
        }
        if anyUnknown { noteUnknowns(record) }
        if nonFinite > 0 { notes[BoundColumns.nonFiniteNote, default: 0] += nonFinite }
        row.withUnsafeBufferPointer { r in
            labels.withUnsafeBufferPointer { l in
                batch.append(features: r, labels: l, masks: masks, group: columns.group(record), line: record.line)
            }
        }
        return .kept
    }

    /// Counts each categorical cell that matched none of its declared values (cold path).
    private mutating func noteUnknowns(_ record: Record) {
        for c in categorical {
            let f = record.field(c.column)
            guard c.index(of: f) == nil else { continue }
            notes["\(c.name): \(missing.isMissing(f) ? "missing" : "unknown value"), one-hot all zeros", default: 0] +=
                1
        }
    }
}
