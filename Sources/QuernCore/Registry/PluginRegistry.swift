public import QuernKit

/// The one table of plugins, for every ``PluginKind``. Built from a list of plugin types (the
/// built-ins live in `QuernPlugins.builtInPlugins`); no global state, no registration side effects.
///
/// Lookups by name fail with a ``RegistryError`` that lists the known names and suggests the
/// closest; options are checked against the plugin's declared ``OptionSpec``s.
public struct PluginRegistry: Sendable {
    public let plugins: [any Plugin.Type]
    /// Input format by file extension (the first plugin that claims one wins) and the
    /// extensions of compressed inputs, built once: discovery asks for every input file, and the
    /// casts to the plugin protocols cost 0.3 s of CPU on 20,000 files when repeated per name.
    private let formatByExtension: [String: String]
    private let compressedExtensionSet: Set<String>

    public init(_ plugins: [any Plugin.Type]) {
        self.plugins = plugins
        var formats: [String: String] = [:]
        for f in plugins.compactMap({ $0 as? any InputFormatPlugin.Type }) {
            for ext in f.fileExtensions where formats[ext] == nil { formats[ext] = f.name }
        }
        formatByExtension = formats
        compressedExtensionSet = Set(plugins.compactMap { $0 as? any CodecPlugin.Type }.flatMap { $0.fileExtensions })
    }

    /// The names of every plugin of a kind, sorted.
    public func names(of kind: PluginKind) -> [String] {
        plugins.filter { $0.kind == kind }.map { $0.name }.sorted()
    }

    /// The plugin type of `kind` called `name`, or an error listing the known ones.
    public func lookup(_ kind: PluginKind, _ name: String) throws(RegistryError) -> any Plugin.Type {
        if let p = plugins.first(where: { $0.kind == kind && $0.name == name.lowercased() }) { return p }
        let known = names(of: kind)
        throw .unknownPlugin(kind: kind, name: name, known: known, suggestion: closest(to: name, in: known))
    }

    /// Checks `values` against the options `plugin` declares: unknown keys, wrong types, ranges,
    /// missing required options. Returns the checked options.
    public func options(for plugin: any Plugin.Type, _ values: [String: ConfigValue]) throws(RegistryError)
        -> PluginOptions
    {
        let specs = plugin.options
        for key in values.keys.sorted() {
            guard let spec = specs.first(where: { $0.name == key }) else {
                throw .unknownOption(
                    plugin: plugin.name, kind: plugin.kind, option: key, valid: specs.map(\.name),
                    suggestion: closest(to: key, in: specs.map(\.name)))
            }
            if let problem = Self.typeProblem(values[key]!, spec.type) {
                throw .badOptionValue(
                    plugin: plugin.name, kind: plugin.kind, option: key, value: values[key]!.canonical,
                    expected: problem, valid: specs.map(\.name))
            }
        }
        let missing = specs.filter { $0.required && values[$0.name] == nil }
        if !missing.isEmpty {
            throw .missingOption(
                plugin: plugin.name, kind: plugin.kind, options: missing.map { .init(name: $0.name, help: $0.help) })
        }
        return PluginOptions(pluginName: plugin.name, values: values, specs: specs)
    }

    /// Looks up an extractor by name, checks its options and builds it.
    public func extractor(_ name: String, _ values: [String: ConfigValue] = [:]) throws -> any Extractor {
        let p = try lookup(.extractor, name)
        guard let e = p as? any ExtractorPlugin.Type else { throw RegistryError.notBuildable(name) }
        return try e.make(options(for: p, values))
    }

    /// Looks up a codec by name, checks its options and builds it.
    public func codec(_ name: String, _ values: [String: ConfigValue] = [:]) throws -> any Codec {
        let p = try lookup(.codec, name)
        guard let c = p as? any CodecPlugin.Type else { throw RegistryError.notBuildable(name) }
        return try c.make(options(for: p, values))
    }

    /// Parses `name[:key=value,...]` (or `name:N`, shorthand for `level=N`) and builds that codec.
    public func codec(spec: String) throws -> any Codec {
        let s = try PluginSpec.parse(spec, shorthandKey: "level")
        return try codec(s.name, s.options)
    }

