/// A merge strategy: decides which rows of the batches reach the outputs, and in what order.
///
/// Contract every strategy keeps (checked for each by `Tests/PluginTests/MergeConformanceTests`):
/// - rows it keeps are emitted byte-identical (features, labels, masks, split);
/// - the result depends only on the batches and the seed (same seed, same order);
/// - memory stays bounded by about one batch (plus small per-row state such as a hash), whatever
///   the dataset size: read batches through ``MergeContext/batches`` one at a time, spill to
///   ``MergeContext/scratchDir`` when a strategy needs more;
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
    /// About how many bytes of rows a strategy may hold at once.
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
