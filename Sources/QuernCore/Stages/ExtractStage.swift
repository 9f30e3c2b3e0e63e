import Foundation
public import QuernKit
import Synchronization

/// The extract stage: discover inputs, plan batches, make the batches this shard owns that are not
/// already complete (in parallel), record each in the journal. Resumable at any point: a batch is
/// complete only once its files are published and its journal line is written.
public struct ExtractStage: Sendable {
    /// The plan the stage was made with; the runner hands it the current one (with the overrides
    /// of pre hooks) as each of its stages starts.
    public var plan: RunPlan
    /// `plan.extract`, as the stage took it.
    public private(set) var settings: ExtractSettings
    /// For what a file itself names: its format by extension (`input.format: auto`), the codec
    /// of a compressed input, the codec of a batch member being read back.
    public var registry: PluginRegistry
    public var runner: StageRunner
    public var console: Console

    public init(
        plan: RunPlan, registry: PluginRegistry, runner: StageRunner = StageRunner(), console: Console = Console()
    ) {
        self.plan = plan
        settings = plan.extract
        self.registry = registry
        self.runner = runner
        self.console = console
    }

    /// Takes `plan` (the one the runner handed over as a stage started).
    mutating func take(_ plan: RunPlan) {
        self.plan = plan
        settings = plan.extract
    }

    /// What a run did, for the summary and the exit status.
    public struct Summary: Sendable {
        public var filesTotal = 0
        public var filesOK = 0
        public var failed: [(file: String, line: Int?, reason: String)] = []
        /// Invalid records of files whose other records were kept (all in failed.jsonl).
        public var failedRecords: [(file: String, line: Int?, reason: String)] = []
        /// Entries of the input folder that matched but are not regular files, never read.
        public var skippedInputs: [SkippedInput] = []
        public var rows = 0
        public var skippedRows: [String: Int] = [:]
        public var notes: [String: Int] = [:]
        public var batches = 0
        public var batchesMade = 0
        public var batchesKept = 0
        public var bytes = 0
        public var seconds = 0.0
        public var peakBytes = 0
        public var changedFiles: [String] = []
        public var vanishedFiles: [String] = []
        public var intermediateDir = ""
        public var fingerprint = ""
        /// What the journaled batches' records cost (nil when the extractor reports no cost), and
        /// the budget (`extract.budget`).
        public var spent: Double? = nil
        public var budget: Double? = nil
    }

    /// The plan's extractor and codec (built and checked by the ``Resolver``), and the settings
    /// checked against each other, before any work.
    public func plugins() throws -> (any Extractor, any Codec) {
        let (extractor, codec) = try plan.extractPlugins()
        if settings.restart && settings.shard.count > 1 {
            throw ExtractError.restartWithShards
        }
        return (extractor, codec)
    }

    public func run() async throws -> Summary {
        let started = monotonicSeconds()
        _ = try plugins()  // checked before any work
        var stage = self
        let runner = self.runner
        let found = try await runner.run(.discover, plan: stage.plan) { plan throws -> Discovery.Listing in
            stage.take(plan)
            let found = try Discovery.list(
                in: stage.settings.inputDir, pattern: stage.settings.pattern, registry: stage.registry)
            for s in found.skipped {
                stage.console.warning(
                    "skipped \(TerminalText.escape(s.name)) in \(TerminalText.escape(stage.settings.inputDir)): \(s.reason); it is not read."
                )
            }
            runner.context?.setInputFiles(found.files.map(\.name))
            return found
        }
        var summary = try await runner.run(.extract, plan: stage.plan) { plan in
            stage.take(plan)
            return try await stage.extract(listing: found.files, started: started)
        }
        summary.skippedInputs = found.skipped
        return summary
    }

