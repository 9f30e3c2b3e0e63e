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
public protocol RecordReader: AnyObject {
    var columns: [String] { get }
    /// Fills `record` with the next record; false at the end of the file.
    func next(into record: Record) throws(ReadError) -> Bool
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
