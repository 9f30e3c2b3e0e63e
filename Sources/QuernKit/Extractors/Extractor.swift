/// Turns records of one input file into feature rows. An extractor is configured once from its
/// options (immutable, shared by every worker); for each input file, ``bind(columns:)`` resolves
/// column names to positions and returns a ``BoundExtractor`` used for that file's rows.
///
/// Contract every extractor must keep, checked for each extractor of a plugin table by
/// `ExtractorConformance` (library `QuernConformance`), on an example (options and a few rows):
/// - ``schema(columns:)`` is a pure function of the options and the columns of the first file,
///   and the same options give the same ``optionsText`` (both are in the schema fingerprint);
/// - the schema matches every row emitted: exactly `schema.features.count` finite floats per
///   kept row, one label per head within `0..<classes`, `width` mask values per mask head, a
///   group and a source line per row;
/// - a record gives 0..n rows: ``RowOutcome/kept`` when it appended one or more whole rows to
///   the ``RowBatch`` (a game record gives a row per position), ``RowOutcome/skipped(_:)`` or
///   ``RowOutcome/failed(_:)`` when it appended none (kept + skipped + failed = records given;
///   the schema matches every row, however many a record gives);
/// - a record that is invalid on its own (a game with an illegal move) is ``RowOutcome/failed(_:)``:
///   the host lists its line and reason in `failed.jsonl` and keeps the file's other rows; a
///   malformed row that means the file cannot be trusted throws a ``RowError`` and the host
///   discards the whole file;
/// - the same rows give the same batch, skips and notes, bit for bit;
/// - ``bind(columns:schema:missing:)`` throws when a configured column is missing.
///
/// Threading: one extractor value is shared by every worker thread (hence `Sendable`, and no
/// mutable state); each worker binds its own ``BoundExtractor`` per file and uses it alone.
///
/// Errors: ``schema(columns:)`` and ``bind(columns:schema:missing:)`` throw ``ExtractorError``
/// for columns a file lacks (the host tries other files before blaming the configuration);
/// ``bind(columns:schema:missing:)`` throws ``ExtractorError/conflictsWithRun(_:)`` for a file the
/// run's configuration cannot hold (the host stops the run: only a config change fixes it);
/// options that cannot work are refused when the plugin is built (``ConfigError`` for a value
/// at a config line, ``PluginError`` otherwise), never later in the run.
public protocol Extractor: Sendable {
    /// The plugin name that built it.
    var name: String { get }
    /// The options it was built with, canonical, for the schema fingerprint.
    var optionsText: String { get }
    /// The schema this extractor produces for inputs with these columns (the header of the first file).
    func schema(columns: [String]) throws -> FeatureSchema
    /// Binds to one file's columns. Throws when a configured column is missing.
    func bind(columns: [String], schema: FeatureSchema, missing: MissingValues) throws -> any BoundExtractor
    /// The label heads this extractor makes whatever the input's columns, as its options name
    /// them; nil when only the data tells. Merge strategies check their options against them
    /// before any work (``MergeStrategy/check(labelHeads:)``).
    var labelHeads: [String]? { get }
    /// Whether every row it keeps carries a result (``RowBatch/results``: one JSON value per
    /// row), for an output writer that writes results (`jsonl`). False by default.
    var makesResults: Bool { get }
    /// ``schema(columns:)`` knowing which columns the records hand over as a ``NumericBlock``
    /// (``RecordReader/blockColumns``: an `.h5ad`'s genes), so options can pick among those
    /// (tabular's `genes:`). The host calls this one; the default ignores the block.
    func schema(columns: [String], blockColumns: Range<Int>?) throws -> FeatureSchema
    /// ``bind(columns:schema:missing:)`` knowing the block columns; the host calls this one.
    func bind(columns: [String], blockColumns: Range<Int>?, schema: FeatureSchema, missing: MissingValues) throws
        -> any BoundExtractor
}

extension Extractor {
    public var labelHeads: [String]? { nil }
    public var makesResults: Bool { false }

    public func schema(columns: [String], blockColumns: Range<Int>?) throws -> FeatureSchema {
        try schema(columns: columns)
    }

    public func bind(columns: [String], blockColumns: Range<Int>?, schema: FeatureSchema, missing: MissingValues)
        throws -> any BoundExtractor
    {
        try bind(columns: columns, schema: schema, missing: missing)
    }
}

/// An extractor bound to the column positions of one file. Not shared between threads. Called
/// once per record, in file order; it is the hot path, so work on the record's bytes and reuse
/// buffers rather than allocating per row.
public protocol BoundExtractor {
    /// Appends one or more rows to `batch` (``RowOutcome/kept``), or none and returns why.
    mutating func extract(_ record: Record, into batch: inout RowBatch) throws(RowError) -> RowOutcome
    /// Things counted along the way that did not skip a row (e.g. "phase: unknown value, all zeros").
    var notes: [String: Int] { get }
    /// What the records given so far cost, summed (the `command` extractor: what its program
    /// reported per record, such as an API's price), whether they gave rows or not. The host
    /// journals it per batch and holds a run to `extract.budget`. Zero by default.
    var spent: Double { get }
}

extension BoundExtractor {
    public var spent: Double { 0 }
}

/// What became of one record.
public enum RowOutcome: Equatable, Sendable {
    /// One or more rows appended.
    case kept
    /// Skipped and counted under this reason (e.g. "label 'action' missing").
    case skipped(String)
    /// The record is invalid (the reason says why and names the value, e.g. "move 3 'z9' is off
    /// the 13x13 board"): no row appended, the record's line and reason are listed in
    /// `failed.jsonl`, and the file's other records go on.
    case failed(String)
}

/// A record the extractor cannot read: the whole file is skipped and recorded in `failed.jsonl`.
public struct RowError: Error, Sendable, Equatable, CustomStringConvertible {
    public var column: String?
    public var reason: String

    public init(column: String?, _ reason: String) {
        self.column = column
        self.reason = reason
    }

    public var description: String { column.map { "column '\($0)': \(reason)" } ?? reason }

    /// A cell's text for a message: at most 40 bytes, control characters escaped, and the full
    /// length when cut (a 10 MB field must not make a 10 MB message).
    public static func shown<C: Collection<UInt8>>(_ cell: C) -> String {
        var out = ""
        for scalar in String(decoding: cell.prefix(40), as: UTF8.self).unicodeScalars {
            out += scalar.value < 0x20 || scalar.value == 0x7F ? scalar.escaped(asASCII: true) : String(scalar)
        }
        return cell.count > 40 ? "'\(out)...' (\(cell.count) bytes)" : "'\(out)'"
    }
}
