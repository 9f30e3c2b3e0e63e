import CQuernSys
import Foundation
public import QuernKit
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// One batch to make: its number and its input files, in plan order.
public struct BatchJob: Sendable, Equatable {
    public var batch: Int
    public var files: [InputFile]
}

/// Makes one batch: reads each file, extracts its rows, writes the batch file (or files, when it
/// outgrows the row limit) to temporary names, then publishes them with renames. A file that fails
/// contributes no row. Pure in its inputs: the same job gives the same bytes on any worker.
public struct BatchWorker: Sendable {
    public var inputDir: String
    public var intermediateDir: String
    public var registry: PluginRegistry
    public var extractor: any Extractor
    public var schema: FeatureSchema
    public var fingerprint: SchemaFingerprint
    public var codec: any Codec
    /// `input.format`: with a named format, every file is read as it, with its options.
    public var format: FormatChoice
    public var missing: MissingValues
    public var rowsPerBatch: Int
    public var readerSettings = ReaderSettings()
    public var counters: ProgressCounters
    /// The run's block columns (an `.h5ad`'s genes, from the first file): every reader with a
    /// block is aligned to them by name before binding, so no file's genes are misaligned.
    public var runBlock: [String]? = nil
    /// Input bytes of one piece of work (`batch.range_bytes`); 0 makes a batch one piece.
    public var rangeBytes = 0
    /// Memory the jobs reuse, one set per job running at a time.
    let scratchPool = ScratchPool()

    /// A file failed after some of its rows were already written to an earlier part: redo the batch
    /// without it.
    struct SpanningFailure: Error {
        var name: String
        var record: JournalEntry.FileRecord
        /// What the records read before the failure cost: paid, whatever becomes of the batch.
        var spent: Double
    }

    struct FileFailure: Error {
        var line: Int?
        var reason: String
    }

    /// What one job reuses from file to file: format readers by name, and the extractor bound to
    /// the last header seen (files of a dataset usually share one; binding per file was measurable).
    struct FileCache {
        var formats: [String: any InputFormat] = [:]
        var columns: [String] = []
        var bound: (any BoundExtractor)? = nil
    }

    /// Makes the batch on this thread, piece after piece (see ``pieces(of:)``), then publishes it.
    public func run(_ job: BatchJob) throws -> JournalEntry {
        let started = monotonicSeconds()
        let pieces = pieces(of: job)
        var results: [PieceResult] = []
        do {
            for piece in pieces { results.append(try runPiece(piece)) }
        } catch {
            for r in results { r.discard() }
            throw error
        }
        var entry = try assemble(job, pieces: pieces, results: results)
        entry.seconds = monotonicSeconds() - started
        return entry
    }

    /// Reads a run of whole files into parts whose numbers are not known yet. A file that fails
    /// after some of its rows went into an earlier part is left out and the run read again.
    func runFiles(_ files: [InputFile], batch number: Int, alone: Bool) throws -> PieceResult {
        var excluded: [String: JournalEntry.FileRecord] = [:]
        var paid = 0.0
        while true {
            do {
                var result = try attempt(files, batch: number, alone: alone, excluded: excluded)
                result.spent += paid
                return result
            } catch let failure as SpanningFailure {
                excluded[failure.name] = failure.record
                paid += failure.spent
            }
        }
    }

    private func attempt(
        _ files: [InputFile], batch number: Int, alone: Bool, excluded: [String: JournalEntry.FileRecord]
    ) throws -> PieceResult {
        try withScratch { scratch, batch in
            try attempt(files, batch: number, alone: alone, excluded: excluded, scratch, &batch)
        }
    }

    /// Runs `body` with memory lent from the pool: a job's scratch and its row batch, emptied.
    func withScratch<T>(_ body: (JobScratch, inout RowBatch) throws -> T) rethrows -> T {
        let scratch = scratchPool.take()
        var batch = scratch.batch.take() ?? RowBatch(schema: schema)
        batch.removeAll()
        defer {
            scratch.batch = batch
            scratchPool.give(scratch)
        }
        return try body(scratch, &batch)
    }

