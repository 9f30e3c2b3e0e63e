public import QuernKit

/// The input format `input.format` (or `--format`) asks for: `auto`, where each file's extension
/// chooses its format with default options, or one named format, with options, for every file.
///
/// Written as a plugin spec, as codecs and merge strategies are (`csv`, `csv:delimiter=;`,
/// `tsv:quoting=true`), or as a map, as the extractor is (`{name: csv, delimiter: ";"}`). The
/// options are checked against the format's declared ``OptionSpec``s by the registry, which
/// refuses an unknown one with "did you mean".
public struct FormatChoice: Sendable, Equatable, CustomStringConvertible {
    public static let autoName = "auto"
    public static let auto = FormatChoice(name: autoName)

    /// `auto` or a format plugin's name, lower-case.
    public var name: String
    public var options: [String: ConfigValue]

    public init(name: String, options: [String: ConfigValue] = [:]) {
        self.name = name.lowercased()
        self.options = options
    }

    public var isAuto: Bool { name == Self.autoName }

    /// As a spec, options sorted: `csv:delimiter=;`.
    public var description: String {
        options.isEmpty
            ? name : name + ":" + options.keys.sorted().map { "\($0)=\(options[$0]!.canonical)" }.joined(separator: ",")
    }

    /// Reads `input.format`: a spec string or a map with `name:` and options.
    public static func resolve(_ value: ConfigValue) throws(ConfigError) -> FormatChoice {
        let key = "input.format"
        let choice: FormatChoice
        if let text = value.stringValue {
            do {
                let spec = try PluginSpec.parse(text)
                choice = FormatChoice(name: spec.name, options: spec.options)
            } catch {
                throw .invalid(
                    at: value.mark, key: key,
                    reason:
                        "'\(text)' is not a format: write NAME or NAME:key=value[,key=value] (csv, csv:delimiter=;, tsv:quoting=true), or auto."
                )
            }
        } else if let entries = value.mapValue {
            guard let nameValue = value["name"] else {
                throw .invalid(
                    at: value.mark, key: key,
                    reason:
                        "a map needs name: the format (csv, tsv, jsonl), then its options, as {name: csv, delimiter: \";\"}."
                )
            }
            guard let name = nameValue.stringValue, !name.isEmpty else {
                throw .wrongType(
                    at: nameValue.mark, key: "\(key).name", expected: "a format name", found: nameValue.typeName)
            }
            var options: [String: ConfigValue] = [:]
            for (k, v) in entries where k != "name" { options[k] = v }
            choice = FormatChoice(name: name, options: options)
        } else {
            throw .wrongType(
                at: value.mark, key: key,
                expected: "a format (csv, csv:delimiter=;) or a map {name: csv, delimiter: \";\"}",
                found: value.typeName)
        }
        if choice.isAuto && !choice.options.isEmpty {
            throw .invalid(
                at: value.mark, key: key,
                reason:
                    "options (\(choice.options.keys.sorted().joined(separator: ", "))) apply to one format, not to auto: name the format, as csv:delimiter=; (every file is then read as that format)."
            )
        }
        return choice
    }
}

extension PluginRegistry {
    /// Builds the format `choice` names with its options (checked), or nil for `auto`.
    public func format(_ choice: FormatChoice) throws -> (any InputFormat)? {
        choice.isAuto ? nil : try format(choice.name, choice.options)
    }
}
