/// The batches a merge strategy reads: what a ``MergeStrategy`` may know about the intermediate
/// folder, and nothing more (the host's batch set, with its journals, checksums and files,
/// conforms; a test can conform with batches held in memory).
///
/// What a conforming type guarantees:
/// - Batches are numbered `0..<batchCount` in a fixed order (the order extract planned them), and
///   every read of batch `i` yields the same rows, each checked (checksum, schema) before it is
///   handed out: a batch that fails its check throws, it is never returned damaged.
/// - Every batch has ``schema``; ``rowCount(ofBatch:)`` is known without reading the batch.
/// - ``forEachBlock(split:_:)`` calls `body` on the calling thread, one batch at a time, in order;
///   it may read later batches ahead on other threads, holding at most a few batches in memory.
///   An error from reading a batch, or one thrown by `body`, stops the walk and is rethrown.
/// - Errors describe themselves (`CustomStringConvertible`) naming the batch file and what to do.
///
/// Threading: a source is `Sendable` and may be read from several threads at once; a strategy
/// normally reads it from the one thread that calls ``MergeStrategy/merge(_:emit:)``.
public protocol BatchSource: Sendable {
    /// The schema every batch has (features, label heads, mask heads).
    var schema: FeatureSchema { get }
    /// How many batches there are.
    var batchCount: Int { get }
    /// The rows of batch `i`, as recorded when it was written (no read).
    func rowCount(ofBatch i: Int) -> Int
    /// What to call batch `i` in a message: its file's path.
    func batchDescription(_ i: Int) -> String
    /// Reads batch `i` whole, with its provenance (source files and lines, group keys).
    func load(_ i: Int) throws -> RowBatch
    /// Each batch in order as a ``RowBlock`` whose rows carry their split code (decided by
    /// `split` from each row's group key, or source and line), with the batch's index.
    func forEachBlock(split: SplitFunction, _ body: (Int, RowBlock) throws -> Void) throws
    /// The shape of every row, as the blocks hand it out (a strategy that makes blocks of its own,
    /// such as shuffle's spilled rows, makes them in this layout). The default is ``schema``'s,
    /// without row origins.
    var layout: RowLayout { get }
}

extension BatchSource {
    /// Rows in all batches.
    public var totalRows: Int { (0..<batchCount).reduce(0) { $0 + rowCount(ofBatch: $1) } }
    /// The shape of every row: ``schema``'s, without row origins.
    public var layout: RowLayout { RowLayout(schema: schema) }
}
