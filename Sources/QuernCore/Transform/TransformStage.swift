import Foundation
public import QuernKit

/// `quern transform`: applies a finished run's extractor and fitted normalization to new input
/// files, without splitting and without refitting. It reads what the run's merge saved with its
/// outputs (``FittedTransform``: `transform.json` and `quern_config.yaml`), extracts the files
/// through the same ``BatchWorker`` as `quern extract` (into uncompressed batches in the staging
/// folder), writes every row in file order then line order, applies the saved parameters with the
/// same ``Normalizer``, and publishes `X.npy`, `labels.npz`, `masks.npz` (and `provenance.npy`
/// with `save.provenance`) the way a merge publishes (``OutputPublisher``). On the run's own
/// training files with concat and fractions 1,0,0 its `X.npy` is the run's `X_train.npy`, byte for
/// byte.
public struct TransformStage: Sendable {
    /// The output folder of the finished run.
    public var runDir: String
    public var inputDir: String
    public var outputDir: String
    /// Overrides the run's `input.pattern`.
    public var pattern: String?
    /// Parallel workers (0: one per core).
    public var workers = 0
    public var registry: PluginRegistry
    public var console: Console

    public init(
        runDir: String, inputDir: String, outputDir: String, registry: PluginRegistry, console: Console = Console()
    ) {
        self.runDir = runDir
        self.inputDir = inputDir
        self.outputDir = outputDir
        self.registry = registry
        self.console = console
    }

    /// What a transform did.
    public struct Summary: Sendable {
        public var outputDir = ""
        public var files = 0
        public var rows = 0
        /// Files that failed and gave no row: name, line (when known) and reason.
        public var failed: [(name: String, line: Int?, reason: String)] = []
        /// Rows the extractor rejected, by reason (as `run` counts them).
        public var rowsDropped: [String: Int] = [:]
        public var provenance = false
    }

    /// The run's saved transform and config, checked against each other.
    public func loadRun() throws -> (fitted: FittedTransform, config: ConfigValue) {
        let fitted = try FittedTransform.load(from: runDir)
        let configPath = "\(runDir)/\(FittedTransform.configFileName)"
        guard FileManager.default.fileExists(atPath: configPath) else {
            throw TransformError.notSaved(folder: runDir, file: FittedTransform.configFileName)
        }
        return (fitted, try YAMLLoader.load(path: configPath))
    }

