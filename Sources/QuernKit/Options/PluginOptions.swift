/// The options given to one plugin, already checked against its ``OptionSpec`` list by the
/// registry: every key is known and every scalar has the declared type. Typed getters fall back to
/// the declared default.
public struct PluginOptions: Sendable, Equatable {
    public let pluginName: String
    public let values: [String: ConfigValue]
    public let specs: [OptionSpec]

    public init(pluginName: String, values: [String: ConfigValue], specs: [OptionSpec]) {
        self.pluginName = pluginName
        self.values = values
        self.specs = specs
    }

    public subscript(_ key: String) -> ConfigValue? { values[key] }

    private func fallback(_ key: String) -> ConfigValue? {
        if let v = values[key] { return v }
        guard let d = specs.first(where: { $0.name == key })?.defaultValue else { return nil }
        return ConfigValue.parseScalar(d)
    }

    public func int(_ key: String) -> Int? { fallback(key)?.intValue }
    public func double(_ key: String) -> Double? { fallback(key)?.doubleValue }
    public func bool(_ key: String) -> Bool? { fallback(key)?.boolValue }
    public func string(_ key: String) -> String? { fallback(key)?.stringValue }
    public func stringList(_ key: String) -> [String]? {
        guard let v = fallback(key) else { return nil }
        if case .list(let items) = v.kind { return items.compactMap(\.stringValue) }
        if let s = v.stringValue { return s.isEmpty ? [] : s.split(separator: ",").map(String.init) }
        return nil
    }

    /// A canonical text of the options (sorted keys), used in schema fingerprints.
    public var canonical: String {
        values.keys.sorted().map { "\($0)=\(values[$0]!.canonical)" }.joined(separator: ";")
    }
}