    /// The codec that writes ZIP method `method` into batch files, if one is registered.
    public func codec(zipMethod method: UInt16) throws -> (any Codec)? {
        guard let p = plugins.compactMap({ $0 as? any CodecPlugin.Type }).first(where: { $0.zipMethod == method })
        else { return nil }
        return try p.make(options(for: p, [:]))
    }

    /// The codec whose file format has extension `ext` (`gz`, `zst`, `lz4`), if any.
    public func codec(fileExtension ext: String) throws -> (any Codec)? {
        guard
            let p = plugins.compactMap({ $0 as? any CodecPlugin.Type })
                .first(where: { $0.fileExtensions.contains(ext.lowercased()) })
        else { return nil }
        return try p.make(options(for: p, [:]))
    }

    /// Every extension that marks a compressed input file.
    public var compressedExtensions: [String] {
        plugins.compactMap { $0 as? any CodecPlugin.Type }.flatMap { $0.fileExtensions }
    }

    /// Every extension that selects an input format (`csv`, `jsonl`).
    public var formatExtensions: [String] {
        plugins.compactMap { $0 as? any InputFormatPlugin.Type }.flatMap { $0.fileExtensions }
    }

    /// Looks up an input format by name, checks its options and builds it.
    public func format(_ name: String, _ values: [String: ConfigValue] = [:]) throws -> any InputFormat {
        let p = try lookup(.format, name)
        guard let f = p as? any InputFormatPlugin.Type else { throw RegistryError.notBuildable(name) }
        return try f.make(options(for: p, values))
    }

    /// The format name chosen by a file extension (`csv`, `jsonl`), if one is registered.
    public func formatName(forExtension ext: String) -> String? {
        formatByExtension[ext.lowercased()]
    }

    /// Whether `ext` (lowercase) marks a compressed input file (`gz`, `zst`, `lz4`).
    public func isCompressedExtension(_ ext: String) -> Bool {
        compressedExtensionSet.contains(ext)
    }

    private static func typeProblem(_ value: ConfigValue, _ type: OptionSpec.ValueType) -> String? {
        switch type {
        case .int(let range):
            let expected = range.map { "an integer from \($0.lowerBound) to \($0.upperBound)" } ?? "an integer"
            guard let i = value.intValue else { return expected }
            if let range, !range.contains(i) { return expected }
        case .double: if value.doubleValue == nil { return "a number" }
        case .bool: if value.boolValue == nil { return "true or false" }
        case .string: if value.stringValue == nil { return "a string" }
        case .choice(let allowed):
            guard let s = value.stringValue, allowed.contains(s) else {
                return "one of \(allowed.joined(separator: ", "))"
            }
        case .stringList:
            if case .list(let items) = value.kind, items.allSatisfy({ $0.stringValue != nil }) { return nil }
            if value.stringValue != nil { return nil }
            return "a list of strings"
        case .structured: return nil
        }
        return nil
    }
}

/// `name[:key=value,key=value]` as written in flags (`zstd:level=3`, `zstd:3`, `balance:cap=1000`).
public struct PluginSpec: Sendable, Equatable {
    public var name: String
    public var options: [String: ConfigValue]

    public static func parse(_ text: String, shorthandKey: String? = nil) throws(RegistryError) -> PluginSpec {
        let parts = text.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        guard let name = parts.first, !name.isEmpty else { throw .badSpec(text) }
        var options: [String: ConfigValue] = [:]
        if parts.count == 2 {
            for item in parts[1].split(separator: ",") {
                let kv = item.split(separator: "=", maxSplits: 1).map(String.init)
                if kv.count == 2 {
                    options[kv[0]] = ConfigValue.parseScalar(kv[1])
                } else if let key = shorthandKey, options[key] == nil {
                    options[key] = ConfigValue.parseScalar(kv[0])
                } else {
                    throw .badSpec(text)
                }
            }
        }
        return PluginSpec(name: name.lowercased(), options: options)
    }
}
