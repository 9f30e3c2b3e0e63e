/// What a merge writes besides its arrays, chosen by name with `save.writer`: `npy` (the
/// default) adds nothing to the array outputs (`X_<split>.npy`, `labels_<split>.npz`, ...);
/// `jsonl` also writes each kept row's result (``RowBatch/results``) as one line of
/// `results_<split>.jsonl`.
///
/// Contract:
/// - the host names the files and publishes them atomically with the other outputs: a writer
///   writes only into the file it is handed, in the staging folder, and never elsewhere;
/// - ``writesResults``: every row handed to a sink has a result, and the run's extractor makes
///   them (``Extractor/makesResults``), checked before any work;
/// - a sink receives the rows of one split in output order, exactly once each, then
///   ``ResultSink/finish()`` once; what it wrote is whole and synced when `finish` returns;
/// - the same rows give the same bytes.
///
/// Threading: one writer value serves a merge; each sink is used by one thread.
public protocol OutputWriter: Sendable {
    /// The plugin name that built it.
    var name: String { get }
    /// The extension of the file it writes per split (`jsonl`), or nil when it writes none
    /// (`npy`: the host's arrays are the whole output).
    var resultsExtension: String? { get }
    /// Opens the file at `path` (new, in the staging folder) for one split's results.
    func open(path: String) throws -> any ResultSink
}

extension OutputWriter {
    /// Whether it writes each row's result (it has a file of its own).
    public var writesResults: Bool { resultsExtension != nil }
}

/// One split's results file being written: one call per row, in order, then ``finish()``.
public protocol ResultSink: AnyObject {
    /// Writes one row's result: the UTF-8 bytes of one JSON value.
    func write(result: UnsafeBufferPointer<UInt8>) throws
    /// Flushes, syncs and closes the file; returns the rows written.
    func finish() throws -> Int
}

/// Builds output writers. See ``OutputWriter``.
public protocol OutputWriterPlugin: Plugin {
    static func make(_ options: PluginOptions) throws -> any OutputWriter
}

extension OutputWriterPlugin {
    public static var kind: PluginKind { .writer }
}
