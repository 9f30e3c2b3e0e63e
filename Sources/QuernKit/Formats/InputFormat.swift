/// Reads one input format (CSV, TSV, JSON Lines) from a stream of bytes into ``Record``s.
///
/// Contract every format keeps, checked for each format of a plugin table by
/// `InputFormatConformance` (library `QuernConformance`), on a sample written in the format:
/// - the records read are the ones written (columns, fields, the line each starts on), whether
///   the source hands out the whole file or a byte at a time, in small chunks or large;
/// - a broken record is a ``ReadError`` naming its line;
/// - any bytes at all (empty, random, binary) end in records or a ``ReadError``: never a crash or
///   a hang. (Read through ``ChunkBuffer``, which refuses a record over
///   ``ReaderSettings/maxRecordBytes``, rather than growing a buffer of your own.)
///
/// Threading: one format value is shared by every worker (no mutable state); ``open(_:settings:)``
/// makes a ``RecordReader`` per file, used by one thread.
///
/// Errors: throw ``ReadError`` with the line and what is wrong ("an unterminated quote"); the
/// host records the file in `failed.jsonl` and goes on with the others.
public protocol InputFormat: Sendable {
    var name: String { get }
    func open(_ source: any ByteSource, settings: ReaderSettings) throws(ReadError) -> any RecordReader
    /// How records can be found in the middle of a file, so one big file is read in byte ranges by
    /// every worker; nil (the default) when they cannot, and a file is read whole by one worker.
    var recordSplitting: RecordSplitting? { get }
}

/// Settings every reader honours.
public struct ReaderSettings: Sendable, Equatable {
    /// Largest record accepted, in bytes; a longer one is an error, not unbounded memory.
    public var maxRecordBytes: Int
    /// Bytes read from the source at a time.
    public var chunkBytes: Int

    public init(maxRecordBytes: Int = 64 << 20, chunkBytes: Int = 1 << 20) {
        self.maxRecordBytes = maxRecordBytes
        self.chunkBytes = chunkBytes
    }
}

/// Yields the records of one file. `columns` are the header names (CSV) or keys (JSON Lines).
///
/// A binary format whose records carry a ``NumericBlock`` (the genes of an `.h5ad`) says which
/// columns it spans (``blockColumns``), and lines its block up with the run's: the host calls
/// ``align(toBlock:)`` with the block column names of the run's first file before binding, so
/// every file hands over the same columns in the same order (a file's genes in another order
/// are mapped by name, never misaligned). Text formats keep the defaults (no block, nothing to
/// align, no notes).
public protocol RecordReader: AnyObject {
    var columns: [String] { get }
    /// Fills `record` with the next record; false at the end of the file.
    func next(into record: Record) throws(ReadError) -> Bool
    /// The columns every record hands over in its ``Record/block`` (nil: none, a text format).
    var blockColumns: Range<Int>? { get }
    /// Makes the block columns `names` (the run's, from its first file), in that order: a name
    /// this file lacks reads as 0, a block column of this file not in `names` is left out; both
    /// are counted in ``notes``. Afterwards ``columns`` ends with `names`. Called at most once,
    /// before the first ``next(into:)``; the default does nothing.
    func align(toBlock names: [String]) throws(ReadError)
    /// Things the reader counted for this file (genes mapped away by ``align(toBlock:)``), added
    /// to the file's notes in the journal and the summary, like an extractor's.
    var notes: [String: Int] { get }
    /// What messages call `record` besides its line, when the format has a name for it (an
    /// `.h5ad` cell's id, its `obs` index); nil for text formats, whose line says it all.
    func name(of record: Record) -> String?
}

extension RecordReader {
    public var blockColumns: Range<Int>? { nil }
    public func align(toBlock names: [String]) throws(ReadError) {}
    public var notes: [String: Int] { [:] }
    public func name(of record: Record) -> String? { nil }
}

/// A file could not be read: where, and why.
public struct ReadError: Error, Sendable, Equatable, CustomStringConvertible {
    public var line: Int?
    public var reason: String

    public init(line: Int?, _ reason: String) {
        self.line = line
        self.reason = reason
    }

    public var description: String { line.map { "line \($0): \(reason)" } ?? reason }
}
