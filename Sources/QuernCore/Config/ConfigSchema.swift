/// Every key the config file may hold, by section. Codable would ignore unknown keys, so keys are
/// checked here, against this table, with "did you mean" suggestions. The `extractor:` section is
/// checked against the options the chosen extractor plugin declares.
public enum ConfigSchema {
    public struct Key: Sendable {
        public var name: String
        public var type: OptionSpec.ValueType
        public var help: String
        /// The command-line flag that sets the same thing, if any.
        public var flag: String?
    }

    /// Sections with a fixed set of keys. `extractor` is open: its keys are plugin options.
    public static let sections: [(name: String, keys: [Key])] = [
        ("paths", [
            Key(name: "input", type: .string, help: "folder of raw input files", flag: "--input-dir"),
            Key(name: "intermediate", type: .string, help: "folder of batch files, journal and progress", flag: "--intermediate-dir"),
            Key(name: "output", type: .string, help: "folder of the final arrays", flag: "--output-dir"),
            Key(name: "logs", type: .string, help: "folder of the run logs (events.jsonl, quern.log, summary.json)", flag: "--log-dir"),
        ]),
        ("input", [
            Key(name: "pattern", type: .string, help: "file-name glob of the inputs (default: every file of a known format)", flag: nil),
            Key(name: "format", type: .structured(shape: "NAME[:key=value] or {name: NAME, key: value}"), help: "auto (by extension), or csv, tsv or jsonl for every file, with options: csv:delimiter=; or {name: csv, delimiter: \";\"}", flag: "--format"),
            Key(name: "missing_values", type: .stringList, help: "cell texts read as missing", flag: nil),
            Key(name: "max_files", type: .int(0...1_000_000_000), help: "take only the first N files (0: all; at most 1,000,000,000)", flag: "--max-files"),
        ]),
        ("extract", [
            Key(name: "workers", type: .int(0...4096), help: "parallel workers (0: one per core)", flag: "--workers"),
            Key(name: "sequential", type: .bool, help: "one worker, in order", flag: "--sequential"),
            Key(name: "shard", type: .string, help: "K/N: process only shard K (0-based) of N; auto: from Slurm or Kubernetes", flag: "--shard"),
            Key(name: "shard_count", type: .int(1...1_000_000), help: "N for --shard auto (a Kubernetes Indexed Job's completions)", flag: "--shard-count"),
            Key(name: "restart", type: .bool, help: "redo every batch from scratch", flag: "--restart"),
        ]),
        ("batch", [
            Key(name: "codec", type: .string, help: "NAME[:level] compression of batch files", flag: "--codec"),
            Key(name: "files_per_batch", type: .int(1...1_000_000), help: "input files per batch (at most 1,000,000)", flag: "--files-per-batch"),
            Key(name: "rows_per_batch", type: .int(1...100_000_000), help: "most rows in one batch file (at most 100,000,000)", flag: "--rows-per-batch"),
            Key(name: "memory_limit", type: .string, help: "most memory to use (2GiB): fewer rows and batches in flight", flag: "--memory-limit"),
        ]),
        ("merge", [
            Key(name: "strategy", type: .string, help: "NAME[:key=value] merge strategy (default concat)", flag: "--merge-strategy"),
            Key(name: "options", type: .structured(shape: "map"), help: "options of the merge strategy", flag: nil),
            Key(name: "cleanup", type: .bool, help: "delete batch files once the outputs are published", flag: "--cleanup"),
            Key(name: "skip_validation", type: .bool, help: "publish without checking labels and mask bits (no rows, NaN or infinity are never published)", flag: "--skip-validation"),
            Key(name: "memory_budget_mb", type: .int(16...16_777_216), help: "MiB of rows a strategy may hold (shuffle spills beyond; at most 16 TiB)", flag: nil),
            Key(name: "seed", type: .int(0...Int.max), help: "seed of seeded strategies (shuffle's order, balance's choice); never moves rows between splits", flag: "--seed"),
        ]),
        ("split", [
            Key(name: "fractions", type: .structured(shape: "[train, val, test]"), help: "fractions summing to 1 (default 0.8,0.1,0.1)", flag: "--split"),
            Key(name: "by", type: .choice(["group", "row"]), help: "group: a group never straddles splits; row: each row on its own (default: group with a group column, else row)", flag: nil),
            Key(name: "seed", type: .int(0...Int.max), help: "seed of the split hash: which rows go to train, val and test", flag: "--split-seed"),
        ]),
        ("hooks", [
            Key(name: "dir", type: .string, help: "folder of hook scripts (default ./hooks)", flag: "--hooks-dir"),
            Key(name: "enabled", type: .bool, help: "run hooks at all", flag: "--no-hooks"),
            Key(name: "serial", type: .bool, help: "run post-batch hooks one at a time", flag: nil),
            Key(name: "timeout", type: .double, help: "seconds before a hook's process group is ended (default 600)", flag: nil),
            Key(name: "on_post_failure", type: .choice(["fail", "warn"]), help: "fail the run when a post hook fails, or warn", flag: nil),
            Key(name: "commands", type: .structured(shape: "map hook name -> [shell commands]"), help: "extra commands per hook point", flag: nil),
        ]),
        ("normalize", [
            Key(name: "method", type: .choice(["standard", "minmax", "none"]), help: "standard, minmax or none, fit on train", flag: "--normalize"),
        ]),
        ("save", [
            Key(name: "provenance", type: .bool, help: "also write each row's source file, line and group key (provenance_<split>.npy, provenance_files.json, provenance_groups.npy; default false)", flag: nil),
        ]),
        ("slurm", [
            Key(name: "shards", type: .int(1...100_000), help: "extract shards: tasks of the array job", flag: "--shards"),
            Key(name: "partition", type: .string, help: "partition of both jobs", flag: "--partition"),
            Key(name: "account", type: .string, help: "account charged for both jobs", flag: "--account"),
            Key(name: "time", type: .string, help: "time limit of each extract task, as Slurm writes it (1:00:00)", flag: "--time"),
            Key(name: "cpus_per_task", type: .int(1...4096), help: "CPUs of each extract task (its workers)", flag: "--cpus-per-task"),
            Key(name: "mem", type: .string, help: "memory of each extract task (4G)", flag: "--mem"),
            Key(name: "merge_time", type: .string, help: "time limit of the merge job (default: time)", flag: "--merge-time"),
            Key(name: "merge_cpus", type: .int(1...4096), help: "CPUs of the merge job (default 2)", flag: "--merge-cpus"),
            Key(name: "merge_mem", type: .string, help: "memory of the merge job (default: mem)", flag: "--merge-mem"),
            Key(name: "sbatch_args", type: .stringList, help: "more #SBATCH lines for both jobs (--qos=high)", flag: "--sbatch-arg"),
            Key(name: "script_dir", type: .string, help: "where the job scripts, config and logs go (default <intermediate>/slurm)", flag: "--script-dir"),
        ]),
    ]

