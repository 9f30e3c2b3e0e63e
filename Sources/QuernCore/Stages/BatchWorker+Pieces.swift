import Foundation
import QuernKit

#if canImport(Glibc)
    import Glibc
#endif

/// A batch in pieces: cutting it (``pieces(of:)``), reading one range of a big file
/// (``runPiece(_:)``), and putting the parts of every piece together, numbered in piece order
/// (``assemble(_:pieces:results:)``).
extension BatchWorker {
    /// The batch's pieces, in order: an uncompressed file of a format whose records can be found
    /// mid-file (CSV, TSV) and bigger than `rangeBytes` becomes one piece per `rangeBytes` of it;
    /// the other files go in runs of about `rangeBytes`. With `rangeBytes` 0, one piece.
    public func pieces(of job: BatchJob) -> [BatchPiece] {
        var pieces: [BatchPiece] = []
        func add(_ work: BatchPiece.Work) {
            pieces.append(BatchPiece(batch: job.batch, index: pieces.count, work: work))
        }
        var run: [InputFile] = []
        var runBytes = 0
        for file in job.files {
            if rangeBytes > 0, file.size > rangeBytes, let splitting = splitting(of: file) {
                if !run.isEmpty { add(.files(run)) }
                (run, runBytes) = ([], 0)
                let ranges = FileRanges(
                    path: "\(inputDir)/\(file.name)", size: file.size, rangeBytes: rangeBytes, splitting: splitting)
                for k in 0..<ranges.count { add(.range(file, ranges, index: k)) }
                continue
            }
            run.append(file)
            runBytes += file.size
            if rangeBytes > 0 && runBytes >= rangeBytes {
                add(.files(run))
                (run, runBytes) = ([], 0)
            }
        }
        if !run.isEmpty || pieces.isEmpty { add(.files(run)) }
        pieces[0].alone = pieces.count == 1
        return pieces
    }

    /// How the records of `file` can be found mid-file, when it is read uncompressed in a format
    /// that says so.
    private func splitting(of file: InputFile) -> RecordSplitting? {
        guard let kind = try? fileKind(file.name), kind.compression == nil,
            let format = try? makeFormat(kind.format)
        else { return nil }
        return format.recordSplitting
    }

    /// Does one piece: its parts are written to temporary files, numbered later.
    func runPiece(_ piece: BatchPiece) throws -> PieceResult {
        switch piece.work {
        case .files(let files): return try runFiles(files, batch: piece.batch, alone: piece.alone)
        case .range(let file, let ranges, let k): return try runRange(file, ranges, k, batch: piece.batch)
        }
    }

    /// Reads range `k` of `file`: the header, then the range's records, each line named as in the
    /// whole file.
    private func runRange(_ file: InputFile, _ ranges: FileRanges, _ k: Int, batch number: Int) throws -> PieceResult {
        var record = JournalEntry.FileRecord(
            name: file.name, size: file.size, mtimeNs: file.mtimeNs, crc32: "", rows: 0, skipped: [:], notes: [:],
            errorLine: nil, error: nil)
        var result = PieceResult()
        let range: FileRanges.Range
        let source: RangeSource
        do {
            range = try ranges.range(k)
            if k > 0 && range.start >= range.end {
                result.records = [record]
                return result
            }
            source = try RangeSource(path: ranges.path, range: range)
        } catch {
            try checkVanished(file, batch: number, error)
            record.fail(line: nil, reason: "cannot open: \(error.reason)")
            result.records = [record]
            return result
        }
        return try withScratch { scratch, batch in
            try readRange(file, range, source, batch: number, record: record, scratch, &batch)
        }
    }

    private func readRange(
        _ file: InputFile, _ range: FileRanges.Range, _ source: RangeSource, batch number: Int,
        record: JournalEntry.FileRecord, _ scratch: JobScratch, _ batch: inout RowBatch
    ) throws -> PieceResult {
        var record = record
        var result = PieceResult()
        batch.beginSource(file.name)
        var cache = FileCache()
        var paid = 0.0
        do {
            try extractFile(
                file.name, source: source, sizeHint: source.totalBytes, lineOffset: range.lineOffset,
                wholeFile: false, into: &batch, record: &record, cache: &cache, spent: &paid
            ) { b in
                if b.count >= rowsPerBatch {
                    result.parts.append(try writePending(b, batch: number, scratch: scratch))
                    b.removeAll()
                    b.beginSource(file.name)
                }
            }
            if batch.count > 0 { result.parts.append(try writePending(batch, batch: number, scratch: scratch)) }
        } catch let failure as FileFailure {
            result.discard()
            result.parts = []
            record.fail(failure)
        } catch {
            result.discard()
            throw error
        }
        counters.add(files: 0, rows: record.rows, failed: 0)
        result.records = [record]
        result.spent = paid
        CrashPoint.reached("range-read")
        return result
    }

