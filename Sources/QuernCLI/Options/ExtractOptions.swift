import ArgumentParser
import QuernCore
import QuernKit

/// Flags shared by every command that reads the config file.
struct ConfigOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("YAML config file (see docs/examples/games.yaml). Flags override its keys.", valueName: "file"))
    var config: String?

    /// The config tree: the file (if any) with `overrides` applied as dotted keys. A bad flag
    /// value throws a `ValidationError` first (bad usage, exit 64; ``FlagValues``).
    func load(overrides: [(String, String?)]) throws -> ConfigValue {
        try FlagValues.check(overrides)
        var root = try config.map { try YAMLLoader.load(path: $0) } ?? ConfigValue(.map([]))
        for (key, value) in overrides {
            if let value { root = root.setting(key, to: ConfigValue(.scalar(value), mark: SourceMark(file: "flag", line: 0, column: 0))) }
        }
        return root
    }
}

/// Flags of the extract stage. Each has a config key (shown in its help).
struct ExtractOptions: ParsableArguments {
    @Option(help: .setting("paths.input"))
    var inputDir: String?

    @Option(help: .setting("paths.intermediate"))
    var intermediateDir: String?

    @Option(help: .setting("extractor.name"))
    var extractor: String?

    @Option(help: .setting("batch.codec"))
    var codec: String?

    @Option(help: .setting("input.format"))
    var format: String?

    @Option(help: .setting("batch.files_per_batch"))
    var filesPerBatch: Int?

    @Option(help: .setting("batch.rows_per_batch"))
    var rowsPerBatch: Int?

    @Option(help: .setting("extract.workers"))
    var workers: Int?

    @Flag(help: .setting("extract.sequential"))
    var sequential = false

    @Option(help: .setting("input.max_files"))
    var maxFiles: Int?

    @Option(help: .setting("extract.shard"))
    var shard: String?

    @Option(help: .setting("extract.shard_count"))
    var shardCount: Int?

    @Flag(help: .setting("extract.restart"))
    var restart = false

    var overrides: [(String, String?)] {
        [
            ("paths.input", inputDir), ("paths.intermediate", intermediateDir), ("extractor.name", extractor),
            ("batch.codec", codec), ("input.format", format), ("batch.files_per_batch", filesPerBatch.map(String.init)),
            ("batch.rows_per_batch", rowsPerBatch.map(String.init)), ("extract.workers", workers.map(String.init)),
            ("extract.sequential", sequential ? "true" : nil), ("input.max_files", maxFiles.map(String.init)),
            ("extract.shard", shard), ("extract.shard_count", shardCount.map(String.init)), ("extract.restart", restart ? "true" : nil),
        ]
    }
}
