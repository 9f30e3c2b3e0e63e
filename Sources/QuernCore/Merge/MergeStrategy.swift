/// A merge strategy: decides which rows of the batches reach the outputs, and in what order.
///
/// Contract every strategy keeps, checked for each strategy of a plugin table by
/// `MergeStrategyConformance` (library `QuernConformance`) on real batches with planted duplicates:
/// - rows it keeps are emitted byte-identical (features, labels, masks, split), each at most as
///   often as it was given;
/// - the result depends only on the batches and the seed (same seed, same order), never on the
///   memory budget (a small budget may spill, it gives the same rows in the same order);
/// - memory stays bounded by about one batch plus the state it declares in
///   ``stateBytes(rows:partRows:schema:)``, whatever the dataset size: read batches through
///   ``MergeContext/batches`` one at a time, spill to ``MergeContext/scratchDir`` when a strategy
///   needs more;
/// - ``MergeReport`` counts rows in, rows out, and every dropped row by reason.
public protocol MergeStrategy: Sendable {
    var name: String { get }
    /// The options, canonical, for the stats file.
    var optionsText: String { get }
    func merge(_ context: MergeContext, emit: (RowBlock) throws -> Void) throws -> MergeReport
    /// Checks the strategy's options against the label heads the configured extractor declares
    /// (``Extractor/labelHeads``), before any work: throw an error that names the option and
    /// says what to do (balance refuses a `head` the extractor does not make). The default accepts.
    func check(labelHeads: [String]) throws
    /// The most memory the strategy holds at once, in bytes, besides the blocks the batches hand
    /// it and the blocks it emits unchanged, when it merges `rows` rows of `schema` from batch
    /// parts of at most `partRows` rows (a row is ``RowLayout/rowBytes`` bytes). Count everything that
    /// grows with the rows (dedupe's table of hashes) and every block the strategy makes itself
    /// (a filtered copy of a block, a block of spilled rows). A strategy that spills declares the
    /// least ``MergeContext/memoryBudget`` it can work in, and keeps within the budget it gets
    /// (never less than this). Under `--memory-limit` the merge adds this to what it holds for
    /// the parts and refuses, before reading a row, a limit too low for both; concat returns 0.
    func stateBytes(rows: Int, partRows: Int, schema: FeatureSchema) -> Int
}

extension MergeStrategy {
    public func check(labelHeads: [String]) throws {}
}

/// What a strategy works with.
public struct MergeContext: Sendable {
    public var batches: BatchSet
    public var split: SplitFunction
    /// The merge's seed (`merge.seed`, `--seed`). The split has its own (`split.seed`), so a strategy
    /// re-run with another seed never moves rows between splits.
    public var seed: Int
    /// A folder the strategy may write temporary files to; removed after the merge.
    public var scratchDir: String
    /// About how many bytes of rows a strategy may hold at once; under `--memory-limit`, never
    /// less than its ``MergeStrategy/stateBytes(rows:partRows:schema:)``.
    public var memoryBudget: Int

    public init(batches: BatchSet, split: SplitFunction, seed: Int, scratchDir: String, memoryBudget: Int) {
        self.batches = batches
        self.split = split
        self.seed = seed
        self.scratchDir = scratchDir
        self.memoryBudget = memoryBudget
    }
}

/// What a strategy did.
public struct MergeReport: Sendable, Equatable, Codable {
    public var rowsIn = 0
    public var rowsOut = 0
    /// Rows dropped, by reason ("duplicate content", "class 3 over the cap").
    public var dropped: [String: Int] = [:]
    /// Anything else worth recording (buckets spilled, classes capped).
    public var details: [String: String] = [:]

    public init() {}
}

/// Builds merge strategies. See ``MergeStrategy``.
public protocol MergePlugin: Plugin {
    static func make(_ options: PluginOptions) throws -> any MergeStrategy
}

extension MergePlugin {
    public static var kind: PluginKind { .merge }
}

extension PluginRegistry {
    /// Looks up a merge strategy by name, checks its options and builds it.
    public func mergeStrategy(_ name: String, _ values: [String: ConfigValue] = [:]) throws -> any MergeStrategy {
        let p = try lookup(.merge, name)
        guard let m = p as? any MergePlugin.Type else { throw RegistryError.notBuildable(name) }
        return try m.make(options(for: p, values))
    }

    /// Parses `name[:key=value,...]` and builds that merge strategy.
    public func mergeStrategy(spec: String, extra: [String: ConfigValue] = [:]) throws -> any MergeStrategy {
        let s = try PluginSpec.parse(spec)
        return try mergeStrategy(s.name, extra.merging(s.options) { _, flag in flag })
    }
}