    /// Numbers the parts of every piece in piece order (dropping those of a file that failed in
    /// any of its ranges), completes and publishes them, and gives the batch's journal line.
    func assemble(_ job: BatchJob, pieces: [BatchPiece], results: [PieceResult]) throws -> JournalEntry {
        var pending: [PendingPart] = []
        var records: [JournalEntry.FileRecord] = []
        var temps: [(name: BatchName, temp: String, part: JournalEntry.Part)] = []
        let scratch = scratchPool.take()
        defer { scratchPool.give(scratch) }
        do {
            var i = 0
            while i < pieces.count {
                guard case .range(let file, let ranges, _) = pieces[i].work else {
                    pending += results[i].parts
                    records += results[i].records
                    i += 1
                    continue
                }
                var j = i + 1
                while j < pieces.count, case .range(_, let r, _) = pieces[j].work, r === ranges { j += 1 }
                var record = JournalEntry.FileRecord.combining(results[i..<j].flatMap(\.records), file: file)
                if record.error == nil {
                    pending += results[i..<j].flatMap(\.parts)
                } else {
                    for r in results[i..<j] { r.discard() }
                }
                if record.error == nil || !record.error!.hasPrefix("cannot open") {
                    record.crc32 = (try? ranges.fileCRC().hex) ?? ""
                }
                counters.add(files: 1, rows: 0, failed: record.error == nil ? 0 : 1)
                records.append(record)
                i = j
            }
            if pending.isEmpty {
                pending.append(try writePending(RowBatch(schema: schema), batch: job.batch, scratch: scratch))
            }
            for n in pending.indices {
                try finish(&pending[n], number: n, batch: job.batch, scratch: scratch)
                let name = BatchName(batch: job.batch, part: n)
                temps.append((name, pending[n].temp, pending[n].finished!.part))
            }
        } catch {
            for p in pending { AtomicFile.discard(p.temp) }
            for r in results { r.discard() }
            throw error
        }
        // Publish: every part under its final name, then set aside parts of an earlier, longer
        // version of this batch so a merge never mixes versions.
        CrashPoint.reached("batch-written")
        var done: [String] = []
        do {
            // Each part is synced; the folder once for all of them, before the journal names them.
            for t in temps {
                try AtomicFile.publish(t.temp, as: "\(intermediateDir)/\(t.name.fileName)", syncFolder: false)
                done.append("\(intermediateDir)/\(t.name.fileName)")
            }
            if let first = done.first { AtomicFile.syncFolder(of: first) }
            CrashPoint.reached("batch-published")
            try setAsideStaleParts(of: job.batch, keeping: temps.count)
        } catch {
            // No journal line will record this batch: none of its parts stays under a final name.
            for path in done { unlink(path) }
            for t in temps where !done.contains("\(intermediateDir)/\(t.name.fileName)") { AtomicFile.discard(t.temp) }
            throw error
        }
        var skipped: [String: Int] = [:]
        for r in records { skipped.merge(r.skipped, uniquingKeysWith: +) }
        let spent = results.reduce(0) { $0 + $1.spent }
        return JournalEntry(
            batch: job.batch, parts: temps.map(\.part), files: records, codec: codec.spec,
            fingerprint: fingerprint.value, seconds: 0, skipped: skipped, spent: spent > 0 ? spent : nil)
    }

    /// Finishes the parts of `results` (pieces done in a row), numbered from `first` in order, as
    /// soon as the parts before them are known: their files are then complete and synced while
    /// other workers still read, and the batch's last worker only renames them. Gives the results
    /// with each part's number, and the next number.
    func finish(_ results: [PieceResult], from first: Int, batch: Int) throws -> [PieceResult] {
        let scratch = scratchPool.take()
        defer { scratchPool.give(scratch) }
        var results = results
        var n = first
        for r in results.indices {
            for p in results[r].parts.indices {
                try finish(&results[r].parts[p], number: n, batch: batch, scratch: scratch)
                n += 1
            }
        }
        return results
    }

    /// Writes a pending part's `meta` member (naming part `number`) and its directory after its
    /// arrays, replacing those of an earlier number, and syncs it. Nothing to do when it is
    /// finished as `number` already.
    func finish(_ p: inout PendingPart, number: Int, batch: Int, scratch: JobScratch) throws {
        if p.finished?.number == number { return }
        let name = BatchName(batch: batch, part: number)
        let final = "\(intermediateDir)/\(name.fileName)"
        let fd = open(p.temp, O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else { throw StorageError.io(path: final, operation: "open", errno: errno) }
        defer { close(fd) }
        guard ftruncate(fd, off_t(p.arrays.offset)) == 0, lseek(fd, 0, SEEK_END) >= 0 else {
            throw StorageError.io(path: final, operation: "write", errno: errno)
        }
        let written = try BatchFile.finish(
            p.arrays, name: name, schema: schema, fingerprint: fingerprint, extractor: extractor.name, codec: codec,
            scratch: scratch.encoding
        ) { (bytes) throws(StorageError) in try AtomicFile.writeAll(fd, bytes, path: final) }
        guard fsync(fd) == 0 else { throw StorageError.io(path: final, operation: "fsync", errno: errno) }
        p.finished = (
            number,
            JournalEntry.Part(
                file: name.fileName, rows: written.meta.rows, bytes: written.bytes, crc32: crc32Hex(written.fileCRC))
        )
    }
}
