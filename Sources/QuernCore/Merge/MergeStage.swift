import CQuernSys
import Foundation
public import QuernKit

/// The merge stage and the stages after it: read the batches one at a time through a merge
/// strategy, send each row to its split, fit normalization on train and apply it, write the
/// outputs into a staging folder, validate, and publish them in one step. Batches are only read;
/// `--cleanup` deletes them after the outputs are published.
public struct MergeStage: Sendable {
    /// The plan the stage was made with; the runner hands it the current one (with the overrides
    /// of pre hooks) as each of its stages starts.
    public var plan: RunPlan
    /// For the codec of each batch member being read back (named by the file).
    public var registry: PluginRegistry
    public var runner: StageRunner
    public var console: Console

    public init(
        plan: RunPlan, registry: PluginRegistry, runner: StageRunner = StageRunner(), console: Console = Console()
    ) {
        self.plan = plan
        self.registry = registry
        self.runner = runner
        self.console = console
    }

    public struct Summary: Sendable {
        public var outputDir = ""
        public var splits = [0, 0, 0]
        public var report = MergeReport()
        public var strategy = ""
        public var batches = 0
        public var seconds = 0.0
        public var peakBytes = 0
        public var cleanup: String? = nil
        public var validated = true
        /// Input rows the extractor dropped (a label missing or not in the config), by reason.
        public var rowsDropped: [String: Int] = [:]
        /// Things the user should know though the outputs were published (an empty split).
        public var warnings: [String] = []
        /// The results files published (`save.writer: jsonl`), with their rows.
        public var results: [(file: String, rows: Int)] = []
    }