    public func run() throws -> Summary {
        let (fitted, config) = try loadRun()
        let params = try fitted.parameters
        // A shard is the run's business, not the transform's (and `auto` would need the
        // scheduler's variables): the transform reads every file it is given.
        let plan = try Resolver(registry: registry).plan(
            config.removing("extract.shard").removing("extract.shard_count"), stages: .extract)
        let extract = plan.extract
        let merge = plan.merge
        let (extractor, _) = try plan.extractPlugins()
        let schema = fitted.schema
        let fingerprint = SchemaFingerprint(extractor: extractor.name, options: extractor.optionsText, schema: schema)
        guard fingerprint.value == fitted.fingerprint else {
            throw TransformError.extractorChanged(
                folder: runDir, expected: fitted.fingerprint, found: fingerprint.value)
        }
        // The fitted transform holds X's parameters only: a normalized output array would be saved
        // unnormalized, so it is refused rather than written wrong.
        if let array = schema.arrays.first(where: \.normalized) {
            throw TransformError.normalizedArray(folder: runDir, array: array.name)
        }
        let publisher = OutputPublisher(output: outputDir)
        guard publisher.folder != UserPath.resolved(runDir) else { throw TransformError.sameFolder(outputDir) }
        let files = try Discovery.find(in: inputDir, pattern: pattern ?? extract.pattern, registry: registry)
        guard !files.isEmpty else { throw TransformError.noInputs(inputDir) }

        let lock = try publisher.lock()
        defer { withExtendedLifetime(lock) {} }
        try publisher.recover()
        let staging = try publisher.makeStaging()
        var published = false
        defer { if !published { OutputPublisher.discard(staging) } }
        let scratch = "\(staging)/\(OutputFolderLayout.transformScratch)"
        try AtomicFile.makeFolders(scratch, for: "create the transform's scratch folder")

        var summary = Summary()
        summary.outputDir = outputDir
        summary.provenance = merge.provenance
        summary.files = files.count
        let entries = try extractAll(
            files, extractor: extractor, schema: schema, fingerprint: fingerprint, settings: extract, into: scratch)
        for e in entries {
            for f in e.files {
                if let error = f.error { summary.failed.append((f.name, f.errorLine, error)) }
                summary.rowsDropped.merge(f.skipped, uniquingKeysWith: +)
            }
        }
        summary.rows = entries.reduce(0) { $0 + $1.rows }
        guard summary.rows > 0 else {
            throw TransformError.noRows(
                inputDir: inputDir, failed: summary.failed.count, dropped: summary.rowsDropped.values.reduce(0, +))
        }

        // Every row goes to "train": the split writer's checks and label files, without a split.
        let writer = try SplitWriter(dir: staging, schema: schema, provenance: merge.provenance)
        let table = merge.provenance ? ProvenanceTable() : nil
        let layout = RowLayout(schema: schema, provenance: merge.provenance)
        let readScratch = BatchFile.ReadScratch()
        for e in entries {
            for part in e.parts {
                let batch = try BatchFile.load(
                    path: "\(scratch)/\(part.file)", expected: .init(bytes: part.bytes, crc32: part.crc32),
                    scratch: readScratch
                ) {
                    try registry.codec(zipMethod: $0)
                }.batch
                var block = BatchSet.block(
                    from: batch, layout: layout, split: SplitFunction(seed: 0, fractions: [1, 0, 0], by: .group))
                block.split = [UInt8](repeating: 0, count: batch.count)
                table?.globalize(&block, sources: batch.sources, groups: batch.groups)
                try writer.write(block)
            }
        }
        try FileManager.default.removeItem(atPath: scratch)
        try writer.finish()
        if !writer.problems.isEmpty { throw TransformError.validation(writer.problems) }
        let x = RowFiles.x(staging, OutputFolderLayout.transformSplit)
        let nonFinite = try Normalizer(method: params.method, schema: schema).apply(params, path: x, rows: summary.rows)
        if nonFinite > 0 { throw TransformError.nonFinite(values: nonFinite, output: outputDir) }
        try writer.writeNpz()
        try writer.syncArrays()
        try finishFiles(staging, schema: schema, table: table)
        try AtomicFile.write(report(summary, fitted: fitted), to: "\(staging)/\(Self.reportFile)")
        try OutputChecksums.write(dir: staging, arrays: schema.arrays.map(\.name))
        try publisher.publish(staging)
        published = true
        return summary
    }

    public static let reportFile = OutputFolderLayout.transformReport

    /// Renames the one split's files to the transform's names and removes the empty val and test ones.
    private func finishFiles(_ staging: String, schema: FeatureSchema, table: ProvenanceTable?) throws {
        let split = OutputFolderLayout.transformSplit
        var moves = [
            (RowFiles.x(staging, split), OutputFolderLayout.transformX),
            ("\(staging)/\(OutputFolderLayout.labels(split: split))", OutputFolderLayout.transformLabels),
        ]
        if !schema.masks.isEmpty {
            moves.append(("\(staging)/\(OutputFolderLayout.masks(split: split))", OutputFolderLayout.transformMasks))
        }
        if table != nil { moves.append((RowFiles.origin(staging, split), OutputFolderLayout.transformProvenance)) }
        for array in schema.arrays {
            moves.append((RowFiles.array(staging, split, array.name), OutputFolderLayout.transformArray(array.name)))
        }
        for (from, to) in moves {
            guard rename(from, "\(staging)/\(to)") == 0 else {
                throw StorageError.io(path: from, operation: "rename to \(to)", errno: errno)
            }
        }
        for name in OutputFolderLayout.splits where name != split {
            for file in OutputFolderLayout.arrays(split: name) + [OutputFolderLayout.provenance(split: name)] {
                unlink("\(staging)/\(file)")
            }
            for array in schema.arrays { unlink(RowFiles.array(staging, name, array.name)) }
        }
        try table?.write(to: staging, inputDir: inputDir)
    }

