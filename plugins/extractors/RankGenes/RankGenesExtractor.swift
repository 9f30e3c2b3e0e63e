public import QuernKit

/// Rank-value encoding of single cells, as single-cell foundation models (Geneformer) tokenize
/// them: per cell, the ids of its `top_genes` most expressed genes, best first, as the int32
/// output array `tokens` (padded with `pad_id`), plus `n_genes` (how many genes were ranked) as a
/// feature. Labels, masks, groups and numeric features come from other columns (`obs` of an
/// `.h5ad`) through the kit's ``ColumnSpecs``, as `tabular` takes them.
///
/// A gene's value is its count, divided by the cell's total over every gene and multiplied by
/// `target_sum` when `normalize_total` is on, then divided by its factor from `gene_factors`
/// (genes without a factor are never ranked), in float64. Only values above 0 are ranked; ties go
/// to the lower gene id. Gene ids are positions in the run's gene vocabulary: the columns of an
/// `.h5ad`'s gene block (its `var` order, aligned across files by the format), or the gene
/// columns `genes:` selects, in header order (docs/single-cell.md).
public struct RankGenesExtractor: Extractor, ExtractorPlugin {
    public static let name = "rank_genes"
    public static let summary = "rank-value encoding: ids of each cell's top expressed genes (int32 array `tokens`)"
    /// The output array's name: `tokens_train.npy`, ...
    public static let arrayName = "tokens"
    /// The feature counting the genes a cell had ranked (before `top_genes` cut them).
    public static let countFeature = "n_genes"
    public static let options: [OptionSpec] =
        ColumnSpecs.optionSpecs + [
            OptionSpec(
                "genes", .stringList, default: "",
                help:
                    "gene columns: names or globs (ENSG*; over an .h5ad's var names only), in header order; empty: every gene of the block"
            ),
            OptionSpec(
                "top_genes", .int(1...1_000_000), default: "2000", help: "gene ids kept per cell (the width of tokens)"),
            OptionSpec(
                "pad_id", .int(Int(Int32.min)...Int(Int32.max)), default: "-1",
                help: "id written after a cell's last gene when it has fewer than top_genes"),
            OptionSpec(
                "normalize_total", .bool, default: "false",
                help: "divide each count by the cell's total count and multiply by target_sum before ranking"),
            OptionSpec(
                "target_sum", .double, default: "10000", help: "the total a cell is scaled to by normalize_total"),
            OptionSpec(
                "gene_factors", .string,
                help:
                    "file of per-gene factors (gene<TAB>factor a line): values are divided by them; genes not listed are not ranked"
            ),
        ]

    public static func make(_ options: PluginOptions) throws -> any Extractor {
        let columns = try ColumnSpecs.parse(options)
        let target = options.double("target_sum") ?? 10_000
        guard target.isFinite, target > 0 else {
            throw ConfigError.invalid(
                at: options["target_sum"]?.mark, key: "rank_genes.target_sum",
                reason: "must be a positive number, not \(target).")
        }
        var factors: GeneFactors? = nil
        if let path = options.string("gene_factors"), !path.isEmpty {
            factors = try GeneFactors.read(path, option: "rank_genes.gene_factors")
        }
        var text = options.canonical
        if let factors { text += ";gene_factors#=\(String(factors.digest, radix: 16))" }
        return RankGenesExtractor(
            columns: columns, genes: options.stringList("genes") ?? [], topGenes: options.int("top_genes") ?? 2000,
            padId: Int32(options.int("pad_id") ?? -1), normalizeTotal: options.bool("normalize_total") ?? false,
            targetSum: target, factors: factors, optionsText: text)
    }

    public let columns: ColumnSpecs
    public let genes: [String]
    public let topGenes: Int
    public let padId: Int32
    public let normalizeTotal: Bool
    public let targetSum: Double
    public let factors: GeneFactors?
    public let optionsText: String
    public var name: String { Self.name }
    public var labelHeads: [String]? { columns.labelHeads.map(\.name) }

    /// The gene columns of a header: each entry of `genes` in turn, globs expanded in header
    /// order (never a label, mask, group or numeric column; with a block, an `.h5ad`'s genes,
    /// only among the block's columns), duplicates dropped; empty when `genes` is (the genes are
    /// then the record's block).
    public func geneColumns(_ header: [String], numeric: [String], blockColumns: Range<Int>? = nil) throws -> [String] {
        let excluded = columns.reservedColumns.union(numeric)
        let candidates = blockColumns.map { Array(header[$0.clamped(to: header.indices)]) } ?? header
        var out: [String] = []
        var seen = Set<String>()
        for pattern in genes {
            if Glob.isPattern(pattern) {
                let hits = candidates.filter { Glob.matches($0, pattern) && !excluded.contains($0) }
                guard !hits.isEmpty else { throw ExtractorError.noMatch(pattern: pattern, columns: header) }
                for h in hits where seen.insert(h).inserted { out.append(h) }
            } else if seen.insert(pattern).inserted {
                out.append(pattern)
            }
        }
        return out
    }

    public func schema(columns header: [String]) throws -> FeatureSchema {
        try schema(columns: header, blockColumns: nil)
    }

    public func schema(columns header: [String], blockColumns: Range<Int>?) throws -> FeatureSchema {
        let numeric = try columns.numericColumns(header)
        _ = try geneColumns(header, numeric: numeric, blockColumns: blockColumns)
        return FeatureSchema(
            features: numeric.map { FeatureSchema.Feature($0, normalized: true) }
                + [FeatureSchema.Feature(Self.countFeature, normalized: false)],
            labels: columns.labelHeads, masks: columns.maskHeads, hasGroups: columns.group != nil,
            arrays: [OutputArray(Self.arrayName, dtype: .int32, width: topGenes)])
    }

    public func bind(columns header: [String], schema: FeatureSchema, missing: MissingValues) throws
        -> any BoundExtractor
    {
        try bind(columns: header, blockColumns: nil, schema: schema, missing: missing)
    }

    public func bind(
        columns header: [String], blockColumns: Range<Int>?, schema: FeatureSchema, missing: MissingValues
    ) throws -> any BoundExtractor {
        let numeric = try columns.numericColumns(header)
        guard numeric + [Self.countFeature] == schema.featureNames else {
            throw ExtractorError.schemaMismatch(expected: schema.featureNames, found: numeric + [Self.countFeature])
        }
        let geneNames = try geneColumns(header, numeric: numeric, blockColumns: blockColumns)
        // A dictionary, not firstIndex(of:): an .h5ad has tens of thousands of gene columns.
        var position: [String: Int] = [:]
        position.reserveCapacity(header.count)
        for (i, c) in header.enumerated() where position[c] == nil { position[c] = i }
        let positions = try geneNames.map { name in
            guard let i = position[name] else {
                throw ExtractorError.missingColumn(name: name, role: "gene", columns: header)
            }
            return i
        }
        return BoundRankGenes(
            columns: try columns.bind(columns: header, numericNames: numeric, missing: missing), header: header,
            genes: positions, options: self, schema: schema, missing: missing)
    }
}