    public func run() async throws -> Summary {
        let started = monotonicSeconds()
        // After an extract in the same process (`quern run`), malloc still holds the workers'
        // freed buffers: give them back before the merge allocates its own.
        quern_release_free_memory()
        _ = try plan.mergeStrategy()  // built and checked by the Resolver before any work
        var settings = plan.merge
        let runner = self.runner
        let console = self.console
        var timings: [String: Double] = [:]
        var t = monotonicSeconds()
        var published = false
        var lock: FolderLock? = nil
        var staging = ""
        defer {
            if !published && !staging.isEmpty { OutputPublisher.discard(staging) }
            withExtendedLifetime(lock) {}
        }
        // merge: the strategy's rows, in its order, with their split codes. When a hook will look at
        // them (post-merge, pre-split), they are written as their own stream, X_merged.npy and
        // friends, which the split stage then reads; otherwise each row goes straight to its
        // split's files and the data is written once.
        let inspect = runner.observers.contains { $0.inspectsMergedRows() }
        var split = SplitFunction()
        let keyTally = SplitKeyTally()
        var direct: SplitWriter? = nil
        var blockRows = 1 << 16
        var bufferBytes = 1 << 20
        var windowBytes = 32 << 20
        var rowsDropped: [String: Int] = [:]
        // The output writer (`save.writer`); one that writes results needs each row's origin.
        var outputWriter: any OutputWriter = try plan.outputWriter()
        var results: ResultsWriter? = nil
        var carryOrigin = settings.provenance
        let (strategy, batches, publisher, merged, report) = try await runner.run(.merge, plan: plan) {
            plan async throws -> (any MergeStrategy, BatchSet, OutputPublisher, RowFilesWriter?, MergeReport) in
            settings = plan.merge
            let strategy = try plan.mergeStrategy()
            outputWriter = try plan.outputWriter()
            carryOrigin = settings.provenance || outputWriter.writesResults
            var batches = try BatchSet.open(settings.intermediateDir, registry: registry)
            // No rows: publishing would put empty outputs over the previous ones, so nothing is.
            guard batches.totalRows > 0 else { throw NothingToPublish.noRows(batches, output: settings.outputDir) }
            rowsDropped = try DroppedRows.inJournal(batches.dir)
            split = try settings.splitFunction(for: batches.schema)
            settings.splitBy = split.by
            batches.keyTally = keyTally
            if carryOrigin { batches.provenance = ProvenanceTable() }
            if outputWriter.writesResults { batches.results = ResultTable() }
            // Blocks read back from a merged stream hold at most 16 MiB of rows, however wide a row is.
            blockRows = max(1024, min(1 << 16, (16 << 20) / max(1, batches.layout.rowBytes)))
            var memoryBudget = settings.memoryBudget
            if let limit = settings.memoryLimit {
                let partRows = batches.entries.map(\.rows).max() ?? 0
                let rowBytes = batches.layout.rowBytes + 16
                let state = strategy.stateBytes(rows: batches.totalRows, partRows: partRows, schema: batches.schema)
                // Refused before any row is read: the limit would be passed without a word otherwise.
                // What the process holds now counts as it is (malloc's free pages were given back
                // above, so after an extract in this process it is about what a fresh quern holds).
                let resident = currentResidentBytes()
                let minimum = MemoryLimit.mergeMinimum(
                    partRows: partRows, rowBytes: rowBytes, stateBytes: state, resident: resident)
                if limit.bytes < minimum {
                    let named = MemoryLimit.named(minimum)
                    if state > 0 {
                        throw MemoryLimitError.tooLowForStrategy(
                            limit, strategy: strategy.name, rows: batches.totalRows, stateBytes: state,
                            partRows: partRows, need: minimum, minimum: named)
                    }
                    throw MemoryLimitError.tooLowForParts(limit, partRows: partRows, need: minimum, minimum: named)
                }
                let plan = limit.mergePlan(
                    partRows: partRows, rowBytes: rowBytes, stateBytes: state, budget: limit.budget(resident: resident))
                batches.maxReadAhead = plan.readAhead
                batches.maxLoaders = plan.loaders
                // The strategy's state is needed whatever merge.memory_budget_mb says.
                memoryBudget = max(state, min(memoryBudget, plan.strategyBytes))
                blockRows = plan.blockRows
                bufferBytes = 128 << 10  // nine or more output streams each gather this much before a write
                windowBytes = plan.windowBytes
                console.info(
                    "merge: memory limit \(limit) (quern holds \(Human.bytes(resident))): \(plan.readAhead) batches ahead, strategy budget \(Human.bytes(memoryBudget)) (\(Human.bytes(state)) for its state), blocks of \(Human.count(plan.blockRows)) rows"
                )
            }
            let publisher = OutputPublisher(output: settings.outputDir)
            lock = try publisher.lock()
            if let dead = lock?.tookOverFrom {
                console.info(
                    "merge: took over the lock of a quern that stopped without releasing it (\(dead)); its staging folder is removed."
                )
            }
            if try publisher.recover() {
                console.warning(
                    "merge: finished publishing the outputs of a merge that was interrupted while moving them into \(settings.outputDir)."
                )
            }
            staging = try publisher.makeStaging()
            runner.context?.setStagingDir(staging)
            console.info(
                "merge: \(batches.entries.count) batch files, \(Human.count(batches.totalRows)) rows, strategy \(strategy.name), split \(settings.fractions.map { String($0) }.joined(separator: "/")) by \(split.by.rawValue) with split seed \(settings.splitSeed), merge seed \(settings.mergeSeed)"
            )
            let context = MergeContext(
                batches: batches, split: split, seed: settings.mergeSeed,
                scratchDir: "\(staging)/\(OutputFolderLayout.mergeScratch)",
                memoryBudget: memoryBudget)
            let merged =
                inspect
                ? try RowFilesWriter(
                    dir: staging, name: "merged", schema: batches.schema, keepSplit: true,
                    provenance: carryOrigin, bufferBytes: bufferBytes) : nil
            if let table = batches.results {
                results = try ResultsWriter(
                    writer: outputWriter, table: table, dir: staging, fractions: settings.fractions)
            }
            if !inspect {
                direct = try SplitWriter(
                    dir: staging, schema: batches.schema, provenance: settings.provenance, bufferBytes: bufferBytes)
                direct?.results = results
            }
            let total = batches.totalRows
            var seen = 0
            // The rate and ETA count from the first row merged, not from opening the batches.
            let mergeStarted = monotonicSeconds()
            let report = try strategy.merge(context) { block in
                if let merged { try merged.append(block) } else { try direct?.write(block) }
                seen += block.count
                let elapsed = max(monotonicSeconds() - mergeStarted, 1e-6)
                console.progress(
                    label: "merge", done: seen, total: total, unit: "rows", rows: seen,
                    rowsPerSecond: Double(seen) / elapsed,
                    eta: MergeStage.eta(done: seen, total: total, elapsed: elapsed))
            }
            try merged?.finish(sync: false)
            try? FileManager.default.removeItem(atPath: context.scratchDir)
            return (strategy, batches, publisher, merged, report)
        }
        timings["merge"] = monotonicSeconds() - t
        t = monotonicSeconds()
        // split: the merged rows into X_train/val/test (merge order kept inside each split), with
        // counts and label/mask checks; finished into valid .npy files.
        let writer =
            try direct
            ?? SplitWriter(
                dir: staging, schema: batches.schema, provenance: settings.provenance, bufferBytes: bufferBytes)
        writer.results = results
        try await runner.run(.split) {
            if let merged {
                try RowFiles.forEachBlock(
                    dir: staging, name: "merged", schema: batches.schema, provenance: carryOrigin,
                    rows: merged.rows, blockRows: blockRows
                ) {
                    try writer.write($0)
                }
                RowFiles.remove(dir: staging, name: "merged", schema: batches.schema)
            }
            try writer.finish()
        }
        timings["split"] = monotonicSeconds() - t
        let emptySplits = SplitCheck.emptySplits(
            rows: writer.rows, fractions: split.fractions, by: split.by, keys: keyTally.keys(by: split.by))
        for w in emptySplits.warnings { console.warning("merge: \(w)") }
        t = monotonicSeconds()
        var nonFinite = 0
        var arrayNormalization = ArrayNormalization()
        // The batches' arrays are freed, but malloc keeps them for reuse; normalize maps windows of
        // X on top, so give them back first (the merge's peak otherwise lands here).
        quern_release_free_memory()
        // The split and merge keys were consumed when the merge started (later overrides of them
        // are refused); normalize and save take their own key as they start.
        let params = try await runner.run(.normalize, plan: plan) { plan throws -> Normalizer.Parameters in
            settings.normalize = plan.merge.normalize
            var normalizer = Normalizer(method: settings.normalize, schema: batches.schema)
            normalizer.windowBytes = windowBytes
            let p = normalizer.fit(writer.trainMoments)
            for (s, name) in SplitFunction.names.enumerated() {
                nonFinite += try normalizer.apply(p, path: RowFiles.x(staging, name), rows: writer.rows[s])
            }
            arrayNormalization = try ArrayNormalization.run(
                method: settings.normalize, schema: batches.schema, moments: writer.arrayMoments, dir: staging,
                rows: writer.rows, windowBytes: windowBytes)
            return p
        }
        timings["normalize"] = monotonicSeconds() - t
        t = monotonicSeconds()
        var summary = Summary()
        summary.outputDir = settings.outputDir
        summary.splits = writer.rows
        summary.report = report
        summary.strategy = strategy.name
        summary.batches = batches.entries.count
        summary.rowsDropped = rowsDropped
        summary.warnings = emptySplits.warnings
        try await runner.run(.save, plan: plan) { plan in
            settings.skipValidation = plan.merge.skipValidation
            // Neither is ever published, --skip-validation or not: no rows at all, or values
            // the stats file cannot record (it would be written as `{}`).
            guard writer.rows.reduce(0, +) > 0 else {
                throw NothingToPublish.noRows(
                    intermediate: batches.dir, output: settings.outputDir, failed: [], failedCount: 0,
                    dropped: report.dropped, strategy: strategy.name)
            }
            if nonFinite > 0 {
                throw NothingToPublish.nonFinite(
                    staging: staging, output: settings.outputDir, schema: batches.schema, rows: writer.rows,
                    batches: batches)
            }
            var problems = writer.problems + emptySplits.problems + arrayNormalization.problems
            if report.rowsOut != writer.rows.reduce(0, +) {
                problems.append(
                    "the strategy reported \(report.rowsOut) rows but \(writer.rows.reduce(0, +)) were written")
            }
            if !problems.isEmpty && !settings.skipValidation { throw MergeError.validation(problems) }
            summary.validated = !settings.skipValidation
            try writer.writeNpz()
            if let results {
                guard try results.finish() == writer.rows else {
                    throw MergeError.validation([
                        "the results files hold \(results.rows) rows per split, the arrays \(writer.rows)"
                    ])
                }
                summary.results = results.files
            }
            timings["save"] = monotonicSeconds() - t
            timings["total"] = monotonicSeconds() - started
            try writer.syncArrays()
            let stats = try StatsFile.make(
                settings: settings, batches: batches, strategy: strategy, report: report, writer: writer,
                params: params,
                timings: timings, validated: summary.validated, overrides: runner.context?.overrides ?? [],
                rowsDropped: rowsDropped, arrays: arrayNormalization)
            try AtomicFile.write(stats, to: "\(staging)/\(OutputFolderLayout.stats)")
            // What `quern transform` and `quern.normalize` need to apply this run to new files.
            let config = runner.context?.config
            try FittedTransform.save(
                to: staging, config: config, fingerprint: batches.fingerprint, schema: batches.schema, params: params)
            // The input folder is known only when this process extracted (`quern run`): the config
            // of a `quern merge` alone need not name the folder the batches came from.
            let extracted = runner.context.map { !$0.inputFiles.isEmpty } ?? false
            let inputDir = extracted ? plan.extract.inputDir : nil
            if settings.provenance { try batches.provenance?.write(to: staging, inputDir: inputDir) }
            // last: it covers every other file
            try OutputChecksums.write(dir: staging, arrays: batches.schema.arrays.map(\.name))
            CrashPoint.reached("outputs-staged")
            try publisher.publish(staging)
            published = true
        }
        if settings.cleanup {
            summary.cleanup = try await runner.run(.cleanup) {
                try Self.deleteBatches(batches, output: settings.outputDir)
            }
        }
        summary.seconds = monotonicSeconds() - started
        summary.peakBytes = peakResidentBytes()
        return summary
    }

