public import QuernKit

extension PluginRegistry {
    /// Looks up a merge strategy by name, checks its options and builds it.
    public func mergeStrategy(_ name: String, _ values: [String: ConfigValue] = [:]) throws -> any MergeStrategy {
        let p = try lookup(.merge, name)
        guard let m = p as? any MergePlugin.Type else { throw RegistryError.notBuildable(name) }
        return try m.make(options(for: p, values))
    }

    /// Parses `name[:key=value,...]` and builds that merge strategy.
    public func mergeStrategy(spec: String, extra: [String: ConfigValue] = [:]) throws -> any MergeStrategy {
        let s = try PluginSpec.parse(spec)
        return try mergeStrategy(s.name, extra.merging(s.options) { _, flag in flag })
    }
}
