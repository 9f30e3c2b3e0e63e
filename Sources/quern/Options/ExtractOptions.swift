import ArgumentParser
import Foundation
import QuernCore

/// Flags shared by every command that reads the config file.
struct ConfigOptions: ParsableArguments {
    /// The config file used when --config is not given and it exists in the current folder.
    static let defaultFile = "quern.yaml"

    @Option(name: .long, help: ArgumentHelp("YAML config file (see docs/examples/games.yaml); default: quern.yaml in the current folder, if there is one. Environment variables QUERN_<SECTION>_<KEY> override its keys, and flags override both (docs/configuration.md).", valueName: "file"))
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
    @Option(help: ArgumentHelp("Folder of raw input files (paths.input; default data/input).", valueName: "dir"))
    var inputDir: String?

    @Option(help: ArgumentHelp("Folder for batch files, journal and progress (paths.intermediate; default data/intermediate).", valueName: "dir"))
    var intermediateDir: String?

    @Option(help: ArgumentHelp("Feature extractor by name (extractor.name; default tabular). `quern plugins` lists them.", valueName: "name"))
    var extractor: String?

    @Option(help: ArgumentHelp("Batch compression: none, zlib, lz4 or zstd, with an optional level as zstd:3 (batch.codec; default zstd).", valueName: "codec"))
    var codec: String?

    @Option(help: ArgumentHelp("Read every input file as this format instead of guessing from the extension: csv, tsv, jsonl, with options as csv:delimiter=; or tsv:quoting=true (input.format; `quern plugins` lists the options).", valueName: "format"))
    var format: String?

    @Option(help: ArgumentHelp("Input files per batch (batch.files_per_batch; default 500).", valueName: "n"))
    var filesPerBatch: Int?

    @Option(help: ArgumentHelp("Most rows in one batch file; a bigger batch continues in the next part (batch.rows_per_batch; default 1000000).", valueName: "n"))
    var rowsPerBatch: Int?

    @Option(help: ArgumentHelp("Parallel workers (extract.workers; default: one per core). Batch files are the same whatever the count.", valueName: "n"))
    var workers: Int?

    @Flag(help: "One worker, batches in order (extract.sequential).")
    var sequential = false

    @Option(help: ArgumentHelp("Take only the first N input files by name (input.max_files).", valueName: "n"))
    var maxFiles: Int?

    @Option(help: ArgumentHelp("Process only shard K of N (0-based, e.g. 0/4) so N processes can share one folder; `auto` reads K and N from a Slurm array task or a Kubernetes Indexed Job (extract.shard). See docs/scale-out.md.", valueName: "K/N|auto"))
    var shard: String?

    @Option(help: ArgumentHelp("N for --shard auto, where the scheduler does not give it (a Kubernetes Indexed Job's completions; or QUERN_SHARD_COUNT). With it, a Slurm array index is the shard number (extract.shard_count).", valueName: "n"))
    var shardCount: Int?

    @Flag(help: "Redo every batch from scratch; earlier batches are moved to superseded/, not deleted (extract.restart).")
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
