public import Foundation
import QuernKit

/// `quern compare`: runs several merge strategies, or recompresses the batches with several codecs,
/// on the same batches, and measures each. Every strategy runs as a fresh `quern merge` process
/// (same batches, split, normalization and seed; its own output folder and log folder), `repeat`
/// times, and the median is reported. Batches and the main outputs are only read.
public struct CompareStage: Sendable {
    public struct Settings: Sendable {
        public var intermediateDir = "data/intermediate"
        public var compareDir = "data/compare"
        public var strategies: [String] = []
        public var codecs: [String] = []
        public var repeats = 1
        public var keep = false
        public var head: String? = nil
        /// Flags passed to every `quern merge` child (config, split, seed, normalize).
        public var mergeArguments: [String] = []
        public var codecMergeStrategy = "concat"
        /// The command line that asked for the comparison, shell-quoted, for the reports' header.
        public var command = ""
        public init() {}
    }

    public struct StrategyResult: Sendable {
        public var candidate: String
        public var folder: String
        public var error: String?
        public var analysis: OutputAnalysis?
        public var seconds: Double = 0
        public var peakBytes: Int = 0
        /// Wall seconds and peak memory of each run.
        public var runs: [Double] = []
        public var runPeaks: [Int] = []
        /// Per stage of the merge (merge, split, normalize, save): the median seconds and the
        /// largest peak memory over the runs, from each run's summary.json.
        public var stages: [StageTiming] = []
    }

    /// One stage's time and memory in a candidate's runs.
    public struct StageTiming: Sendable, Equatable {
        public var stage: String
        public var seconds: Double
        public var runs: [Double]
        public var peakBytes: Int
    }

    public struct CodecResult: Sendable {
        public var codec: String
        public var error: String?
        public var uncompressedBytes = 0
        public var compressedBytes = 0
        public var compressMBps = 0.0
        public var decompressMBps = 0.0
        public var mergeSeconds = 0.0
    }

    public struct Report: Sendable {
        public var settings: Settings
        public var batches: BatchSet
        public var head: String
        public var inputClasses: [Int]
        public var strategies: [StrategyResult]
        public var codecs: [CodecResult]
        /// When the comparison ran, and with which quern (``QuernVersion``).
        public var date = Date()
        public var version = QuernVersion.current
    }

    public var settings: Settings
    public var registry: PluginRegistry
    public var console: Console
    /// The quern executable the candidates run with.
    public var executable: String

    public init(settings: Settings, registry: PluginRegistry, console: Console, executable: String) {
        self.settings = settings
        self.registry = registry
        self.console = console
        self.executable = executable
    }

    public func run() async throws -> Report {
        // Every name is checked before anything runs.
        let resolver = Resolver(registry: registry)
        for s in settings.strategies { _ = try resolver.strategy(spec: s) }
        let codecs = try settings.codecs.map { try resolver.codec(spec: $0) }
        guard !settings.strategies.isEmpty || !settings.codecs.isEmpty else {
            throw MergeError.badSettings(
                "give --merge-strategies and/or --codecs, for example --merge-strategies concat,shuffle,dedupe,balance")
        }
        let batches = try BatchSet.open(settings.intermediateDir, registry: registry)
        let schema = batches.schema
        let head = settings.head ?? schema.labels.first?.name ?? ""
        if !head.isEmpty && !schema.labels.contains(where: { $0.name == head }) {
            throw MergeError.badSettings(
                "no label head '\(head)'; the heads are \(schema.labels.map(\.name).joined(separator: ", ")).")
        }
        let h = schema.labels.firstIndex { $0.name == head }
        var inputClasses = [Int](repeating: 0, count: h.map { schema.labels[$0].classes } ?? 0)
        if let h {
            for i in batches.entries.indices {
                for y in try batches.load(i).labels[h] where y >= 0 && Int(y) < inputClasses.count {
                    inputClasses[Int(y)] += 1
                }
            }
        }
        try FileManager.default.createDirectory(atPath: settings.compareDir, withIntermediateDirectories: true)
        var strategyResults: [StrategyResult] = []
        for spec in settings.strategies {
            console.info("compare: strategy \(spec) (\(settings.repeats) run\(settings.repeats == 1 ? "" : "s"))")
            strategyResults.append(await runStrategy(spec, head: head, inputClasses: inputClasses))
        }
        var codecResults: [CodecResult] = []
        for (spec, codec) in zip(settings.codecs, codecs) {
            console.info("compare: codec \(spec) (\(settings.repeats) run\(settings.repeats == 1 ? "" : "s"))")
            do {
                codecResults.append(try await runCodec(spec, codec: codec, batches: batches))
            } catch {
                codecResults.append(CodecResult(codec: spec, error: "\(error)"))
            }
        }
        return Report(
            settings: settings, batches: batches, head: head, inputClasses: inputClasses, strategies: strategyResults,
            codecs: codecResults)
    }

