public import Foundation
public import QuernKit

// The typed settings of each section, read from a checked tree through ``SettingReader``. Each
// throws the first problem; ``Resolver/resolve(_:stages:buildExtractor:)`` collects them all.
extension Resolver {
    /// The extract stage's settings. `--shard auto` reads the scheduler's variables from `environment`.
    public static func extractSettings(
        _ config: ConfigValue, environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(ConfigError)
        -> ExtractSettings
    {
        try ConfigSchema.check(config)
        let r = SettingReader(config: config)
        var s = ExtractSettings()
        s.inputDir = try r.required("paths.input", r.string)
        s.intermediateDir = try r.required("paths.intermediate", r.string)
        s.pattern = r.string("input.pattern")
        s.format = try FormatChoice.resolve(try r.required("input.format", r.value))
        s.missingValues = try r.required("input.missing_values", r.value).listValue?.map { $0.stringValue ?? "" } ?? []
        s.maxFiles = try r.required("input.max_files", r.int)
        s.codecSpec = try r.required("batch.codec", r.string)
        s.filesPerBatch = try r.required("batch.files_per_batch", r.int)
        s.rowsPerBatch = try r.required("batch.rows_per_batch", r.int)
        s.partBytes = try size(r, "batch.part_bytes", least: 4096)
        s.rangeBytes = try size(r, "batch.range_bytes", least: 4096)
        s.workers = try r.bool("extract.sequential") ? 1 : try r.required("extract.workers", r.int)
        s.memoryLimit = try memoryLimit(r)
        s.restart = try r.bool("extract.restart")
        if let v = r.value("extract.budget") {
            guard let budget = v.doubleValue, budget >= 0, budget.isFinite else {
                throw .invalid(
                    at: v.mark, key: "extract.budget",
                    reason:
                        "give the most the records may cost, a number >= 0 (for example 25.0), not '\(v.canonical)'.")
            }
            s.budget = budget
        }
        (s.shard, s.shardFromScheduler) = try shard(of: config, environment: environment)
        s.extractorName = try r.required("extractor.name", r.string)
        if let ex = r.given("extractor") {
            guard let entries = ex.mapValue else {
                throw .wrongType(
                    at: ex.mark, key: "extractor", expected: "a map (name: and the extractor's options)",
                    found: ex.typeName)
            }
            for (k, v) in entries {
                if k == "name" {
                    guard let name = v.stringValue else {
                        throw .wrongType(at: v.mark, key: "extractor.name", expected: "a string", found: v.typeName)
                    }
                    s.extractorName = name
                } else {
                    s.extractorOptions[k] = v
                }
            }
        }
        return s
    }

    /// The shard `extract.shard` (`--shard`, with `extract.shard_count`) names: K/N as given, or
    /// `auto` read from the scheduler's variables in `environment` (then `fromScheduler`).
    /// ``Shard/whole`` without one.
    public static func shard(of config: ConfigValue, environment: [String: String]) throws(ConfigError) -> (
        shard: Shard, fromScheduler: Bool
    ) {
        let r = SettingReader(config: config)
        let count = r.given("extract.shard_count")
        guard let v = r.given("extract.shard") else { return (.whole, false) }
        if v.stringValue == "auto" {
            do {
                return (try SchedulerShard.resolve(environment: environment, count: count?.intValue), true)
            } catch {
                throw .invalid(at: v.mark, key: "extract.shard", reason: error.description)
            }
        }
        guard let text = v.stringValue, let shard = Shard(text) else {
            throw .invalid(
                at: v.mark, key: "extract.shard",
                reason: "write K/N with 0 <= K < N (for example 0/4), or auto, not '\(v.canonical)'.")
        }
        if let count, count.intValue != shard.count {
            throw .invalid(
                at: count.mark, key: "extract.shard_count",
                reason:
                    "it says \(count.canonical) shards but --shard \(shard) says \(shard.count): give one or the other."
            )
        }
        return (shard, false)
    }

    /// The merge's settings, and those of the stages after it.
    public static func mergeSettings(_ config: ConfigValue) throws(ConfigError) -> MergeSettings {
        try ConfigSchema.check(config)
        let r = SettingReader(config: config)
        var s = MergeSettings()
        s.intermediateDir = try r.required("paths.intermediate", r.string)
        s.outputDir = try r.required("paths.output", r.string)
        s.strategySpec = try r.required("merge.strategy", r.string)
        if let v = r.given("merge.options") {
            guard let entries = v.mapValue else {
                throw .wrongType(
                    at: v.mark, key: "merge.options", expected: "a map of option -> value", found: v.typeName)
            }
            for (k, o) in entries { s.strategyOptions[k] = o }
        }
        s.cleanup = try r.bool("merge.cleanup")
        s.skipValidation = try r.bool("merge.skip_validation")
        s.provenance = try r.bool("save.provenance")
        s.writerSpec = try r.required("save.writer", r.string)
        s.memoryBudget = try r.required("merge.memory_budget_mb", r.int) << 20
        s.memoryLimit = try memoryLimit(r)
        s.splitSeed = try r.required("split.seed", r.int)
        s.mergeSeed = try r.required("merge.seed", r.int)
        if let v = r.value("split.by") {
            guard let by = v.stringValue.flatMap(SplitFunction.By.init(rawValue:)) else {
                throw .invalid(
                    at: v.mark, key: "split.by",
                    reason: "must be group (rows of a group stay together) or row, not '\(v.canonical)'.")
            }
            s.splitBy = by
        }
        let v = try r.required("split.fractions", r.value)
        let items: [String] =
            v.listValue?.compactMap(\.stringValue) ?? (v.stringValue?.split(separator: ",").map { String($0) } ?? [])
        let numbers = items.compactMap { Double($0.trimmingCharacters(in: " ")) }
        guard numbers.count == 3, numbers.count == items.count, numbers.allSatisfy({ $0 >= 0 }),
            abs(numbers.reduce(0, +) - 1) < 1e-6
        else {
            throw .invalid(
                at: v.mark, key: "split.fractions",
                reason:
                    "give three fractions train,val,test that are >= 0 and sum to 1 (for example 0.8,0.1,0.1), not '\(v.canonical)'."
            )
        }
        s.fractions = numbers
        let n = try r.required("normalize.method", r.value)
        guard let method = n.stringValue.flatMap(Normalizer.Method.init(rawValue:)) else {
            throw .invalid(
                at: n.mark, key: "normalize.method", reason: "must be standard, minmax or none, not '\(n.canonical)'.")
        }
        s.normalize = method
        return s
    }

    /// How hooks run.
    public static func hookSettings(_ config: ConfigValue) throws(ConfigError) -> HookSettings {
        try ConfigSchema.check(config)
        let r = SettingReader(config: config)
        var s = HookSettings()
        s.enabled = try r.bool("hooks.enabled")
        s.dir = try r.required("hooks.dir", r.string)
        s.dirGiven = r.given("hooks.dir") != nil
        s.serial = try r.bool("hooks.serial")
        s.timeout = try r.required("hooks.timeout", r.double)
        let p = try r.required("hooks.on_post_failure", r.value)
        guard let onPostFailure = p.stringValue.flatMap(HookSettings.PostFailure.init(rawValue:)) else {
            throw .invalid(
                at: p.mark, key: "hooks.on_post_failure",
                reason: "must be fail (a failing post hook fails the run) or warn, not '\(p.canonical)'.")
        }
        s.onPostFailure = onPostFailure
        if let v = r.given("hooks.commands") {
            guard let entries = v.mapValue else {
                throw .wrongType(
                    at: v.mark, key: "hooks.commands", expected: "a map of hook name -> [commands]", found: v.typeName)
            }
            for (name, list) in entries {
                guard HookPoint(name: name) != nil else {
                    throw .unknownKey(
                        at: list.keyOrValueMark, key: name, section: "hooks.commands", valid: HookPoint.all.map(\.name),
                        suggestion: closest(to: name, in: HookPoint.all.map(\.name)))
                }
                s.commands[name] = list.listValue?.compactMap(\.stringValue) ?? list.stringValue.map { [$0] } ?? []
            }
        }
        return s
    }

    /// The `slurm:` section of `quern slurm`.
    public static func slurmSettings(_ config: ConfigValue) throws(ConfigError) -> SlurmSettings {
        try ConfigSchema.check(config)
        let r = SettingReader(config: config)
        var s = SlurmSettings()
        guard let n = try r.int("slurm.shards") else {
            throw .invalid(
                at: r.given("slurm")?.mark, key: "slurm.shards",
                reason: "say how many extract shards to run: --shards N, or shards: N under slurm: in the config.")
        }
        s.shards = n
        s.partition = r.string("slurm.partition")
        s.account = r.string("slurm.account")
        s.time = r.string("slurm.time")
        s.cpusPerTask = try r.required("slurm.cpus_per_task", r.int)
        s.mem = r.string("slurm.mem")
        s.mergeTime = r.string("slurm.merge_time") ?? s.time
        s.mergeCPUs = try r.required("slurm.merge_cpus", r.int)
        s.mergeMem = r.string("slurm.merge_mem") ?? s.mem
        s.sbatchArgs = r.value("slurm.sbatch_args")?.listValue?.compactMap(\.stringValue) ?? []
        s.scriptDir = r.string("slurm.script_dir")
        for a in s.sbatchArgs where !a.hasPrefix("-") {
            throw .invalid(
                at: r.given("slurm.sbatch_args")?.mark, key: "slurm.sbatch_args",
                reason: "'\(a)' is not an sbatch option: write it as --qos=high.")
        }
        return s
    }

    /// The run's log folder (`paths.logs`). Needed before pre-flight, to log it: a value of the
    /// wrong type is reported by pre-flight, which then logs to the declared default folder.
    public static func logDir(_ config: ConfigValue) -> String {
        let r = SettingReader(config: config)
        if let logs = r.string("paths.logs") { return logs }
        // `logs` beside the intermediate folder (`data/intermediate` -> `data/logs`,
        // `/scratch/job/batches` -> `/scratch/job/logs`): a run's logs stay with its data wherever
        // quern is started from.
        let intermediate =
            r.string("paths.intermediate") ?? Setting.named("paths.intermediate")?.defaultValue?.stringValue
            ?? "data/intermediate"
        let parent = UserPath.parent(of: intermediate)
        return parent == "." ? "logs" : parent == "/" ? "/logs" : "\(parent)/logs"
    }

    /// Where the value of `path` was written, for a message about it (`q.yaml:3:12`).
    public static func mark(of path: String, in config: ConfigValue) -> SourceMark? { config.value(at: path)?.mark }

    /// Whether `path` is set in the tree (by the file, a flag or an override), not by its default.
    public static func isGiven(_ path: String, in config: ConfigValue) -> Bool { config.value(at: path) != nil }

    /// A size setting (`16MiB`, `4M`, bytes) of at least `least` bytes, or its default.
    static func size(_ r: SettingReader, _ key: String, least: Int) throws(ConfigError) -> Int {
        guard let v = r.value(key) else { return least }
        guard let text = v.stringValue, let size = MemoryLimit(text), size.bytes >= least else {
            throw .invalid(
                at: v.mark, key: key,
                reason:
                    "give a size of at least \(Human.bytes(least)) such as 16MiB, 4M or 65536, not '\(v.canonical)'.")
        }
        return size.bytes
    }

    /// The limit `batch.memory_limit` (or `--memory-limit`) sets, if any.
    static func memoryLimit(_ r: SettingReader) throws(ConfigError) -> MemoryLimit? {
        guard let v = r.value("batch.memory_limit") else { return nil }
        guard let text = v.stringValue, let limit = MemoryLimit(text) else {
            throw .invalid(
                at: v.mark, key: "batch.memory_limit",
                reason: "give a size such as 2GiB, 512MiB or 800M, not '\(v.canonical)'.")
        }
        return limit
    }
}