    /// The extract stage proper, on the files discovery found.
    func extract(listing: [InputFile], started: Double) async throws -> Summary {
        let (extractor, codec) = try plugins()
        let dir = settings.intermediateDir
        try AtomicFile.makeFolders(dir, for: "create the intermediate folder")
        let lock = try lockShard(dir)
        defer { withExtendedLifetime(lock) {} }
        let shard = settings.shard
        AtomicFile.sweepDebris(in: dir) { name in
            // Other shards may be writing in this folder right now: only this shard's batches and files.
            if shard.count == 1 { return true }
            if let batch = BatchName(fileName: name) { return shard.owns(batch: batch.batch) }
            return name.contains("shard-\(shard.index)-of-\(shard.count)")
        }
        if let dead = lock.tookOverFrom {
            console.info(
                "extract: took over the lock of a quern that stopped without releasing it (\(dead)); its unfinished batches are redone."
            )
        }
        let candidates = settings.maxFiles > 0 ? Array(listing.prefix(settings.maxFiles)) : listing
        guard !candidates.isEmpty else { throw DiscoveryError.noInputs(settings.inputDir, pattern: settings.pattern) }

        let (schema, runBlock) = try discoverColumns(extractor, candidates)
        let fingerprint = SchemaFingerprint(
            extractor: extractor.name, options: extractor.optionsText, schema: schema, vocabulary: runBlock)
        let (workerCount, rowsPerPart) = try memoryPlan(schema)
        if settings.restart { try setAsideEverything(in: dir) }
        let (plan, cleanup) = try updatePlan(
            dir: dir, listing: listing, candidates: candidates, extractor: extractor, schema: schema,
            fingerprint: fingerprint)

        var summary = Summary()
        summary.intermediateDir = dir
        summary.fingerprint = fingerprint.value
        let byName = Dictionary(listing.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        var journal = try JournalState.load(from: dir)
        let owned = plan.entries.filter { settings.shard.owns(batch: $0.batch) }
        var jobs: [BatchJob] = []
        var cleaned = 0
        for entry in owned {
            let files = entry.files.compactMap { byName[$0] }
            if let done = journal.entries[entry.batch],
                try isStillValid(
                    done, entry: entry, byName: byName, dir: dir, fingerprint: fingerprint, cleanup: cleanup,
                    cleaned: &cleaned, summary: &summary)
            {
                summary.batchesKept += 1
                continue
            }
            jobs.append(BatchJob(batch: entry.batch, files: files))
        }
        if cleaned > 0, let cleanup {
            console.info("extract: \(cleanup.sentence(count: cleaned)); making them again.")
        }
        for f in summary.changedFiles {
            console.warning("\(TerminalText.escape(f)) changed since it was batched: its batch is redone.")
        }
        for f in summary.vanishedFiles {
            console.warning("\(TerminalText.escape(f)) is gone from the input folder: its batch is redone without it.")
        }

        let journalFile = try LineAppender(path: "\(dir)/\(settings.shard.journalName)")
        let counters = ProgressCounters()
        let worker = BatchWorker(
            inputDir: settings.inputDir, intermediateDir: dir, registry: registry, extractor: extractor, schema: schema,
            fingerprint: fingerprint, codec: codec, format: settings.format,
            missing: MissingValues(settings.missingValues), rowsPerBatch: rowsPerPart, counters: counters,
            runBlock: runBlock, rangeBytes: settings.rangeBytes)
        let planned = jobs.map { (job: $0, pieces: worker.pieces(of: $0)) }
        let inFlight = BatchesInFlight(planned)
        let filesToDo = jobs.reduce(0) { $0 + $1.files.count }
        let keptRows = owned.compactMap { journal.entries[$0.batch] }.filter { e in
            !jobs.contains { $0.batch == e.batch }
        }.reduce(0) { $0 + $1.rows }
        if jobs.isEmpty {
            console.info("extract: all \(owned.count) batches of shard \(settings.shard) are complete; nothing to do.")
        } else {
            console.info(
                "extract: \(jobs.count) batches to make (\(Human.count(filesToDo)) files), \(summary.batchesKept) complete batches kept, \(workerCount) workers, codec \(codec.spec)"
            )
        }
        let progressPath = "\(dir)/\(settings.shard.progressName)"
        let shardName = settings.shard.description
        let ownedCount = owned.count
        let launch = ShardLaunch.current()
        func writeProgress(_ state: String, made: Int, error: String? = nil) {
            let snap = counters.snapshot
            let elapsed = max(monotonicSeconds() - started, 1e-6)
            let rate = Double(snap.rows) / elapsed
            let remainingFiles = filesToDo - snap.files
            let eta: Double? = snap.files > 0 ? elapsed / Double(snap.files) * Double(remainingFiles) : nil
            let done = ownedCount - jobs.count + made
            let progress = ProgressFile(
                stage: "extract", state: state, shard: shardName, batchesTotal: ownedCount, batchesDone: done,
                filesTotal: filesToDo, filesDone: snap.files, filesFailed: snap.failed, rows: keptRows + snap.rows,
                rowsPerSecond: rate, etaSeconds: state == "done" ? 0 : eta,
                updatedAt: ISO8601DateFormatter().string(from: Date()),
                launch: launch, error: error)
            // A view of the journal (which is durable): not synced, so a batch pays no fsync for it.
            try? AtomicFile.write(JSONLines.encode(progress) + "\n", to: progressPath, durable: false)
            console.progress(
                label: "extract", done: snap.files, total: filesToDo, unit: "files", rows: snap.rows,
                rowsPerSecond: rate, eta: eta, final: state == "done")
        }
        writeProgress("running", made: 0)
        let ticker = ProgressTicker(interval: 0.5) {
            writeProgressLive(counters: counters, console: console, filesToDo: filesToDo, started: started)
        }
        let workers = workerCount
        let runner = self.runner
        var made = 0
        var unreadable: [InputUnreadable] = []
        let unreadableList = SyncList<InputUnreadable>()
        // Batches whose files are published: when the extract stops on an error, those no journal
        // line records (made by workers still running when another failed) are removed, so every
        // batch file under a final name is journaled.
        let published = SyncList<JournalEntry>()
        var gate = BudgetGate(budget: settings.budget, journaled: journal.entries.values.map(\.spent))
        var held = 0
        do {
            // A job whose input cannot be read yields its error; the others go on, so one bad
            // mount or permission does not throw away the batches in flight.
            // Every piece of every batch is a task (a range of a big file, a run of small files):
            // the worker that finishes a batch's last piece assembles and publishes the batch.
            try await withThrowingTaskGroup(of: PieceDone.self) { group in
                @Sendable func make(_ piece: BatchPiece) throws -> PieceDone {
                    switch try inFlight.make(piece, with: worker) {
                    case .success(let entry)?:
                        published.append(entry)
                        return .batch(entry)
                    case .failure(let e)?:
                        unreadableList.append(e)
                        return .batchNotMade
                    case nil:
                        return .piece
                    }
                }
                var pending = planned.flatMap(\.pieces)[...]
                var piecesRunning = 0
                var begun = Set<Int>()
                // Up to `workers` pieces run at once; a piece of a batch not begun yet starts only
                // when the budget (extract.budget) leaves room for one more batch; without one, always.
                func startMore() {
                    while piecesRunning < workers, let piece = pending.first {
                        if !begun.contains(piece.batch) {
                            guard gate.mayStart() else { break }
                            gate.started()
                            begun.insert(piece.batch)
                        }
                        pending.removeFirst()
                        piecesRunning += 1
                        group.addTask { try await OffPool.run { try make(piece) } }
                    }
                }
                startMore()
                while let next = try await group.next() {
                    piecesRunning -= 1
                    let entry: JournalEntry
                    switch next {
                    case .piece:
                        startMore()
                        continue
                    case .batchNotMade:
                        gate.finished(cost: nil, journaled: false)
                        startMore()
                        continue
                    case .batch(let made):
                        entry = made
                    }
                    gate.finished(cost: entry.spent)
                    do {
                        try journalFile.append(JSONLines.encode(entry))
                    } catch {
                        // The batch's files are whole, but no journal line says so (a full disk,
                        // say): remove them, so that every batch file under a final name is one
                        // the journal records. The next extract makes the batch again.
                        for part in entry.parts { unlink("\(dir)/\(part.file)") }
                        throw error
                    }
                    CrashPoint.reached("batch-journaled")
                    // failed.jsonl changes only with a batch that has failures now or had them in
                    // the version it replaces (its last version is written at the end either way).
                    func hasFailures(_ e: JournalEntry?) -> Bool {
                        e?.files.contains { $0.error != nil || !($0.failedRecords ?? []).isEmpty } ?? false
                    }
                    let failuresChanged = hasFailures(entry) || hasFailures(journal.entries[entry.batch])
                    journal.entries[entry.batch] = entry
                    made += 1
                    if failuresChanged { try writeFailedList(journal, dir: dir) }
                    writeProgress("running", made: made)
                    for part in entry.parts { try await runner.batchPublished("\(dir)/\(part.file)") }
                    startMore()
                }
                held = Set(pending.map(\.batch)).count
            }
            // Batches made again are no longer the ones --cleanup deleted.
            if cleanup != nil {
                try CleanupRecord.forget(
                    jobs.filter { journal.entries[$0.batch] != nil }.flatMap {
                        journal.entries[$0.batch]!.parts.map(\.file)
                    }, in: dir)
            }
            unreadable = unreadableList.items.sorted { $0.batch < $1.batch }
            if !unreadable.isEmpty { throw ExtractError.unreadableInputs(unreadable, shard: settings.shard) }
            if held > 0, let budget = gate.budget {
                try writeFailedList(journal, dir: dir)
                throw BudgetReached(
                    budget: budget, spent: gate.spent, estimate: gate.largest, left: held, total: ownedCount,
                    suggested: gate.budgetFor(left: held))
            }
        } catch {
            inFlight.discardAll()
            for entry in published.items where journal.entries[entry.batch] == nil {
                for part in entry.parts { unlink("\(dir)/\(part.file)") }
            }
            ticker.stop()
            writeProgress("failed", made: made, error: "\(error)")
            throw error
        }
        ticker.stop()
        writeProgress("done", made: made)
        // Shards share failed.jsonl: while running, each writes what it knows; at its end it
        // rewrites it from every shard's journal, so the last shard to end lists every failed file.
        try writeFailedList(settings.shard.count > 1 ? JournalState.load(from: dir) : journal, dir: dir)

        summary.batchesMade = made
        for entry in owned {
            guard let e = journal.entries[entry.batch] else { continue }
            summary.batches += 1
            summary.rows += e.rows
            if let cost = e.spent { summary.spent = (summary.spent ?? 0) + cost }
            summary.bytes += e.bytes
            for f in e.files {
                summary.filesTotal += 1
                if let error = f.error {
                    summary.failed.append((f.name, f.errorLine, error))
                } else {
                    summary.filesOK += 1
                }
                for r in f.failedRecords ?? [] { summary.failedRecords.append((f.name, r.line, r.reason)) }
                for (k, v) in f.skipped { summary.skippedRows[k, default: 0] += v }
                for (k, v) in f.notes { summary.notes[k, default: 0] += v }
            }
        }
        summary.budget = settings.budget
        summary.seconds = monotonicSeconds() - started
        summary.peakBytes = peakResidentBytes()
        return summary
    }

    /// Workers and rows per part: the settings (`rows_per_batch`, and as many rows as
    /// `part_bytes` holds), or what fits under the memory limit.
    private func memoryPlan(_ schema: FeatureSchema) throws -> (workers: Int, rowsPerPart: Int) {
        let rowsPerPart = Self.rowsPerPart(settings, schema: schema)
        guard let limit = settings.memoryLimit else { return (settings.effectiveWorkers, rowsPerPart) }
        let rowBytes = RowLayout(schema: schema).contentBytes + 16  // plus group, source and line
        let budget = limit.budget()
        guard
            let plan = limit.extractPlan(
                workers: settings.effectiveWorkers, rowsPerBatch: rowsPerPart, rowBytes: rowBytes,
                budget: budget)
        else {
            let resident = currentResidentBytes()
            throw MemoryLimitError.tooLow(
                limit, resident: resident, minimum: MemoryLimit.minimum(rowBytes: rowBytes, resident: resident))
        }
        console.info(
            "extract: memory limit \(limit): \(plan.workers) workers, parts of at most \(Human.count(plan.rowsPerPart)) rows"
        )
        return plan
    }

    /// Rows in one part: `rows_per_batch`, or fewer when `part_bytes` holds fewer rows of this
    /// schema (as a part's arrays hold them: the row's content plus group, source and line).
    static func rowsPerPart(_ settings: ExtractSettings, schema: FeatureSchema) -> Int {
        let rowBytes = RowLayout(schema: schema).contentBytes + 16
        guard settings.partBytes > 0 else { return settings.rowsPerBatch }
        return max(1, min(settings.rowsPerBatch, settings.partBytes / rowBytes))
    }

    /// Locks this shard of the folder. A second copy of a scheduler's task waits for the first
    /// (then finds the batches complete and does nothing); a person's second command refuses,
    /// naming the holder. Shards of another count (an unsharded run is shard 0 of 1) may not work
    /// in the folder at the same time: their plans would cut the files differently.
    private func lockShard(_ dir: String) throws -> FolderLock {
        let name = settings.shard.lockName
        let first: Result<FolderLock, LockError> = Result { () throws(LockError) in
            try FolderLock(folder: dir, name: name)
        }
        let lock: FolderLock
        switch first {
        case .success(let l): lock = l
        case .failure(.held(_, let holder)) where settings.shardFromScheduler:
            console.warning(
                "shard \(settings.shard) is already being made (\(holder)): waiting for it, as a scheduler's retry of the same task."
            )
            lock = try FolderLock(folder: dir, name: name, blocking: true)
        case .failure(let error): throw error
        }
        // Every extract takes its own lock before looking at the others', so of two that start
        // together with different counts, at least one sees the other.
        for other in (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? [] {
            guard let theirs = IntermediateFolderLayout.extractLockShard(inFileName: other),
                theirs.count != settings.shard.count
            else { continue }
            let (k, n) = (theirs.index, theirs.count)
            if let holder = FolderLock.holder(folder: dir, name: theirs.name) {
                let describe = { (k: Int, n: Int) in n == 1 ? "an unsharded extract" : "shard \(k)/\(n)" }
                throw LockError.otherShardCount(
                    path: "\(dir)/\(other)", holder: holder, theirs: describe(k, n),
                    ours: describe(settings.shard.index, settings.shard.count))
            }
        }
        return lock
    }

    /// The schema, from the header of the first input file that has one.
    public func discoverSchema(_ extractor: any Extractor, _ files: [InputFile]) throws -> FeatureSchema {
        try discoverColumns(extractor, files).schema
    }

    /// The schema, and the block columns of that first file (an `.h5ad`'s genes: the run's gene
    /// vocabulary, which every other file's reader is aligned to; nil for text formats).
    func discoverColumns(_ extractor: any Extractor, _ files: [InputFile]) throws -> (
        schema: FeatureSchema, block: [String]?
    ) {
        let probe = BatchWorker(
            inputDir: settings.inputDir, intermediateDir: settings.intermediateDir, registry: registry,
            extractor: extractor,
            schema: FeatureSchema(features: [], labels: [], masks: [], hasGroups: false),
            fingerprint: SchemaFingerprint(value: ""),
            codec: try plan.extractPlugins().codec, format: settings.format,
            missing: MissingValues(settings.missingValues), rowsPerBatch: 1, counters: ProgressCounters())
        var reasons: [String] = []
        // A file whose header does not fit the extractor fails on its own (in its batch) when a
        // later one fits; only when none does is the configuration the problem.
        var misfit: ExtractError? = nil
        for file in files.prefix(20) {
            do {
                guard let kind = try probe.fileKind(file.name) else {
                    reasons.append(
                        "\(file.name): no known format by its extension; name one with --format csv, tsv or jsonl (input.format)"
                    )
                    continue
                }
                var stream: any ByteSource = try FileSource(path: "\(settings.inputDir)/\(file.name)")
                if let c = kind.compression, let codec = try registry.codec(fileExtension: c),
                    let d = try codec.makeStreamDecoder()
                {
                    stream = DecompressingSource(stream, decoder: d, codec: codec.name)
                }
                let reader = try probe.makeFormat(kind.format).open(stream, settings: ReaderSettings())
                let schema = try extractor.schema(columns: reader.columns, blockColumns: reader.blockColumns)
                // Binding checks what `schema` may not: every configured column is in the header.
                _ = try extractor.bind(
                    columns: reader.columns, blockColumns: reader.blockColumns, schema: schema,
                    missing: MissingValues(settings.missingValues))
                return (schema, reader.blockColumns.map { Array(reader.columns[$0]) })
            } catch let e as ExtractorError {
                misfit = misfit ?? ExtractError.schema(file: file.name, reason: e.description)
            } catch {
                reasons.append(TerminalText.escape("\(file.name): \(error)"))
            }
        }
        if let misfit { throw misfit }
        throw ExtractError.noHeader(reasons)
    }
}

/// A list that concurrent tasks append to.
final class SyncList<Element: Sendable>: Sendable {
    private let storage = Mutex<[Element]>([])
    func append(_ e: Element) { storage.withLock { $0.append(e) } }
    var items: [Element] { storage.withLock { $0 } }
}

/// What one piece of work ended with: only its own rows (the batch has other pieces still to
/// finish), its batch made and published, or its batch not made (an input that cannot be read).
enum PieceDone: Sendable {
    case piece
    case batch(JournalEntry)
    case batchNotMade
}