    func runStrategy(_ spec: String, head: String, inputClasses: [Int]) async -> StrategyResult {
        let folder = "\(settings.compareDir)/\(CandidateList.folderName(spec))"
        var result = StrategyResult(candidate: spec, folder: folder)
        var peaks: [Int] = []
        var stageRuns: [String: [RunContext.StageRecord]] = [:]
        let logs = "\(settings.compareDir)/logs/\(CandidateList.folderName(spec))"
        for _ in 0..<settings.repeats {
            let r = await merge(intermediate: settings.intermediateDir, output: folder, strategy: spec, logs: logs)
            guard r.status == 0 else {
                result.error = r.stderrTail.suffix(4).joined(separator: " ").trimmingCharacters(in: " ")
                if result.error?.isEmpty != false { result.error = "quern merge exited with status \(r.status)" }
                return result
            }
            result.runs.append(r.seconds)
            peaks.append(r.peakBytes)
            for (stage, record) in RunSummary.read(from: logs)?.stages ?? [:] where stage != "run" {
                stageRuns[stage, default: []].append(record)
            }
        }
        result.seconds = median(result.runs)
        result.runPeaks = peaks
        result.peakBytes = peaks.sorted()[peaks.count / 2]
        let order = ["merge", "split", "normalize", "save"]
        result.stages = stageRuns.keys.sorted {
            (order.firstIndex(of: $0) ?? 99, $0) < (order.firstIndex(of: $1) ?? 99, $1)
        }.map { stage in
            let records = stageRuns[stage] ?? []
            return StageTiming(
                stage: stage, seconds: median(records.map(\.seconds)), runs: records.map(\.seconds),
                peakBytes: records.compactMap(\.peakRssBytes).max() ?? 0)
        }
        do {
            result.analysis = try OutputAnalysis.of(folder, head: head, inputClasses: inputClasses)
        } catch {
            result.error = "cannot read its outputs: \(error)"
        }
        return result
    }

    /// One `quern merge` child. Its logs go to `logs` (under the compare folder), so its
    /// summary.json gives the stage times and the main run's logs are left alone.
    func merge(intermediate: String, output: String, strategy: String, logs: String) async -> ChildProcess.Result {
        let argv =
            [
                executable, "merge", "--intermediate-dir", intermediate, "--output-dir", output, "--merge-strategy",
                strategy, "--no-hooks", "-q", "--log-dir",
                logs,
            ]
            + settings.mergeArguments
        var env = ProcessInfo.processInfo.environment
        env.removeValue(forKey: "QUERN_CONTEXT")
        return await ChildProcess.run(
            argv: argv, env: env, name: "merge \(strategy)", timeout: 24 * 3600,
            console: Console(quiet: true, isTerminal: false))
    }