    /// Checks the top level and every fixed section for unknown keys and scalar types; throws the
    /// first problem (``problems(_:)`` lists them all).
    public static func check(_ root: ConfigValue) throws(ConfigError) {
        if let first = problems(root).first { throw first }
    }

    /// Every unknown key and wrong type of the top level and the fixed sections, in file order.
    public static func problems(_ root: ConfigValue) -> [ConfigError] {
        guard let entries = root.mapValue else {
            return [.wrongType(at: root.mark, key: "(top level)", expected: "a map of sections", found: root.typeName)]
        }
        var found: [ConfigError] = []
        let known = sections.map(\.name) + ["extractor"]
        for (name, value) in entries {
            guard known.contains(name) else {
                found.append(.unknownKey(at: value.keyOrValueMark, key: name, section: "", valid: known, suggestion: closest(to: name, in: known)))
                continue
            }
            guard let keys = sections.first(where: { $0.name == name })?.keys else { continue }
            guard let items = value.mapValue else {
                if case .null = value.kind { continue }
                found.append(.wrongType(at: value.mark, key: name, expected: "a map", found: value.typeName))
                continue
            }
            for (key, v) in items {
                guard let spec = keys.first(where: { $0.name == key }) else {
                    found.append(
                        .unknownKey(
                            at: v.keyOrValueMark, key: key, section: name, valid: keys.map(\.name),
                            suggestion: closest(to: key, in: keys.map(\.name))))
                    continue
                }
                do { try checkType(v, spec, path: "\(name).\(key)") } catch { found.append(error) }
            }
        }
        return found
    }

    static func checkType(_ v: ConfigValue, _ spec: Key, path: String) throws(ConfigError) {
        switch spec.type {
        case .int(let range):
            guard let i = v.intValue else { throw .wrongType(at: v.mark, key: path, expected: "an integer", found: "'\(v.canonical)'") }
            if let range, !range.contains(i) {
                let allowed = range.upperBound == Int.max ? "at least \(range.lowerBound)" : "from \(range.lowerBound) to \(range.upperBound)"
                throw .invalid(at: v.mark, key: path, reason: "\(i) is out of range: allowed \(allowed).")
            }
        case .bool:
            if v.boolValue == nil { throw .wrongType(at: v.mark, key: path, expected: "true or false", found: "'\(v.canonical)'") }
        case .string, .choice:
            if v.stringValue == nil { throw .wrongType(at: v.mark, key: path, expected: "a string", found: v.typeName) }
        case .stringList:
            if let items = v.listValue, items.allSatisfy({ $0.stringValue != nil || $0.kind == .null }) { return }
            throw .wrongType(at: v.mark, key: path, expected: "a list of strings", found: v.typeName)
        case .double:
            if v.doubleValue == nil { throw .wrongType(at: v.mark, key: path, expected: "a number", found: "'\(v.canonical)'") }
        case .structured: return
        }
    }
}

extension ConfigValue {
    /// The value at a dotted path (`batch.codec`), if set.
    public func value(at path: String) -> ConfigValue? {
        var node: ConfigValue? = self
        for part in path.split(separator: ".") { node = node?[String(part)] }
        if case .null = node?.kind { return nil }
        return node
    }

    /// A copy with the value at a dotted path set (sections are created as needed). Flags and
    /// overrides are applied this way, so they go through the same checks as the file.
    public func setting(_ path: String, to value: ConfigValue) -> ConfigValue {
        let parts = path.split(separator: ".").map(String.init)
        return setting(parts[...], value)
    }

    private func setting(_ parts: ArraySlice<String>, _ value: ConfigValue) -> ConfigValue {
        guard let key = parts.first else { return value }
        var entries = mapValue ?? []
        if let i = entries.firstIndex(where: { $0.0 == key }) {
            entries[i].1 = entries[i].1.setting(parts.dropFirst(), value)
        } else {
            entries.append((key, ConfigValue(.map([]), mark: value.mark).setting(parts.dropFirst(), value)))
        }
        return ConfigValue(.map(entries), mark: mark)
    }
}