    private func attempt(
        _ files: [InputFile], batch number: Int, alone: Bool, excluded: [String: JournalEntry.FileRecord],
        _ scratch: JobScratch, _ batch: inout RowBatch
    ) throws -> PieceResult {
        // Written parts keep only what the journal needs: their bytes are on disk, and holding
        // them would make memory grow with the parts of a batch.
        var result = PieceResult()
        var cache = FileCache()
        // What the records cost (apart from `result`: the part-cutting closure mutates that).
        var paid = 0.0
        // The file being read: a part cut in the middle of it continues it in the next part.
        var current: String? = nil
        func flush(_ batch: inout RowBatch) throws {
            result.parts.append(try writePending(batch, batch: number, scratch: scratch))
            batch.removeAll()
            if let current { batch.beginSource(current) }
        }
        do {
            for file in files {
                if let known = excluded[file.name] {
                    result.records.append(known)
                    counters.add(files: 1, rows: 0, failed: 1)
                    continue
                }
                let mark = batch.mark
                let partsBefore = result.parts.count
                batch.beginSource(file.name)
                current = file.name
                var record = JournalEntry.FileRecord(
                    name: file.name, size: file.size, mtimeNs: file.mtimeNs, crc32: "", rows: 0, skipped: [:],
                    notes: [:], errorLine: nil, error: nil)
                let source: FileSource
                do {
                    source = try FileSource(path: "\(inputDir)/\(file.name)")
                } catch {
                    // A file that is there but cannot be opened (permissions, I/O) is the
                    // storage's problem, not the data's: the batch is not made, so a re-run
                    // retries it. One that vanished is the data's: the batch goes on without it.
                    try checkVanished(file, batch: number, error)
                    record.error = "cannot open: \(error.reason)"
                    batch.rollBack(to: mark)
                    result.records.append(record)
                    counters.add(files: 1, rows: 0, failed: 1)
                    continue
                }
                do {
                    try extractFile(
                        file.name, source: source, sizeHint: source.sizeHint, lineOffset: 0, wholeFile: true,
                        into: &batch, record: &record, cache: &cache, spent: &paid
                    ) { b in
                        if b.count >= rowsPerBatch { try flush(&b) }
                    }
                } catch let failure as FileFailure {
                    try? source.drain()
                    record.crc32 = source.crc.hex
                    record.fail(failure)
                    if result.parts.count > partsBefore {
                        throw SpanningFailure(name: file.name, record: record, spent: paid)
                    }
                    batch.rollBack(to: mark)
                    result.records.append(record)
                    counters.add(files: 1, rows: 0, failed: 1)
                    continue
                }
                record.crc32 = source.crc.hex
                result.records.append(record)
                counters.add(files: 1, rows: record.rows, failed: 0)
            }
            if batch.count > 0 || (alone && result.parts.isEmpty) { try flush(&batch) }
            result.spent = paid
        } catch {
            result.discard()
            throw error
        }
        return result
    }

    /// Throws ``InputUnreadable`` when a file that could not be opened is still there.
    func checkVanished(_ file: InputFile, batch: Int, _ error: ReadError) throws {
        if access("\(inputDir)/\(file.name)", F_OK) == 0 {
            throw InputUnreadable(batch: batch, path: "\(inputDir)/\(file.name)", reason: error.reason)
        }
    }

    /// Writes the arrays of `batch` to a temporary file for a part numbered later (synced then, with
    /// its `meta`, by ``finish(_:number:batch:scratch:)``: one fsync per part, not two).
    func writePending(_ batch: RowBatch, batch number: Int, scratch: JobScratch) throws -> PendingPart {
        // Named after the batch, so a shard sweeping its debris knows the file is its own.
        let base = "\(intermediateDir)/\(BatchName(batch: number, part: 0).fileName)"
        let temp = AtomicFile.tempPath(for: base)
        let arrays = try writeTemporary(temp, naming: base) { sink in
            try BatchFile.writeArrays(
                batch, schema: schema, codec: codec, path: base, scratch: scratch.encoding, to: sink)
        }
        CrashPoint.reached("part-written")
        return PendingPart(temp: temp, arrays: arrays)
    }