    /// Deletes the batch files (only after the outputs are published); the journal stays, so a
    /// later `quern extract` redoes them if they are needed again. The deletion is recorded first
    /// (``CleanupRecord``), so verify and later runs know it was on purpose.
    /// Seconds left at the rate so far, or nil before the first rows (nothing to go on). Counted
    /// in rows written: a strategy that drops rows (dedupe, balance) ends sooner than it says.
    static func eta(done: Int, total: Int, elapsed: Double) -> Double? {
        guard done > 0, elapsed > 0 else { return nil }
        return elapsed / Double(done) * Double(max(total - done, 0))
    }

    static func deleteBatches(_ batches: BatchSet, output: String) throws -> String {
        let files = Dictionary(batches.entries.map { ($0.name.fileName, $0.crc32) }, uniquingKeysWith: { a, _ in a })
        let stamp = ISO8601DateFormatter().string(from: Date())
        try CleanupRecord(cleanedAt: stamp, output: output, files: files).write(to: batches.dir)
        var bytes = 0
        for e in batches.entries where FileManager.default.fileExists(atPath: e.path) {
            try FileManager.default.removeItem(atPath: e.path)
            bytes += e.bytes
        }
        return
            "deleted \(batches.entries.count) batch files (\(Human.bytes(bytes))) from \(batches.dir); its journal and plan are kept, so `quern extract` can redo them."
    }
}

