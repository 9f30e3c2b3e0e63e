import ArgumentParser
import QuernCore
import QuernKit

/// Flag values checked before the config is used (``ConfigOptions/load(overrides:)``): a bad value typed on the command line
/// (`--codec brotli`, `--workers 100000`) is bad usage, exit 64, as the argument parser's own
/// errors are. The same value in a config file is a config error (exit 1, with its position).
/// The checks are the config's own (the schema's types and ranges, the settings, the plugin
/// table), applied to the flags alone.
enum FlagValues {
    static let mark = SourceMark(file: "flag", line: 0, column: 0)

    /// Throws a `ValidationError` naming each flag whose value is refused.
    static func check(_ overrides: [(String, String?)]) throws {
        let problems = problems(overrides) { key, value in "\(flag(for: key)) \(OneLine.escape(value))" }
        if !problems.isEmpty { throw ValidationError(problems.joined(separator: "\nerror: ")) }
    }

    /// One line per refused value, `naming(key, value): why`. Flags and environment variables
    /// (``EnvironmentOverrides``) share these checks and differ only in how a value is named.
    static func problems(_ overrides: [(String, String?)], naming: (String, String) -> String) -> [String] {
        var config = ConfigValue(.map([]))
        var given: [String: String] = [:]
        for (key, value) in overrides {
            guard let value else { continue }
            config = config.setting(key, to: ConfigValue(.scalar(value), mark: mark))
            given[key] = value
        }
        guard !given.isEmpty else { return [] }
        var problems: [String] = []
        func note(_ key: String, _ why: String) {
            let line = "\(naming(key, given[key] ?? "")): \(why)"
            if !problems.contains(line) { problems.append(line) }
        }
        for e in ConfigSchema.problems(config) {
            guard let key = e.flagKey else { continue }
            note(key, e.reason)
            config = config.removing(key)
        }
        // Settings that parse the text (fractions, sizes, shards), each refused key set aside in
        // turn so that every bad flag is named at once.
        for _ in 0..<given.count {
            do {
                _ = try Resolver.extractSettings(config)
                _ = try Resolver.mergeSettings(config)
                break
            } catch {
                guard let key = error.flagKey, given[key] != nil else { break }
                note(key, error.reason)
                config = config.removing(key)
            }
        }
        let resolver = Resolver(registry: CLIPlugins.registry)
        if let codec = given["batch.codec"] {
            do { _ = try resolver.codec(spec: codec) } catch { note("batch.codec", "\(error)") }
        }
        if let format = given["input.format"] {
            do { _ = try resolver.format(FormatChoice.resolve(ConfigValue(.scalar(format)))) } catch {
                note("input.format", "\(error)")
            }
        }
        if let name = given["extractor.name"] {
            do { try resolver.checkExtractorName(name) } catch { note("extractor.name", "\(error)") }
        }
        if let spec = given["merge.strategy"] {
            do { _ = try resolver.strategy(spec: spec) } catch { note("merge.strategy", "\(error)") }
        }
        return problems
    }

    /// The flag that sets a config key (`batch.codec` -> `--codec`), from its declaration.
    static func flag(for key: String) -> String {
        Setting.named(key)?.flag ?? key
    }
}

extension ConfigError {
    /// The dotted key of an error about a flag's value, or nil when it is about something else.
    fileprivate var flagKey: String? {
        switch self {
        case .wrongType(let at, let key, _, _), .invalid(let at, let key, _): at == FlagValues.mark ? key : nil
        case .unknownKey, .unreadable, .yaml: nil
        }
    }

    /// The message without its position and key, which the flag's name replaces.
    fileprivate var reason: String {
        switch self {
        case .wrongType(_, _, let expected, let found): "must be \(expected), found \(OneLine.escape(found))."
        case .invalid(_, _, let reason): OneLine.escape(reason)
        default: description
        }
    }
}
