public import Foundation
public import QuernKit

/// The one place that reads settings from the config tree and builds the plugins they name. A
/// setting travels one way: flag (or file, or environment) -> config tree -> `Resolver` ->
/// ``RunPlan`` -> the stage that uses it. docs/architecture.md walks `--merge-strategy` through it.
///
/// ``resolve(_:stages:buildExtractor:)`` does not stop at the first problem: a bad key is set
/// aside (found by its file position) and the rest resolved again, and each plugin is built on its
/// own, so every problem is listed at once (pre-flight and `quern validate` report them).
public struct Resolver: Sendable {
    public var registry: PluginRegistry
    /// The process environment, for `--shard auto` (the scheduler's variables).
    public var environment: [String: String]

    public init(registry: PluginRegistry, environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.registry = registry
        self.environment = environment
    }

    /// What resolving found: the plan of everything that resolved (bad keys set aside, so later
    /// checks still run), the tree without those keys, and every problem.
    public struct Resolution: Sendable {
        public var plan: RunPlan
        /// The config with every key that had a problem removed.
        public var config: ConfigValue
        public var problems: [PreflightProblem]
    }

    /// The plan of `config`, or every problem at once (``ResolveFailed``).
    public func plan(_ config: ConfigValue, stages: RunPlan.Stages = .all) throws(ResolveFailed) -> RunPlan {
        let r = resolve(config, stages: stages)
        guard r.problems.isEmpty else { throw .problems(r.problems) }
        return r.plan
    }

    /// Resolves `config` for `stages`, collecting every problem. `buildExtractor` off: the
    /// extractor is not built (a batch run without a config infers one per dataset).
    public func resolve(_ original: ConfigValue, stages: RunPlan.Stages, buildExtractor: Bool = true) -> Resolution {
        var problems: [PreflightProblem] = []
        var config = original
        func add(_ area: String, _ error: Any) {
            let p = PreflightProblem(area, "\(error)")
            if !problems.contains(p) { problems.append(p) }
        }
        // 1. Keys and types, all at once; bad keys are set aside for the checks below.
        for e in ConfigSchema.problems(config) {
            add("config", e)
            config = config.removing(e)
        }
        // 2. Settings (contradictions such as fractions that do not sum to 1): resolve, set the
        //    offending key aside, resolve again.
        let environment = self.environment
        let extract = settle(&config, &problems) { c throws(ConfigError) in
            try Self.extractSettings(c, environment: environment)
        }
        let merge = settle(&config, &problems, Self.mergeSettings)
        let hooks = settle(&config, &problems, Self.hookSettings)
        var plan = RunPlan(
            config: original, stages: stages, extract: extract, merge: merge, hooks: hooks, logDir: Self.logDir(config),
            extractor: nil, codec: nil, format: nil, strategy: nil)

        // 3. Plugins, each on its own so one unknown name does not hide another.
        // The extractor also for a merge whose config names one: the batches must have been made
        // with it, and strategies check their options against its label heads.
        if buildExtractor && (stages.contains(.extract) || Self.isGiven("extractor", in: config)) {
            plan.extractor = extractor(extract, config: config, add: add)
        }
        if stages.contains(.extract) {
            if let why = ImpliedMemory(extractorOptions: extract.extractorOptions).problem(limit: extract.memoryLimit) {
                add("config", why)
            }
            do { plan.codec = try codec(spec: extract.codecSpec) } catch {
                add("plugins", Self.located(error, config.value(at: "batch.codec")))
            }
            do {
                plan.format = try format(extract.format)
            } catch {
                // In the map form, point at the option's own key.
                let at = config.value(at: "input.format")
                if case RegistryError.unknownOption(_, _, let option, _, _) = error, let v = at?[option] {
                    add("plugins", Self.located(error, v, key: true))
                } else {
                    add("plugins", Self.located(error, at))
                }
            }
        }
        if stages.contains(.merge) {
            do {
                plan.strategy = try strategy(spec: merge.strategySpec, extra: merge.strategyOptions)
            } catch {
                add(
                    "plugins",
                    Self.located(error, config.value(at: "merge.strategy") ?? config.value(at: "merge.options")))
            }
            do {
                let writer = try writer(spec: merge.writerSpec)
                plan.writer = writer
                if writer.writesResults, let extractor = plan.extractor, !extractor.makesResults {
                    add(
                        "config",
                        Self.located(
                            PluginError.invalidOptions(
                                "save.writer \(writer.name) writes each row's result, and extractor '\(extractor.name)' makes none: use the command extractor (its program returns a result per record), or save.writer: npy."
                            ),
                            config.value(at: "save.writer")))
                }
            } catch {
                add("plugins", Self.located(error, config.value(at: "save.writer")))
            }
            // Plugin against plugin (balance's `head` against the extractor's label heads): the
            // strategy checks, given what the extractor declares.
            if let strategy = plan.strategy, let heads = plan.extractor?.labelHeads {
                do { try strategy.check(labelHeads: heads) } catch { add("config", error) }
            }
        }
        return Resolution(plan: plan, config: config, problems: problems)
    }

    /// Builds the extractor, reporting each bad option and building again without it.
    private func extractor(_ extract: ExtractSettings, config: ConfigValue, add: (String, Any) -> Void) -> (
        any Extractor
    )? {
        var options = extract.extractorOptions
        for _ in 0..<32 {
            do {
                return try registry.extractor(extract.extractorName, options)
            } catch let e as ConfigError {
                add("config", e)
                guard let key = options.first(where: { $0.value.contains(e) })?.key else { return nil }
                let before = options[key]!
                let after = before.removing(e)
                if after == before || e.mark == before.mark { options[key] = nil } else { options[key] = after }
            } catch let e as RegistryError {
                guard case .unknownOption(_, _, let option, _, _) = e else {
                    add("plugins", Self.located(e, config.value(at: "extractor.name")))
                    return nil
                }
                add("plugins", Self.located(e, options[option], key: true))
                options[option] = nil
            } catch {
                let hint =
                    extract.extractorOptions.isEmpty
                    ? " (`quern init --input-dir DIR > quern.yaml` writes a starter config from your files; quern reads quern.yaml from the current folder when --config is not given)"
                    : ""
                add("plugins", "\(error)\(hint)")
                return nil
            }
        }
        return nil
    }

    /// Resolves one section, collecting each error and setting its key aside until it resolves;
    /// with a problem no key can be blamed for, the declared defaults (the problem is reported).
    private func settle<S>(
        _ config: inout ConfigValue, _ problems: inout [PreflightProblem],
        _ resolve: (ConfigValue) throws(ConfigError) -> S
    ) -> S {
        for _ in 0..<32 {
            do {
                return try resolve(config)
            } catch {
                let p = PreflightProblem("config", "\(error)")
                if !problems.contains(p) { problems.append(p) }
                let next = config.removing(error)
                if next == config { break }
                config = next
            }
        }
        do {
            return try resolve(ConfigValue(.map([])))
        } catch {
            preconditionFailure("the declared defaults (Setting.all) do not resolve: \(error)")
        }
    }

    /// A plugin error with the position of the config value (or key) it is about, when that value
    /// came from a file: `q.yaml:5:10: error: unknown codec 'zstdd'. ...`.
    static func located(_ error: any Error, _ value: ConfigValue?, key: Bool = false) -> String {
        guard let m = key ? value?.keyOrValueMark : value?.mark, m.line > 0 else { return "\(error)" }
        return "\(m): error: \(error)"
    }
}
