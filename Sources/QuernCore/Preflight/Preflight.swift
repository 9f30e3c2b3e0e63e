import Foundation
public import QuernKit

#if canImport(Glibc)
    import Glibc
#endif

/// The checks before any work (`quern validate`, and the start of `run`, `extract` and `merge`):
/// config keys and types, contradictory settings, plugin names and options, the input folder and
/// its files, writable output folders, free disk for a rough estimate, hooks that can run, and the
/// schema of batches already in the intermediate folder. It collects every problem instead of
/// stopping at the first: a problem in one key is reported, that key is set aside, and the checks
/// go on with the rest.
public struct Preflight: Sendable {
    /// Which stages will run, so only their checks apply.
    public typealias Stages = RunPlan.Stages

    public var config: ConfigValue
    public var registry: PluginRegistry
    public var stages: Stages
    public var logDir: String?
    /// Off: only the config, plugins and hooks (a batch run checks each dataset's folders in its own run).
    public var checkEnvironment = true
    /// Off: the extractor is not built (a batch run without a config infers one per dataset).
    public var checkExtractor = true
    /// Free bytes for the file system holding a folder (statvfs; a test may give its own).
    public var freeSpace: @Sendable (String) -> Int? = { Preflight.freeBytes($0) }

    public init(config: ConfigValue, registry: PluginRegistry, stages: Stages = .all, logDir: String? = nil) {
        self.config = config
        self.registry = registry
        self.stages = stages
        self.logDir = logDir
    }

