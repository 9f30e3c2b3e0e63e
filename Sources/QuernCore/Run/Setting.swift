public import QuernKit

/// One setting of the config file, declared once: its key, type, default, flag and help. The one
/// table of them, ``Setting/all``, feeds the schema check (``ConfigSchema``), the resolution (the
/// ``Resolver`` reads every value, or the default, through ``SettingReader``), the help of the
/// command-line flag (the CLI's `ArgumentHelp.setting(_:)`) and so `docs/cli.md`.
///
/// A new setting is a line in ``all`` and a field of the typed settings its stage reads.
public struct Setting: Sendable {
    /// The section (`batch`) and key (`codec`): `batch.codec` in a hook override.
    public var section: String
    public var name: String
    public var type: OptionSpec.ValueType
    /// The value when neither the file nor a flag sets it; nil when the setting has none or its
    /// default follows from other settings (as ``help`` says).
    public var defaultValue: ConfigValue?
    /// The default as help shows it, when that is not the value itself (`one per core` for 0).
    public var defaultShown: String?
    /// The command-line flag that sets the same thing, if any (`--codec`).
    public var flag: String?
    /// The flag's value placeholder in help (`dir`, `n`).
    public var valueName: String?
    /// What the setting does, for a newcomer, without the key or the default (added where shown).
    public var help: String
    /// More sentences for the flag's help, after the key and default.
    public var more: String?
    /// The flag's whole help when it cannot be composed (`--no-hooks` sets `hooks.enabled: false`).
    public var flagText: String?

    public init(
        _ path: String, _ type: OptionSpec.ValueType, default defaultText: String? = nil, shown: String? = nil,
        flag: String? = nil, value: String? = nil,
        help: String, more: String? = nil, flagText: String? = nil, defaultValue: ConfigValue? = nil
    ) {
        let parts = path.split(separator: ".", maxSplits: 1).map(String.init)
        precondition(parts.count == 2, "a setting is section.key, not \(path)")
        section = parts[0]
        name = parts[1]
        self.type = type
        self.defaultValue = defaultValue ?? defaultText.map { ConfigValue(.scalar($0), mark: Setting.defaultMark) }
        defaultShown = shown
        self.flag = flag
        valueName = value
        self.help = help
        self.more = more
        self.flagText = flagText
    }

    /// `section.key`.
    public var path: String { "\(section).\(name)" }

    /// Where a default value "was written", for messages about it.
    public static let defaultMark = SourceMark(file: "default", line: 0, column: 0)

    /// The default as help shows it, if any.
    public var defaultText: String? { defaultShown ?? defaultValue?.canonical }

    /// The flag's help: `Folder of raw input files (paths.input; default data/input).`
    public var flagHelp: String {
        if let flagText { return flagText }
        // A switch is off unless given: "default false" would say nothing.
        let isSwitch = if case .bool = type { defaultValue?.canonical == "false" } else { false }
        let shown = isSwitch ? "" : defaultText.map { "; default \($0)" } ?? ""
        return "\(help) (\(path)\(shown)\(limit.map { "; \($0)" } ?? "")).\(more.map { " \($0)" } ?? "")"
    }

    /// The key's line in the reference of config keys (`quern validate --help`, so `docs/cli.md`):
    /// `batch.codec (--codec): Batch compression: ... (default lz4).`
    public var keyHelp: String {
        let isSwitch = if case .bool = type { true } else { false }
        var facts: [String] = []
        if isSwitch {
            facts.append("true or false")
        } else if case .choice(let values) = type {
            facts.append(values.joined(separator: ", "))
        }
        if let d = defaultText { facts.append("default \(d)") }
        if let limit { facts.append(limit) }
        let flagPart = flag.map { " (\($0))" } ?? ""
        return "\(path)\(flagPart): \(help)\(facts.isEmpty ? "" : " (\(facts.joined(separator: "; ")))")."
    }

    /// The largest value an integer setting takes, in words (`at most 1,000,000`), if bounded.
    public var limit: String? {
        guard case .int(let range?) = type, range.upperBound < Int.max else { return nil }
        var digits = String(range.upperBound)
        var grouped = ""
        while digits.count > 3 {
            grouped = "," + digits.suffix(3) + grouped
            digits.removeLast(3)
        }
        return "at most \(digits)\(grouped)"
    }

    /// The declaration of `path`, if there is one.
    public static func named(_ path: String) -> Setting? { byPath[path] }

    private static let byPath: [String: Setting] = Dictionary(
        all.map { ($0.path, $0) }, uniquingKeysWith: { a, _ in a })
}