/// `preprocessing_stats.json`: what a user (or inference code) needs to know about the outputs.
enum StatsFile {
    static func make(
        settings: MergeSettings, batches: BatchSet, strategy: any MergeStrategy, report: MergeReport,
        writer: SplitWriter,
        params: Normalizer.Parameters, timings: [String: Double], validated: Bool, overrides: [RunContext.Override],
        rowsDropped: [String: Int], arrays: ArrayNormalization = ArrayNormalization()
    ) throws -> String {
        let schema = batches.schema
        var features: [String: Any] = [:]
        for f in params.features {
            features[f.name] =
                params.method == .minmax ? ["min": f.shift, "range": f.scale] : ["mean": f.shift, "std": f.scale]
        }
        var classCounts: [String: Any] = [:]
        for (h, head) in schema.labels.enumerated() {
            classCounts[head.name] = Dictionary(
                uniqueKeysWithValues: SplitFunction.names.enumerated().map { ($1, writer.classCounts[h][$0]) })
        }
        var stats: [String: Any] = [
            "total_samples": writer.rows.reduce(0, +),
            "input_dim": schema.features.count,
            "feature_names": schema.featureNames,
            "normalized_features": schema.features.filter(\.normalized).map(\.name),
            "splits": Dictionary(uniqueKeysWithValues: SplitFunction.names.enumerated().map { ($1, writer.rows[$0]) }),
            "class_counts": classCounts,
            "labels": schema.labels.map {
                ["name": $0.name, "classes": $0.classes, "class_names": $0.classNames as Any? ?? NSNull()]
                    as [String: Any]
            },
            "masks": schema.masks.map {
                ["name": $0.name, "width": $0.width, "label": $0.label as Any? ?? NSNull()] as [String: Any]
            },
            "normalization": ["method": params.method.rawValue, "fit_on": "train", "features": features]
                as [String: Any],
            "merge": [
                "strategy": strategy.name, "options": strategy.optionsText, "seed": settings.mergeSeed,
                "rows_in": report.rowsIn, "rows_out": report.rowsOut,
                "dropped": report.dropped, "details": report.details,
            ] as [String: Any],
            "split": [
                "by": (settings.splitBy ?? .group).rawValue, "fractions": settings.fractions,
                "seed": settings.splitSeed,
                "function":
                    "u = fnv1a64(utf8(\"<seed>:<key>\")) % 10000; train if u < 10000*f_train, val if u < 10000*(f_train+f_val), else test",
            ] as [String: Any],
            "seed": settings.mergeSeed,
            "schema_fingerprint": batches.fingerprint,
            "batches": [
                "folder": batches.dir, "count": batches.entries.count, "rows": batches.totalRows,
                "files": batches.entries.map {
                    ["file": UserPath.lastComponent(of: $0.path), "rows": $0.rows, "crc32": $0.crc32] as [String: Any]
                },
            ] as [String: Any],
            "validated": validated,
            "rows_dropped": rowsDropped,
            "checksums_file": OutputChecksums.fileName,
            "hook_overrides": overrides.map { ["hook": $0.hook, "stage": $0.stage, "key": $0.key, "value": $0.value] },
            "timings_seconds": timings,
            "peak_memory_bytes": peakResidentBytes(),
        ]
        // Only when there are some: the stats of a run without output arrays are what they were.
        if !schema.arrays.isEmpty { stats["arrays"] = ArrayNormalization.stats(schema: schema, fitted: arrays) }
        // JSON has no NaN or infinity: name the first such value rather than write an empty file.
        if let key = firstNonFinite(stats) {
            throw NothingToPublish.statsUnwritable(output: settings.outputDir, why: "\(key) is not a finite number")
        }
        let data: Data
        do {
            data = try JSONSerialization.data(withJSONObject: stats, options: [.prettyPrinted, .sortedKeys])
        } catch {
            throw NothingToPublish.statsUnwritable(output: settings.outputDir, why: "\(error)")
        }
        return String(decoding: data, as: UTF8.self) + "\n"
    }

    /// The key path of the first NaN or infinite number in a JSON-like tree (`normalization.features.v.mean`).
    static func firstNonFinite(_ value: Any, path: String = "") -> String? {
        switch value {
        case let d as Double: return d.isFinite ? nil : "\(path) (\(d))"
        case let f as Float: return f.isFinite ? nil : "\(path) (\(f))"
        case let map as [String: Any]:
            for k in map.keys.sorted() {
                if let hit = firstNonFinite(map[k]!, path: path.isEmpty ? k : "\(path).\(k)") { return hit }
            }
            return nil
        case let list as [Any]:
            for (i, v) in list.enumerated() {
                if let hit = firstNonFinite(v, path: "\(path)[\(i)]") { return hit }
            }
            return nil
        default: return nil
        }
    }
}