    public func run() -> PreflightReport {
        var report = PreflightReport()
        var config = self.config
        func add(_ area: String, _ error: Any, warning: Bool = false) {
            let p = PreflightProblem(area, "\(error)", warning: warning)
            if !report.problems.contains(p) { report.problems.append(p) }
        }

        // 1-3. Keys and types, settings, plugins: the Resolver lists every problem, with the bad
        //      keys set aside so the checks below still run on the rest.
        // A merge alone whose config has extractor options but no name: the batches record the
        // extractor that made them (`plan.jsonl`), and that is the one the options are for (a run
        // with `--extractor NAME` leaves no name in the config). Said on the console.
        if !stages.contains(.extract), Resolver.isGiven("extractor", in: config),
            !Resolver.isGiven("extractor.name", in: config),
            let dir = try? Resolver.mergeSettings(config).intermediateDir, let header = Plan.header(in: dir)
        {
            let mark = SourceMark(file: "\(dir)/\(Plan.fileName)", line: 1, column: 1)
            config = config.setting("extractor.name", to: ConfigValue(.scalar(header.extractor), mark: mark))
            add(
                "config",
                "extractor.name is not set: using '\(header.extractor)', the extractor that made the batches of \(dir) (set extractor.name to silence this).",
                warning: true)
        }
        let resolution = Resolver(registry: registry).resolve(config, stages: stages, buildExtractor: checkExtractor)
        report.problems += resolution.problems
        report.runPlan = resolution.plan
        config = resolution.config
        let plan = resolution.plan
        let extract = plan.extract
        let merge = plan.merge
        let hooks = plan.hooks
        let extractor = plan.extractor

        // 4. Hooks: a hooks folder that is not there, hooks present but not executable, or named
        //    for no hook point.
        let catalog = HookCatalog(settings: hooks)
        var preInputHooks = false
        if let problem = catalog.folderProblem() { add("hooks", problem) }
        if hooks.enabled {
            for (name, suggestion) in catalog.strayNames() {
                add(
                    "hooks",
                    "\(hooks.dir)/\(name) matches no hook point, so it never runs\(suggestion.map { ": did you mean \($0)?" } ?? ": rename it (see `quern hooks`)").",
                    warning: true)
            }
            var points = [HookPoint(.post, "batch")]
            for s in StageName.allCases { points += [HookPoint(.pre, s.rawValue), HookPoint(.post, s.rawValue)] }
            for point in points {
                let found = catalog.hooks(at: point)
                for (name, why) in found.skipped {
                    // Skipped with a warning, as docs/hooks.md promises: that is how a hook is switched off.
                    add(
                        "hooks",
                        "hook \(hooks.dir)/\(name) is \(why); it will not run (rename it to end in .sample to silence this).",
                        warning: true)
                }
                if !found.run.isEmpty {
                    report.plan.hooks.append((point.name, found.run.map(\.name)))
                    if point.when == .pre && ["run", "discover", "extract"].contains(point.stage) {
                        preInputHooks = true
                    }
                }
            }
        }

        guard checkEnvironment else { return report }
        // 5. Input folder and files (a pre-run hook may still create or change them: then a warning).
        report.plan.inputDir = extract.inputDir
        report.plan.filesPerBatch = extract.filesPerBatch
        report.plan.extractor = extract.extractorName
        report.plan.codec = extract.codecSpec
        report.plan.strategy = merge.strategySpec
        report.plan.intermediateDir = extract.intermediateDir
        report.plan.outputDir = merge.outputDir
        report.plan.logDir = logDir ?? ""
        if stages.contains(.extract) {
            do {
                let listing = try Discovery.find(in: extract.inputDir, pattern: extract.pattern, registry: registry)
                let files = extract.maxFiles > 0 ? Array(listing.prefix(extract.maxFiles)) : listing
                // The run refuses a --max-files below the folder's plan: so does the dry run.
                if !extract.restart, extract.maxFiles > 0, let plan = try? Plan.load(from: extract.intermediateDir) {
                    do {
                        try ExtractStage.checkMaxFiles(
                            plan, listing: listing, maxFiles: extract.maxFiles, dir: extract.intermediateDir)
                    } catch {
                        add("intermediate", error)
                    }
                }
                if files.isEmpty { throw DiscoveryError.noInputs(extract.inputDir, pattern: extract.pattern) }
                // A pattern may match files of no known format, which `run` cannot read at all.
                if extract.format.name == FormatChoice.autoName, let first = files.first,
                    files.allSatisfy({ Discovery.formatName(of: $0.name, registry: registry) == nil })
                {
                    throw ConfigError.invalid(
                        at: Resolver.mark(of: "input.pattern", in: config), key: "input.pattern",
                        reason:
                            "none of the \(files.count) input files in \(extract.inputDir) has a known format by its extension (\(OneLine.escape(first.name)), say): "
                            + "name the format with --format csv, tsv or jsonl (input.format), or change input.pattern."
                    )
                }
                report.plan.inputFiles = files
                report.plan.inputBytes = files.reduce(0) { $0 + $1.size }
                report.plan.batches = (files.count + extract.filesPerBatch - 1) / extract.filesPerBatch
                // 6. The schema of batches already there must match what this config makes.
                // 6. The files' columns must fit the extractor (validate fails where run would), and
                //    the schema of batches already there must match what this config makes.
                if let extractor {
                    checkSchema(plan, extractor, files, warning: preInputHooks, report: &report)
                }
            } catch {
                add("input", error, warning: preInputHooks)
            }
        } else if stages.contains(.merge) {
            if let header = Plan.header(in: merge.intermediateDir) {
                // A config that names an extractor must be the one the batches were made with.
                if Resolver.isGiven("extractor", in: config),
                    let problem = MergeSchemaCheck.problem(
                        plan, header: header, registry: registry, dir: merge.intermediateDir)
                {
                    add("intermediate", problem)
                }
            } else {
                add(
                    "intermediate",
                    "\(merge.intermediateDir) holds no batches (no \(Plan.fileName)): run `quern extract` first, or pass --intermediate-dir with the folder that has them."
                )
            }
        }
        if let journal = try? JournalState.load(from: extract.intermediateDir, withFiles: false) {
            report.plan.journaledBatches = journal.entries.count
        }

        // 7. Folders that will be written, and free space for a rough estimate.
        var folders: [(String, String)] = []
        if stages.contains(.extract) {
            folders.append((extract.intermediateDir, "--intermediate-dir (paths.intermediate)"))
        }
        if stages.contains(.merge) { folders.append((merge.outputDir, "--output-dir (paths.output)")) }
        if let logDir { folders.append((logDir, "--log-dir (paths.logs)")) }
        for (dir, flag) in folders {
            if let why = Self.unwritable(dir) { add("folders", "\(dir) \(why): pick another folder with \(flag).") }
        }
        if stages.contains(.merge) {
            for name in OutputPublisher.blockedNames(in: merge.outputDir) {
                add(
                    "folders",
                    "\(merge.outputDir)/\(name) is a folder, where the merge publishes its output file \(name): move it away, or pick another folder with --output-dir (paths.output)."
                )
            }
        }
        // Batches take about half the input (compressed floats); outputs (merged copy while
        // staging, then the splits) about the input again.
        let batchBytes = stages.contains(.extract) ? report.plan.inputBytes / 2 : 0
        let outputBytes =
            stages.contains(.merge)
            ? (stages.contains(.extract) ? report.plan.inputBytes : Self.batchBytes(merge.intermediateDir) * 2) : 0
        report.plan.estimatedBytes = batchBytes + outputBytes
        let target = stages.contains(.extract) ? extract.intermediateDir : merge.outputDir
        if let free = freeSpace(target) {
            report.plan.freeBytes = free
            if report.plan.estimatedBytes > free {
                add(
                    "disk",
                    "about \(Human.bytes(report.plan.estimatedBytes)) of batches and outputs are expected, but only \(Human.bytes(free)) is free where \(target) lives: free some space, or point --intermediate-dir/--output-dir at a larger disk."
                )
            }
        }
        return report
    }

