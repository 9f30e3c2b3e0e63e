import QuernKit

extension Setting {
    /// Every setting, by section in the order of a config file. The `extractor` section is open
    /// (its keys are the chosen extractor's options): only `extractor.name` is declared here, and
    /// ``ConfigSchema`` checks no other key of it.
    public static let all: [Setting] =
        paths + input + extractor + extract + batch + merge + split + hooks + normalize + save + slurm

    static let paths: [Setting] = [
        Setting(
            "paths.input", .string, default: "data/input", flag: "--input-dir", value: "dir",
            help: "Folder of raw input files"),
        Setting(
            "paths.intermediate", .string, default: "data/intermediate", flag: "--intermediate-dir", value: "dir",
            help: "Folder for batch files, journal and progress"),
        Setting(
            "paths.output", .string, default: "data/processed", flag: "--output-dir", value: "dir",
            help: "Folder of the final arrays"),
        Setting(
            "paths.logs", .string, shown: "logs beside the intermediate folder, so data/logs for data/intermediate",
            flag: "--log-dir", value: "dir",
            help: "Folder of the run's logs: events.jsonl (JSON Lines), quern.log (for people) and summary.json",
            more: "With --datasets, one subfolder per dataset; a shard K of N (--shard), its subfolder shard-K-of-N."),
    ]

    static let input: [Setting] = [
        Setting("input.pattern", .string, shown: "every file of a known format", help: "File-name glob of the inputs"),
        Setting(
            "input.format", .structured(shape: "NAME[:key=value] or {name: NAME, key: value}"), default: "auto",
            flag: "--format", value: "format",
            help:
                "Read every input file as this format instead of guessing from the extension: csv, tsv, jsonl, with options as csv:delimiter=; or tsv:quoting=true",
            more: "`quern plugins` lists the options."),
        Setting(
            "input.missing_values", .stringList, help: "Cell texts read as missing",
            defaultValue: ConfigValue(
                .list(MissingValues.defaultTokens.map { ConfigValue(.scalar($0), mark: defaultMark) }),
                mark: defaultMark)),
        Setting(
            "input.max_files", .int(0...1_000_000_000), default: "0", shown: "all", flag: "--max-files", value: "n",
            help: "Take only the first N input files by name"),
    ]

    static let extractor: [Setting] = [
        Setting(
            "extractor.name", .string, default: "tabular", flag: "--extractor", value: "name",
            help: "Feature extractor by name",
            more: "`quern plugins` lists them.")
    ]

    static let extract: [Setting] = [
        Setting(
            "extract.workers", .int(0...4096), default: "0", shown: "one per core", flag: "--workers", value: "n",
            help: "Parallel workers",
            more: "Batch files are the same whatever the count."),
        Setting(
            "extract.sequential", .bool, default: "false", flag: "--sequential", help: "One worker, batches in order"),
        Setting(
            "extract.shard", .string, flag: "--shard", value: "K/N|auto",
            help:
                "Process only shard K of N (0-based, e.g. 0/4) so N processes can share one folder; `auto` reads K and N from a Slurm array task or a Kubernetes Indexed Job",
            more: "See docs/scale-out.md."),
        Setting(
            "extract.shard_count", .int(1...1_000_000), flag: "--shard-count", value: "n",
            help:
                "N for --shard auto, where the scheduler does not give it (a Kubernetes Indexed Job's completions; or QUERN_SHARD_COUNT)",
            more: "With it, a Slurm array index is the shard number."),
        Setting(
            "extract.restart", .bool, default: "false", flag: "--restart",
            help: "Redo every batch from scratch; earlier batches are moved to superseded/, not deleted"),
        Setting(
            "extract.budget", .double, shown: "none", flag: "--budget", value: "amount",
            help:
                "Most the records may cost, summed in the journal (the command extractor's reported cost); a batch that would pass it is not started",
            more:
                "The run then stops with exit status 4, finished batches kept; raise it and run again to go on. See docs/api-jobs.md."
        ),
    ]

    static let batch: [Setting] = [
        Setting(
            "batch.codec", .string, default: "lz4", flag: "--codec", value: "codec",
            help: "Batch compression: none, zlib, lz4 or zstd, with an optional level as zstd:3",
            more:
                "lz4 (at LZ4's acceleration 4; lz4:0 for its own default) is the fastest to write and read back; zstd makes batches about a quarter smaller for about a third more extract CPU (docs/performance.md)."
        ),
        Setting(
            "batch.files_per_batch", .int(1...1_000_000), default: "500", flag: "--files-per-batch", value: "n",
            help: "Input files per batch"),
        Setting(
            "batch.rows_per_batch", .int(1...100_000_000), default: "1000000", flag: "--rows-per-batch", value: "n",
            help: "Most rows in one batch file; a bigger batch continues in the next part"),
        Setting(
            "batch.part_bytes", .string, default: "8MiB", value: "size",
            help: "Most bytes of rows in one batch file, as 8MiB or 4M; a bigger batch continues in the next part",
            more:
                "Bounds the rows a worker holds and a merge reads at a time, whatever the width of a row or the size of a file, so memory stays flat. Counted as the rows' arrays hold them (4 bytes a feature and label, 1 a mask value, 16 for group and origin)."
        ),
        Setting(
            "batch.range_bytes", .string, default: "32MiB", value: "size",
            help: "Input bytes one worker takes at a time, as 32MiB",
            more:
                "An uncompressed CSV or TSV file bigger than this is read in ranges of about this size (each starting at a record), and a batch's smaller files in runs of about this size, by every worker at once; each range or run starts a new part. The batch files are the same for any number of workers."
        ),
        Setting(
            "batch.memory_limit", .string, shown: "none", flag: "--memory-limit", value: "size",
            help: "Most memory to use, as 2GiB or 800M",
            more:
                "Fewer rows and batches in flight, outputs unchanged. A merge that cannot fit (its batch parts and what its strategy keeps, such as dedupe's table) is refused before it reads a row, naming the smallest limit that works."
        ),
    ]

