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
