import ArgumentParser
import QuernCore
import QuernKit

/// Settings from environment variables, `QUERN_<SECTION>_<KEY>` (`QUERN_MERGE_STRATEGY=shuffle`
/// sets `merge.strategy`). Precedence: flags > environment > config file > defaults; this layer
/// sits between the file and the flags (``ConfigOptions/load(overrides:quiet:)``). Each value
/// carries its variable as its origin, so errors name it. docs/configuration.md lists the names.
enum EnvironmentOverrides {
    static let prefix = "QUERN_"

    /// Variables quern itself sets for hooks and children, or reads for other purposes: never
    /// settings, though some look like one (`QUERN_INPUT_DIR` is the hooks' absolute input folder).
    /// HookObserver.environment, ChildProcess, ShardLaunch and the tests set or read them.
    static let reserved: Set<String> = [
        "QUERN_STAGE", "QUERN_WHEN", "QUERN_HOOK", "QUERN_RUN_ID", "QUERN_DATASET", "QUERN_CONFIG", "QUERN_INPUT_DIR",
        "QUERN_INTERMEDIATE_DIR", "QUERN_OUTPUT_DIR", "QUERN_CODEC", "QUERN_SHARD", "QUERN_STAGING_DIR",
        "QUERN_CONTEXT",
        "QUERN_OVERRIDES", "QUERN_BATCH_FILE", "QUERN_STATUS", "QUERN_ERROR", "QUERN_PARENT_PID", "QUERN_CRASH_AT",
        "QUERN_SLURM_SCRIPT", "QUERN_SHARD_COUNT", "QUERN_BIN", "QUERN_PYTHON",
    ]

    /// Variables a hook gets that are also setting names: inside a hook (`QUERN_HOOK` set) they
    /// describe the quern that runs the hook, so a quern the hook starts does not take them as settings.
    static let hookVariables: Set<String> = ["QUERN_MERGE_STRATEGY"]

    /// Every variable that sets something, with its dotted key, in the schema's order. Lists and
    /// open maps (`merge.options`, `hooks.commands`) are for the config file only.
    static let names: [(variable: String, key: String)] = {
        var names: [(String, String)] = [("QUERN_EXTRACTOR_NAME", "extractor.name")]
        for section in ConfigSchema.sections {
            for key in section.keys {
                switch key.type {
                case .stringList: continue
                case .structured where key.flag == nil: continue
                default:
                    names.append(
                        (
                            "\(prefix)\(section.name.uppercased())_\(key.name.uppercased())",
                            "\(section.name).\(key.name)"
                        ))
                }
            }
        }
        return names
    }()

    /// `environment` without the variables that are settings, for a child given a config that
    /// already holds them (a dataset of `run --datasets`).
    static func withoutSettings(_ environment: [String: String]) -> [String: String] {
        let settings = Set(names.map(\.variable))
        return environment.filter {
            !settings.contains($0.key) || (environment["QUERN_HOOK"] != nil && hookVariables.contains($0.key))
        }
    }

    /// `root` with the environment's settings applied. An unknown `QUERN_<SECTION>_...` name or a
    /// refused value is bad usage (a `ValidationError`, exit 64), every one named at once, as for flags.
    static func apply(to root: ConfigValue, environment: [String: String]) throws -> ConfigValue {
        let sections = Set(ConfigSchema.sections.map { "\(prefix)\($0.name.uppercased())_" } + ["\(prefix)EXTRACTOR_"])
        let byName = Dictionary(uniqueKeysWithValues: names.map { ($0.variable, $0.key) })
        let insideHook = environment["QUERN_HOOK"] != nil
        var found: [(variable: String, key: String, value: String)] = []
        var unknown: [String] = []
        for (variable, value) in environment.sorted(by: { $0.key < $1.key }) where variable.hasPrefix(prefix) {
            if reserved.contains(variable) || (insideHook && hookVariables.contains(variable)) { continue }
            if let key = byName[variable] {
                found.append((variable, key, value))
            } else if sections.contains(where: { variable.hasPrefix($0) }) {
                unknown.append(variable)
            }
        }
        var problems = unknown.map { variable in
            let hint = closest(to: variable, in: names.map(\.variable)).map { " Did you mean \($0)?" } ?? ""
            return
                "environment variable \(OneLine.escape(variable)) is not a setting.\(hint) Unset it, or use one of: \(names.map(\.variable).joined(separator: ", "))."
        }
        let origin = Dictionary(found.map { ($0.key, $0.variable) }, uniquingKeysWith: { a, _ in a })
        problems += FlagValues.problems(found.map { ($0.key, $0.value) }) { key, value in
            "\(key) '\(OneLine.escape(value))' (from \(origin[key] ?? "the environment"))"
        }
        if !problems.isEmpty { throw ValidationError(problems.joined(separator: "\nerror: ")) }
        var config = root
        for f in found {
            config = config.setting(
                f.key,
                to: ConfigValue(
                    .scalar(f.value), mark: SourceMark(file: "\(f.variable) (environment)", line: 0, column: 0)))
        }
        return config
    }
}
