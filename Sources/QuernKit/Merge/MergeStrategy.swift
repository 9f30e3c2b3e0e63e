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
///
/// Threading: ``merge(_:emit:)`` runs once per merge on one thread, and `emit` is called on that
/// thread; the host writes an emitted block in the background, so a strategy keeps no reference
/// to a block it changes after emitting it (blocks are values: changing a copy is safe).
///
/// Errors: throw ``PluginError`` for options that do not fit the data (a key that names no
/// column) or data that break the strategy's rules; any error stops the merge and nothing is
/// published. Errors from ``MergeContext/batches`` describe the batch file; rethrow them as they are.
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
    /// The batches to merge, in order; see ``BatchSource``.
    public var batches: any BatchSource
    public var split: SplitFunction
    /// The merge's seed (`merge.seed`, `--seed`). The split has its own (`split.seed`), so a strategy
    /// re-run with another seed never moves rows between splits.
    public var seed: Int
    /// A folder the strategy may write temporary files to; removed after the merge.
    public var scratchDir: String
    /// About how many bytes of rows a strategy may hold at once; under `--memory-limit`, never
    /// less than its ``MergeStrategy/stateBytes(rows:partRows:schema:)``.
    public var memoryBudget: Int

    public init(batches: any BatchSource, split: SplitFunction, seed: Int, scratchDir: String, memoryBudget: Int) {
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