    func runCodec(_ spec: String, codec: any Codec, batches: BatchSet) async throws -> CodecResult {
        let scratch = "\(settings.compareDir)/.codecs/\(CandidateList.folderName(spec))"
        try? FileManager.default.removeItem(atPath: scratch)
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        defer { if !settings.keep { try? FileManager.default.removeItem(atPath: scratch) } }
        var result = CodecResult(codec: codec.spec)
        var compressRuns: [Double] = []
        var decompressRuns: [Double] = []
        var mergeRuns: [Double] = []
        let journal = try JournalState.load(from: batches.dir)
        for _ in 0..<settings.repeats {
            var compressSeconds = 0.0
            var parts: [Int: [JournalEntry.Part]] = [:]
            result.uncompressedBytes = 0
            result.compressedBytes = 0
            for e in batches.entries {
                let batch = try batches.load(batches.entries.firstIndex(of: e)!)
                let meta = try BatchFile.loadMeta(path: e.path) { try registry.codec(zipMethod: $0) }
                result.uncompressedBytes += BatchFile.arrays(of: batch, schema: batches.schema).reduce(0) {
                    $0 + $1.1.encoded().count
                }
                let path = "\(scratch)/\(e.name.fileName)"
                let t = monotonicSeconds()
                let encoded = try BatchFile.encode(
                    batch, name: e.name, schema: batches.schema,
                    fingerprint: SchemaFingerprint(value: batches.fingerprint), extractor: meta.extractor,
                    codec: codec, path: path)
                compressSeconds += monotonicSeconds() - t
                try AtomicFile.write(encoded.bytes, to: path)
                result.compressedBytes += encoded.bytes.count
                parts[e.name.batch, default: []].append(
                    JournalEntry.Part(
                        file: e.name.fileName, rows: encoded.meta.rows, bytes: encoded.bytes.count,
                        crc32: crc32Hex(encoded.fileCRC)))
            }
            compressRuns.append(compressSeconds)
            var decompressSeconds = 0.0
            for e in batches.entries {
                let t = monotonicSeconds()
                _ = try BatchFile.load(path: "\(scratch)/\(e.name.fileName)") { try registry.codec(zipMethod: $0) }
                decompressSeconds += monotonicSeconds() - t
            }
            decompressRuns.append(decompressSeconds)
            // A journal and plan for the recompressed copy, so `quern merge` reads it like any folder.
            try FileManager.default.copyItem(
                atPath: "\(batches.dir)/\(Plan.fileName)", toPath: "\(scratch)/\(Plan.fileName).tmp")
            try? FileManager.default.removeItem(atPath: "\(scratch)/\(Plan.fileName)")
            try FileManager.default.moveItem(
                atPath: "\(scratch)/\(Plan.fileName).tmp", toPath: "\(scratch)/\(Plan.fileName)")
            var lines = ""
            for k in journal.entries.keys.sorted() {
                var entry = journal.entries[k]!
                entry.parts = parts[k] ?? []
                entry.codec = codec.spec
                lines += JSONLines.encode(entry) + "\n"
            }
            try AtomicFile.write(lines, to: "\(scratch)/\(IntermediateFolderLayout.journal(shard: 0, of: 1))")
            let r = await merge(
                intermediate: scratch, output: "\(scratch)/out", strategy: settings.codecMergeStrategy,
                logs: "\(scratch)/logs")
            guard r.status == 0 else {
                throw MergeError.badSettings(
                    "merging the \(spec) batches failed: \(r.stderrTail.suffix(3).joined(separator: " "))")
            }
            mergeRuns.append(r.seconds)
        }
        let mb = Double(result.uncompressedBytes) / 1e6
        result.compressMBps = mb / max(median(compressRuns), 1e-9)
        result.decompressMBps = mb / max(median(decompressRuns), 1e-9)
        result.mergeSeconds = median(mergeRuns)
        return result
    }

    func median(_ xs: [Double]) -> Double {
        guard !xs.isEmpty else { return 0 }
        let s = xs.sorted()
        return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
    }
}
