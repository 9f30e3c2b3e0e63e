public import QuernKit

extension PluginRegistry {
    /// Looks up an output writer by name, checks its options and builds it.
    public func writer(_ name: String, _ values: [String: ConfigValue] = [:]) throws -> any OutputWriter {
        let p = try lookup(.writer, name)
        guard let w = p as? any OutputWriterPlugin.Type else { throw RegistryError.notBuildable(name) }
        return try w.make(options(for: p, values))
    }

    /// Parses `name[:key=value,...]` and builds that output writer.
    public func writer(spec: String) throws -> any OutputWriter {
        let s = try PluginSpec.parse(spec)
        return try writer(s.name, s.options)
    }
}