    private func checkSchema(
        _ plan: RunPlan, _ extractor: any Extractor, _ files: [InputFile], warning: Bool, report: inout PreflightReport
    ) {
        let s = plan.extract
        let stage = ExtractStage(plan: plan, registry: registry, console: Console(quiet: true, isTerminal: false))
        do {
            let (schema, vocabulary) = try stage.discoverColumns(extractor, files)
            guard !s.restart, let header = Plan.header(in: s.intermediateDir) else { return }
            let fingerprint = SchemaFingerprint(
                extractor: extractor.name, options: extractor.optionsText, schema: schema, vocabulary: vocabulary)
            if fingerprint.value != header.fingerprint {
                let e = ExtractError.schemaChanged(
                    dir: s.intermediateDir, old: header.fingerprint, new: fingerprint.value,
                    oldFeatures: header.features, newFeatures: schema.features.count)
                report.problems.append(PreflightProblem("intermediate", "\(e)"))
            }
        } catch {
            // A pre-extract hook may still make or fix the inputs: then a warning.
            report.problems.append(PreflightProblem("input", "\(error)", warning: warning))
        }
    }

    /// Why `dir` cannot be created or written, or nil when it can.
    static func unwritable(_ dir: String) -> String? {
        guard let path = UserPath.nearestExisting(dir) else {
            return "cannot be created: the current folder no longer exists"
        }
        var st = stat()
        let itself = stat(dir.isEmpty ? "." : dir, &st) == 0
        guard itself || stat(path, &st) == 0 else { return "cannot be read (\(String(cString: strerror(errno))))" }
        if (st.st_mode & S_IFMT) != S_IFDIR {
            return itself ? "is a file, not a folder" : "cannot be created: \(path) is a file"
        }
        if access(path, W_OK | X_OK) != 0 {
            return itself ? "is not writable" : "cannot be created: \(path) is not writable"
        }
        return nil
    }

    /// Free bytes for an unprivileged user on the file system that holds `dir` (or its nearest parent).
    static func freeBytes(_ dir: String) -> Int? {
        guard let path = UserPath.nearestExisting(dir) else { return nil }
        var st = statvfs()
        guard statvfs(path, &st) == 0 else { return nil }
        return Int(st.f_bavail) * Int(st.f_frsize)
    }

    static func batchBytes(_ dir: String) -> Int {
        guard let j = try? JournalState.load(from: dir, withFiles: false) else { return 0 }
        return j.entries.values.reduce(0) { $0 + $1.bytes }
    }
}

extension ConfigError {
    /// Where the offending value was written, if known.
    public var mark: SourceMark? {
        switch self {
        case .unreadable, .yaml: nil
        case .unknownKey(let at, _, _, _, _), .wrongType(let at, _, _, _), .invalid(let at, _, _): at
        }
    }

    /// The dotted config path of the offending value, when it names one (`split.fractions`).
    var path: String? {
        switch self {
        case .unreadable, .yaml: nil
        case .unknownKey(_, let key, let section, _, _): section.isEmpty ? key : "\(section).\(key)"
        case .wrongType(_, let key, _, _), .invalid(_, let key, _): key
        }
    }
}

extension ConfigValue {
    /// Whether a value inside this tree was written at `error`'s position.
    func contains(_ error: ConfigError) -> Bool {
        guard let m = error.mark, m.line > 0 else { return false }
        if mark == m || keyMark == m { return true }
        switch kind {
        case .list(let items): return items.contains { $0.contains(error) }
        case .map(let entries): return entries.contains { $0.1.contains(error) }
        default: return false
        }
    }

    /// A copy without the value `error` is about: found by its file position, else by its path.
    func removing(_ error: ConfigError) -> ConfigValue {
        if let m = error.mark, m.line > 0, let pruned = removing(mark: m) { return pruned }
        if let path = error.path { return removing(path: path.split(separator: ".").map(String.init)[...]) }
        return self
    }

    private func removing(mark m: SourceMark) -> ConfigValue? {
        switch kind {
        case .map(let entries):
            if let i = entries.firstIndex(where: { $0.1.mark == m || $0.1.keyMark == m }) {
                var e = entries
                e.remove(at: i)
                return ConfigValue(.map(e), mark: mark)
            }
            for (i, (k, v)) in entries.enumerated() {
                if let pruned = v.removing(mark: m) {
                    var e = entries
                    e[i] = (k, pruned)
                    return ConfigValue(.map(e), mark: mark)
                }
            }
        case .list(let items):
            if let i = items.firstIndex(where: { $0.mark == m }) {
                var e = items
                e.remove(at: i)
                return ConfigValue(.list(e), mark: mark)
            }
            for (i, v) in items.enumerated() {
                if let pruned = v.removing(mark: m) {
                    var e = items
                    e[i] = pruned
                    return ConfigValue(.list(e), mark: mark)
                }
            }
        default: break
        }
        return nil
    }

    private func removing(path: ArraySlice<String>) -> ConfigValue {
        guard let key = path.first, var entries = mapValue, let i = entries.firstIndex(where: { $0.0 == key }) else {
            return self
        }
        if path.count == 1 {
            entries.remove(at: i)
        } else {
            entries[i].1 = entries[i].1.removing(path: path.dropFirst())
        }
        return ConfigValue(.map(entries), mark: mark)
    }
}
