import Foundation
public import QuernKit

/// Everything the extract stage needs, resolved from defaults, the config file and flags (flags are
/// applied to the config tree first, so both go through the same checks).
public struct ExtractSettings: Sendable, Equatable {
    public var inputDir = "data/input"
    public var intermediateDir = "data/intermediate"
    public var pattern: String? = nil
    /// `input.format`: `auto` (by extension) or one format, with its options, for every file.
    public var format = FormatChoice.auto
    public var missingValues = MissingValues.defaultTokens
    public var maxFiles = 0
    public var extractorName = "tabular"
    public var extractorOptions: [String: ConfigValue] = [:]
    public var codecSpec = "zstd"
    public var filesPerBatch = 500
    public var rowsPerBatch = 1_000_000
    public var workers = 0
    public var shard = Shard.whole
    /// Set with `--shard auto`: a scheduler started this process and may start a second copy of
    /// the same task (a retry, a requeue), which then waits for the first instead of failing.
    public var shardFromScheduler = false
    public var restart = false
    /// `batch.memory_limit`: sizes workers and parts to stay under it (see ``MemoryLimit``).
    public var memoryLimit: MemoryLimit? = nil

    public init() {}

    /// Reads the settings from a checked config tree (see ``ConfigSchema/check(_:)``).
    /// `--shard auto` reads the scheduler's variables from `environment`.
    public static func resolve(_ config: ConfigValue) throws(ConfigError) -> ExtractSettings {
        try resolve(config, environment: ProcessInfo.processInfo.environment)
    }

    public static func resolve(_ config: ConfigValue, environment: [String: String]) throws(ConfigError) -> ExtractSettings {
        try ConfigSchema.check(config)
        var s = ExtractSettings()
        if let v = config.value(at: "paths.input")?.stringValue { s.inputDir = v }
        if let v = config.value(at: "paths.intermediate")?.stringValue { s.intermediateDir = v }
        if let v = config.value(at: "input.pattern")?.stringValue { s.pattern = v }
        if let v = config.value(at: "input.format") { s.format = try FormatChoice.resolve(v) }
        if let v = config.value(at: "input.missing_values")?.listValue { s.missingValues = v.map { $0.stringValue ?? "" } }
        if let v = config.value(at: "input.max_files")?.intValue { s.maxFiles = v }
        if let v = config.value(at: "batch.codec")?.stringValue { s.codecSpec = v }
        if let v = config.value(at: "batch.files_per_batch")?.intValue { s.filesPerBatch = v }
        if let v = config.value(at: "batch.rows_per_batch")?.intValue { s.rowsPerBatch = v }
        if let v = config.value(at: "extract.workers")?.intValue { s.workers = v }
        s.memoryLimit = try MemoryLimit.resolve(config)
        if config.value(at: "extract.sequential")?.boolValue == true { s.workers = 1 }
        if let v = config.value(at: "extract.restart")?.boolValue { s.restart = v }
        (s.shard, s.shardFromScheduler) = try shard(of: config, environment: environment)
        if let ex = config.value(at: "extractor") {
            guard let entries = ex.mapValue else {
                throw .wrongType(at: ex.mark, key: "extractor", expected: "a map (name: and the extractor's options)", found: ex.typeName)
            }
            for (k, v) in entries {
                if k == "name" {
                    guard let name = v.stringValue else { throw .wrongType(at: v.mark, key: "extractor.name", expected: "a string", found: v.typeName) }
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
    public static func shard(of config: ConfigValue, environment: [String: String]) throws(ConfigError) -> (shard: Shard, fromScheduler: Bool) {
        let count = config.value(at: "extract.shard_count")
        guard let v = config.value(at: "extract.shard") else { return (.whole, false) }
        if v.stringValue == "auto" {
            do {
                return (try SchedulerShard.resolve(environment: environment, count: count?.intValue), true)
            } catch {
                throw .invalid(at: v.mark, key: "extract.shard", reason: error.description)
            }
        }
        guard let text = v.stringValue, let shard = Shard(text) else {
            throw .invalid(at: v.mark, key: "extract.shard", reason: "write K/N with 0 <= K < N (for example 0/4), or auto, not '\(v.canonical)'.")
        }
        if let count, count.intValue != shard.count {
            throw .invalid(at: count.mark, key: "extract.shard_count", reason: "it says \(count.canonical) shards but --shard \(shard) says \(shard.count): give one or the other.")
        }
        return (shard, false)
    }

    /// Workers to run: the setting, or one per core.
    public var effectiveWorkers: Int {
        workers > 0 ? workers : max(1, ProcessInfoCores.count)
    }
}

/// `K/N`: this process handles shard K (0-based) of N.
public struct Shard: Sendable, Equatable, CustomStringConvertible {
    public var index: Int
    public var count: Int

    public static let whole = Shard(index: 0, count: 1)

    public init(index: Int, count: Int) {
        self.index = index
        self.count = count
    }

    public init?(_ text: String) {
        let parts = text.split(separator: "/")
        guard parts.count == 2, let k = Int(parts[0]), let n = Int(parts[1]), n >= 1, k >= 0, k < n else { return nil }
        self.init(index: k, count: n)
    }

    public func owns(batch: Int) -> Bool { batch % count == index }

    public var description: String { "\(index)/\(count)" }

    /// The journal file of this shard.
    public var journalName: String { count == 1 ? "journal.jsonl" : "journal.shard-\(index)-of-\(count).jsonl" }
}
