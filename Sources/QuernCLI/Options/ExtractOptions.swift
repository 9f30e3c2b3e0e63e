import ArgumentParser
import Foundation
import QuernCore
import QuernKit

/// Flags shared by every command that reads the config file.
struct ConfigOptions: ParsableArguments {
    /// The config file used when --config is not given and it exists in the current folder.
    static let defaultFile = "quern.yaml"

    @Option(
        name: .long,
        help: ArgumentHelp(
            "YAML config file (see docs/examples/games.yaml); default: quern.yaml in the current folder, if there is one. Environment variables QUERN_<SECTION>_<KEY> override its keys, and flags override both (docs/configuration.md).",
            valueName: "file"))
    var config: String?

    /// The config file in use: --config, else quern.yaml in the current folder, else none.
    var path: String? {
        if let config { return config }
        return FileManager.default.fileExists(atPath: Self.defaultFile) ? Self.defaultFile : nil
    }

    /// The config tree: the file (``path``), then the environment's `QUERN_<SECTION>_<KEY>`
    /// settings, then `overrides` (the flags) as dotted keys: flags > environment > file > defaults.
    /// A bad flag or environment value throws a `ValidationError` first (bad usage, exit 64;
    /// ``FlagValues``). Unless `quiet`, says on stderr when quern.yaml was picked up by default.
    func load(overrides: [(String, String?)], quiet: Bool = false) throws -> ConfigValue {
        try FlagValues.check(overrides)
        let file = path
        if config == nil, let file, !quiet {
            FileHandle.standardError.write(Data("using \(file) in the current folder (no --config given)\n".utf8))
        }
        var root = try file.map { try YAMLLoader.load(path: $0) } ?? ConfigValue(.map([]))
        root = try EnvironmentOverrides.apply(to: root, environment: ProcessInfo.processInfo.environment)
        for (key, value) in overrides {
            if let value { root = root.setting(key, to: ConfigValue(.scalar(value), mark: FlagValues.mark)) }
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

    @Option(help: .setting("extract.budget"))
    var budget: Double?

    var overrides: [(String, String?)] {
        [
            ("paths.input", inputDir), ("paths.intermediate", intermediateDir), ("extractor.name", extractor),
            ("batch.codec", codec), ("input.format", format), ("batch.files_per_batch", filesPerBatch.map(String.init)),
            ("batch.rows_per_batch", rowsPerBatch.map(String.init)), ("extract.workers", workers.map(String.init)),
            ("extract.sequential", sequential ? "true" : nil), ("input.max_files", maxFiles.map(String.init)),
            ("extract.shard", shard), ("extract.shard_count", shardCount.map(String.init)),
            ("extract.restart", restart ? "true" : nil), ("extract.budget", budget.map { String($0) }),
        ]
    }
}