    /// Reads one file's records into the batch. Throws ``FileFailure`` for anything wrong with the
    /// file; `afterRow` runs after each kept row (to cut a part at the row limit).
    ///
    /// `lineOffset` is added to every line the reader names (a range read after the file's
    /// header); only a `wholeFile` without rows is a failure (a range may hold none).
    func extractFile(
        _ name: String, source: any ByteSource, sizeHint: Int, lineOffset: Int, wholeFile: Bool,
        into batch: inout RowBatch, record: inout JournalEntry.FileRecord, cache: inout FileCache,
        spent: inout Double, afterRow: (inout RowBatch) throws -> Void
    ) throws {
        guard let kind = try fileKind(name) else {
            throw FileFailure(line: nil, reason: "no input format for this file name")
        }
        var stream = source
        if let compression = kind.compression {
            guard let codec = try registry.codec(fileExtension: compression),
                let decoder = try codec.makeStreamDecoder()
            else {
                throw FileFailure(line: nil, reason: "no codec reads .\(compression) files")
            }
            stream = DecompressingSource(source, decoder: decoder, codec: codec.name)
        }
        let reader: any RecordReader
        var bound: any BoundExtractor
        do {
            // Small files get a buffer their size: 20,000 one-MiB buffers cost more in page faults than in reading.
            var settings = readerSettings
            if kind.compression == nil {
                settings.chunkBytes = min(settings.chunkBytes, max(4096, sizeHint + 1))
            }
            let format: any InputFormat
            if let known = cache.formats[kind.format] {
                format = known
            } else {
                format = try makeFormat(kind.format)
                cache.formats[kind.format] = format
            }
            reader = try format.open(stream, settings: settings)
            if let runBlock, reader.blockColumns != nil { try reader.align(toBlock: runBlock) }
            if let known = cache.bound, cache.columns == reader.columns {
                bound = known
            } else {
                bound = try extractor.bind(
                    columns: reader.columns, blockColumns: reader.blockColumns, schema: schema, missing: missing)
                cache.columns = reader.columns
                cache.bound = bound
            }
        } catch let e as ReadError {
            throw FileFailure(line: e.line.map { $0 + lineOffset }, reason: e.reason)
        } catch ExtractorError.conflictsWithRun(let reason) {
            // Only a config change can fix it: the run stops (finished batches are kept).
            throw ExtractError.schema(file: name, reason: reason)
        } catch {
            throw FileFailure(line: 1, reason: "\(error)")
        }
        let row = Record()
        var rows = 0
        var failed: [JournalEntry.FailedRecord] = []
        let notesBefore = bound.notes
        // What the records cost counts whatever became of the file: it was paid.
        let spentBefore = bound.spent
        defer { spent += bound.spent - spentBefore }
        do {
            while try reader.next(into: row) {
                let before = batch.count
                switch try bound.extract(row, into: &batch) {
                case .kept:
                    // A record may give several rows (a game gives a row per position).
                    rows += batch.count - before
                    if lineOffset != 0 {
                        for r in before..<batch.count { batch.sourceRow[r] += Int64(lineOffset) }
                    }
                    try afterRow(&batch)
                case .skipped(let reason):
                    record.skipped[reason, default: 0] += 1
                case .failed(let reason):
                    if failed.count < JournalEntry.FileRecord.maxFailedRecords {
                        failed.append(
                            JournalEntry.FailedRecord(line: row.line + lineOffset, reason: named(reason, row, reader)))
                    } else {
                        record.skipped[JournalEntry.FileRecord.overflowReason, default: 0] += 1
                    }
                }
            }
        } catch let e as ReadError {
            throw FileFailure(line: e.line.map { $0 + lineOffset }, reason: e.reason)
        } catch let e as RowError {
            throw FileFailure(line: row.line + lineOffset, reason: named(e.description, row, reader))
        }
        record.failedRecords = failed.isEmpty ? nil : failed
        if wholeFile && rows == 0 && record.skipped.isEmpty && failed.isEmpty {
            throw FileFailure(line: nil, reason: "no data rows (header only)")
        }
        record.rows = rows
        var delta: [String: Int] = [:]
        for (note, count) in bound.notes where count > notesBefore[note, default: 0] {
            delta[note] = count - notesBefore[note, default: 0]
        }
        delta.merge(reader.notes, uniquingKeysWith: +)
        record.notes = delta
        cache.bound = bound
    }

    /// `reason` with the record's name when its format has one (an .h5ad cell's id).
    private func named(_ reason: String, _ record: Record, _ reader: any RecordReader) -> String {
        guard let name = reader.name(of: record) else { return reason }
        return "\(reason) (record \(OneLine.escape(name)))"
    }

