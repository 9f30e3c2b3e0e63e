public import QuernKit

/// Errors from looking up plugins or checking their options. Each message says what is known and
/// what to do.
public enum RegistryError: Error, CustomStringConvertible, Equatable {
    /// A required option that was not given, and its help.
    public struct Missing: Sendable, Equatable {
        public var name: String
        public var help: String

        public init(name: String, help: String) {
            self.name = name
            self.help = help
        }
    }

    case unknownPlugin(kind: PluginKind, name: String, known: [String], suggestion: String?)
    case unknownOption(plugin: String, kind: PluginKind, option: String, valid: [String], suggestion: String?)
    case badOptionValue(
        plugin: String, kind: PluginKind, option: String, value: String, expected: String, valid: [String])
    /// Every required option that was not given, with its help, in declaration order.
    case missingOption(plugin: String, kind: PluginKind, options: [Missing])
    case notBuildable(String)
    case badSpec(String)

    public var description: String {
        switch self {
        case .unknownPlugin(let kind, let name, let known, let suggestion):
            let hint = suggestion.map { " Did you mean '\($0)'?" } ?? ""
            return "unknown \(kind.rawValue) '\(name)'.\(hint) Known \(kind.plural): \(known.joined(separator: ", ")) "
                + "(`quern plugins` describes each)."
        case .unknownOption(let plugin, let kind, let option, let valid, let suggestion):
            let hint = suggestion.map { " Did you mean '\($0)'?" } ?? ""
            let list = valid.isEmpty ? "it takes no options" : "its options are \(valid.joined(separator: ", "))"
            return
                "\(kind.rawValue) '\(plugin)' has no option '\(option)'.\(hint) \(list.prefix(1).uppercased() + list.dropFirst())."
        case .badOptionValue(let plugin, let kind, let option, let value, let expected, let valid):
            // One wording with the same check made by a plugin itself.
            return PluginError.badOptionValue(
                plugin: plugin, kind: kind, option: option, value: value, expected: expected, valid: valid
            ).description
        case .missingOption(let plugin, let kind, let options):
            let list = options.map { "'\($0.name)' (\($0.help))" }.joined(separator: ", ")
            let noun = options.count == 1 ? "option" : "options"
            return "\(kind.rawValue) '\(plugin)' needs the \(noun) \(list): \(Self.whereOptionsGo(kind, plugin))."
        case .notBuildable(let name):
            return "plugin '\(name)' is registered under a kind it does not implement (a bug in the plugin table)."
        case .badSpec(let text):
            return
                "'\(text)' is not a plugin spec: write NAME or NAME:key=value[,key=value] (for example zstd:level=3)."
        }
    }

    /// Where a plugin's options are written, by kind.
    static func whereOptionsGo(_ kind: PluginKind, _ plugin: String) -> String {
        switch kind {
        case .extractor: "write them under extractor: in the config (next to name: \(plugin))"
        case .merge: "write them as --merge-strategy \(plugin):key=value, or under merge.options in the config"
        case .codec: "write them as --codec \(plugin):key=value (batch.codec)"
        case .format: "write them as --format \(plugin):key=value (input.format)"
        case .writer: "write them as --writer \(plugin):key=value (save.writer)"
        }
    }
}