    /// `transform_report.json`: what was read, kept and dropped.
    private func report(_ s: Summary, fitted: FittedTransform) -> String {
        let object: [String: Any] = [
            "format": "quern-transform-report", "version": 1, "run": runDir, "input_dir": inputDir,
            "fingerprint": fitted.fingerprint,
            "files": s.files,
            "files_failed": s.failed.map {
                ["file": $0.name, "line": $0.line as Any? ?? NSNull(), "error": $0.reason] as [String: Any]
            },
            "rows": s.rows, "rows_dropped": s.rowsDropped, "normalization": fitted.normalization.method,
        ]
        let data =
            (try? JSONSerialization.data(
                withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]))
            ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self) + "\n"
    }

    /// Extracts `files` into batches in `dir`, as `quern extract` would (same worker, same rules for
    /// a failing file), `files_per_batch` files a batch, `workers` at a time; the journal entries in
    /// file order.
    private func extractAll(
        _ files: [InputFile], extractor: any Extractor, schema: FeatureSchema, fingerprint: SchemaFingerprint,
        settings: ExtractSettings, into dir: String
    ) throws -> [JournalEntry] {
        let worker = BatchWorker(
            inputDir: inputDir, intermediateDir: dir, registry: registry, extractor: extractor, schema: schema,
            fingerprint: fingerprint,
            codec: try registry.codec("none"), format: settings.format, missing: MissingValues(settings.missingValues),
            rowsPerBatch: ExtractStage.rowsPerPart(settings, schema: schema), counters: ProgressCounters())
        let per = max(1, settings.filesPerBatch)
        let jobs = stride(from: 0, to: files.count, by: per).enumerated().map { k, start in
            BatchJob(batch: k, files: Array(files[start..<min(files.count, start + per)]))
        }
        let threads = max(1, min(jobs.count, workers > 0 ? workers : settings.effectiveWorkers))
        let results = ResultSlots<JournalEntry>(count: jobs.count)
        let console = self.console
        let total = files.count
        let started = monotonicSeconds()
        DispatchQueue.concurrentPerform(iterations: threads) { t in
            for k in stride(from: t, to: jobs.count, by: threads) {
                results.set(k, Result { try worker.run(jobs[k]) })
                let done = worker.counters.snapshot
                let elapsed = max(monotonicSeconds() - started, 1e-6)
                console.progress(
                    label: "transform", done: done.files, total: total, unit: "files", rows: done.rows,
                    rowsPerSecond: Double(done.rows) / elapsed,
                    eta: done.files > 0 ? elapsed * Double(total - done.files) / Double(done.files) : nil)
            }
        }
        let done = worker.counters.snapshot
        console.progress(
            label: "transform", done: done.files, total: total, unit: "files", rows: done.rows,
            rowsPerSecond: Double(done.rows) / max(monotonicSeconds() - started, 1e-6), eta: nil, final: true)
        return try results.values()
    }
}

/// One result slot per job, filled from several threads.
final class ResultSlots<T: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var slots: [Result<T, any Error>?]

    init(count: Int) { slots = Array(repeating: nil, count: count) }

    func set(_ i: Int, _ r: Result<T, any Error>) {
        lock.lock()
        slots[i] = r
        lock.unlock()
    }

    /// Every value in order; the first error (by index) is thrown.
    func values() throws -> [T] {
        lock.lock()
        defer { lock.unlock() }
        return try slots.map { try $0!.get() }
    }
}
