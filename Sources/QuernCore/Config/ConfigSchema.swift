public import QuernKit

/// Every key the config file may hold, by section. Codable would ignore unknown keys, so keys are
/// checked here, against this table, with "did you mean" suggestions. The `extractor:` section is
/// checked against the options the chosen extractor plugin declares.
public enum ConfigSchema {
    /// A key of a fixed section: its declaration.
    public typealias Key = Setting

    /// Sections with a fixed set of keys, from the declarations (``Setting/all``), in their order.
    /// `extractor` is open: its keys are plugin options.
    public static let sections: [(name: String, keys: [Key])] = {
        var result: [(name: String, keys: [Key])] = []
        for s in Setting.all where s.section != openSection {
            if let i = result.firstIndex(where: { $0.name == s.section }) {
                result[i].keys.append(s)
            } else {
                result.append((s.section, [s]))
            }
        }
        return result
    }()

    /// The section whose keys are the chosen extractor's options, checked by the plugin.
    static let openSection = "extractor"

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
        let known = sections.map(\.name) + [openSection]
        for (name, value) in entries {
            guard known.contains(name) else {
                found.append(
                    .unknownKey(
                        at: value.keyOrValueMark, key: name, section: "", valid: known,
                        suggestion: closest(to: name, in: known)))
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
            guard let i = v.intValue else {
                throw .wrongType(at: v.mark, key: path, expected: "an integer", found: "'\(v.canonical)'")
            }
            if let range, !range.contains(i) {
                let allowed =
                    range.upperBound == Int.max
                    ? "at least \(range.lowerBound)" : "from \(range.lowerBound) to \(range.upperBound)"
                throw .invalid(at: v.mark, key: path, reason: "\(i) is out of range: allowed \(allowed).")
            }
        case .bool:
            if v.boolValue == nil {
                throw .wrongType(at: v.mark, key: path, expected: "true or false", found: "'\(v.canonical)'")
            }
        case .string, .choice:
            if v.stringValue == nil { throw .wrongType(at: v.mark, key: path, expected: "a string", found: v.typeName) }
        case .stringList:
            if let items = v.listValue, items.allSatisfy({ $0.stringValue != nil || $0.kind == .null }) { return }
            throw .wrongType(at: v.mark, key: path, expected: "a list of strings", found: v.typeName)
        case .double:
            if v.doubleValue == nil {
                throw .wrongType(at: v.mark, key: path, expected: "a number", found: "'\(v.canonical)'")
            }
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