    func fileKind(_ name: String) throws -> (format: String, compression: String?)? {
        let kind = Discovery.formatName(of: name, registry: registry)
        if !format.isAuto { return (format.name, kind?.compression) }
        return kind
    }

    /// The reader of format `name`: with the configured options when it is the configured format.
    func makeFormat(_ name: String) throws -> any InputFormat {
        try registry.format(name, name == format.name ? format.options : [:])
    }

    func setAsideStaleParts(of batch: Int, keeping count: Int) throws {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: intermediateDir)) ?? []
        for n in names {
            guard let b = BatchName(fileName: n), b.batch == batch, b.part >= count else { continue }
            try Superseded.moveAside("\(intermediateDir)/\(n)", in: intermediateDir)
        }
    }
}

/// Creates `temp` and lets `body` write into it; the caller completes it, fsyncs it and renames it
/// into place. Errors name `final`, the name a person knows; on any error the temporary file is removed.
func writeTemporary<T>(_ temp: String, naming final: String, _ body: (ZipArchive.Writer.Sink) throws -> T) throws -> T {
    AtomicFile.track(temp)
    let fd = open(temp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
    guard fd >= 0 else {
        let e = errno
        AtomicFile.untrack(temp)
        throw StorageError.io(path: final, operation: "create", errno: e)
    }
    defer { close(fd) }
    do {
        let result = try body { (bytes) throws(StorageError) in try AtomicFile.writeAll(fd, bytes, path: final) }
        // Start writing the arrays to disk now: the fsync when the part is finished then finds
        // them there instead of blocking the worker while the disk catches up.
        _ = quern_start_writeback(fd, 0, 0)
        return result
    } catch {
        AtomicFile.discard(temp)
        throw error
    }
}

/// What a job reuses from the job before it on the same worker: the rows' arrays (their capacity,
/// not their rows) and the buffers that encode batch files. See ``ScratchBuffer`` for why.
final class JobScratch: @unchecked Sendable {
    var batch: RowBatch? = nil
    let encoding = BatchFile.Scratch()
}

/// The ``JobScratch`` sets of the jobs, lent to one job at a time.
final class ScratchPool: Sendable {
    private let free = Mutex<[JobScratch]>([])

    func take() -> JobScratch { free.withLock { $0.popLast() } ?? JobScratch() }
    func give(_ scratch: JobScratch) { free.withLock { $0.append(scratch) } }
}

/// Files quern replaces are never deleted by extract: they are moved into `superseded/` in the
/// intermediate folder, where the user can inspect or remove them.
public enum Superseded {
    public static let folder = IntermediateFolderLayout.superseded

    public static func moveAside(_ path: String, in dir: String, subfolder: String? = nil) throws {
        let target = subfolder.map { "\(dir)/\(folder)/\($0)" } ?? "\(dir)/\(folder)"
        try FileManager.default.createDirectory(atPath: target, withIntermediateDirectories: true)
        let name = UserPath.lastComponent(of: path)
        var dest = "\(target)/\(name)"
        var k = 1
        while FileManager.default.fileExists(atPath: dest) {
            dest = "\(target)/\(name).\(k)"
            k += 1
        }
        guard rename(path, dest) == 0 else {
            throw StorageError.io(path: path, operation: "move aside to \(dest)", errno: errno)
        }
    }
}

/// Live counts shared by the workers and the progress display.
public final class ProgressCounters: Sendable {
    private struct Counts {
        var files = 0
        var rows = 0
        var failed = 0
    }
    private let counts = Mutex(Counts())

    public init() {}

    public func add(files: Int, rows: Int, failed: Int) {
        counts.withLock {
            $0.files += files
            $0.rows += rows
            $0.failed += failed
        }
    }

    public var snapshot: (files: Int, rows: Int, failed: Int) {
        counts.withLock { ($0.files, $0.rows, $0.failed) }
    }
}

/// An input file that exists but cannot be read: its batch is left undone (not journaled) and the
/// extract goes on with the other batches, then fails naming each such file.
public struct InputUnreadable: Error, Sendable, CustomStringConvertible {
    public var batch: Int
    public var path: String
    public var reason: String

    public var description: String {
        "\(TerminalText.escape(path)): \(TerminalText.escape(reason)) (batch \(batch) was not made)"
    }
}