    static let merge: [Setting] = [
        Setting(
            "merge.strategy", .string, default: "concat", flag: "--merge-strategy", value: "name",
            help: "concat, shuffle, dedupe or balance, with options as balance:per_class=1000",
            more: "`quern plugins` lists them."),
        Setting("merge.options", .structured(shape: "map"), help: "Options of the merge strategy"),
        Setting(
            "merge.cleanup", .bool, default: "false", flag: "--cleanup",
            help: "Delete the batch files once the outputs are completely written and published",
            more: "Default: keep them."),
        Setting(
            "merge.skip_validation", .bool, default: "false", flag: "--skip-validation",
            help: "Publish the outputs without checking labels in range and mask bits",
            more: "Outputs with no rows, NaN or infinity are never published."),
        Setting(
            "merge.memory_budget_mb", .int(16...16_777_216), default: "512",
            help: "MiB of rows a strategy may hold (shuffle spills beyond)"),
        Setting(
            "merge.seed", .int(0...Int.max), default: "0", flag: "--seed", value: "n",
            help: "Seed of seeded merge strategies: shuffle's order, balance's choice of rows",
            more: "It never moves rows between splits."),
    ]

    static let split: [Setting] = [
        Setting(
            "split.fractions", .structured(shape: "[train, val, test]"), default: "0.8,0.1,0.1", flag: "--split",
            value: "f,f,f",
            help: "Train,val,test fractions, summing to 1"),
        Setting(
            "split.by", .choice(["group", "row"]), shown: "group with a group column, else row",
            help: "group: a group never straddles splits; row: each row on its own"),
        Setting(
            "split.seed", .int(0...Int.max), default: "0", flag: "--split-seed", value: "n",
            help: "Seed of the split hash, which decides the rows of train, val and test"),
    ]

    static let hooks: [Setting] = [
        Setting(
            "hooks.dir", .string, default: "hooks", shown: "./hooks", flag: "--hooks-dir", value: "dir",
            help: "Folder of hook scripts: pre-merge, post-save.d/10-upload, ...", more: "See docs/hooks.md."),
        Setting(
            "hooks.enabled", .bool, default: "true", flag: "--no-hooks", help: "Run hooks at all",
            flagText: "Run without hooks (hooks.enabled: false)."),
        Setting("hooks.serial", .bool, default: "false", help: "Run post-batch hooks one at a time"),
        Setting("hooks.timeout", .double, default: "600", help: "Seconds before a hook's process group is ended"),
        Setting(
            "hooks.on_post_failure", .choice(["fail", "warn"]), default: "fail",
            help: "Fail the run when a post hook fails, or warn"),
        Setting(
            "hooks.commands", .structured(shape: "map hook name -> [shell commands]"),
            help: "Extra commands per hook point"),
    ]

    static let normalize: [Setting] = [
        Setting(
            "normalize.method", .choice(["standard", "minmax", "none"]), default: "standard", flag: "--normalize",
            value: "method",
            help: "standard, minmax or none, fit on train")
    ]

    static let save: [Setting] = [
        Setting(
            "save.provenance", .bool, default: "false",
            help: "Also write each row's source file, line and group key",
            more: "provenance_<split>.npy, provenance_files.json, provenance_groups.npy; see docs/formats.md."),
        Setting(
            "save.writer", .string, default: "npy", flag: "--writer", value: "name",
            help: "Output writer: npy (the arrays) or jsonl (also each row's result as results_<split>.jsonl)",
            more: "`quern plugins` lists them; jsonl needs an extractor that returns results (command)."),
    ]

    static let slurm: [Setting] = [
        Setting(
            "slurm.shards", .int(1...100_000), flag: "--shards", value: "n",
            help: "Extract shards: tasks of the array job"),
        Setting("slurm.partition", .string, flag: "--partition", value: "name", help: "Partition of both jobs"),
        Setting("slurm.account", .string, flag: "--account", value: "name", help: "Account charged for both jobs"),
        Setting(
            "slurm.time", .string, flag: "--time", value: "time", help: "Time limit of each extract task, e.g. 1:00:00"),
        Setting(
            "slurm.cpus_per_task", .int(1...4096), default: "1", flag: "--cpus-per-task", value: "n",
            help: "CPUs of each extract task; its workers"),
        Setting("slurm.mem", .string, flag: "--mem", value: "size", help: "Memory of each extract task, e.g. 4G"),
        Setting(
            "slurm.merge_time", .string, shown: "--time", flag: "--merge-time", value: "time",
            help: "Time limit of the merge job"),
        Setting(
            "slurm.merge_cpus", .int(1...4096), default: "2", flag: "--merge-cpus", value: "n",
            help: "CPUs of the merge job"),
        Setting(
            "slurm.merge_mem", .string, shown: "--mem", flag: "--merge-mem", value: "size",
            help: "Memory of the merge job"),
        Setting(
            "slurm.sbatch_args", .stringList, flag: "--sbatch-arg", value: "option",
            help: "One more #SBATCH option for both jobs, e.g. --sbatch-arg=--qos=high; repeatable"),
        Setting(
            "slurm.script_dir", .string, shown: "<intermediate>/slurm", flag: "--script-dir", value: "dir",
            help: "Folder of the job scripts, their config and logs"),
    ]
}
