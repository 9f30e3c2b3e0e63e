import QuernCore
public import QuernKit
public import Testing

/// What every plugin of every kind declares, and what a table of plugins must hold together:
/// checked by ``check(_:)`` for one plugin and ``checkTable(_:)`` for the table.
///
/// A test target runs it over its own table, one test case per plugin:
///
/// ```swift
/// @Test(arguments: PluginConformance.cases(in: teamPlugins))
/// func metadata(_ c: PluginConformance.Case) { PluginConformance.check(c) }
/// @Test func table() { PluginConformance.checkTable(builtInPlugins + teamPlugins) }
/// ```
public enum PluginConformance {
    /// One plugin type of a table.
    public struct Case: Sendable, CustomTestStringConvertible {
        public let plugin: any Plugin.Type
        public var testDescription: String { "\(plugin.kind.rawValue) \(plugin.name)" }
    }

    /// Every plugin of `table`.
    public static func cases(in table: [any Plugin.Type]) -> [Case] { table.map(Case.init) }

    /// The plugin's metadata: a name users can type in a flag or a spec (`name:key=value`), a
    /// summary, options with unique names whose defaults pass their own type check, and a plugin
    /// that can be built from its defaults when it has no required option.
    public static func check(_ c: Case) {
        let p = c.plugin
        #expect(!p.name.isEmpty && p.name == p.name.lowercased(), "the name is lower-case and not empty: '\(p.name)'")
        #expect(
            !p.name.contains { ":,= \t\n".contains($0) },
            "the name has no ':', ',', '=' or space (it starts a spec such as name:key=value): '\(p.name)'")
        #expect(!p.summary.isEmpty && !p.summary.contains("\n"), "\(p.name): the summary is one line")
        let names = p.options.map(\.name)
        #expect(Set(names).count == names.count, "\(p.name): option names are unique: \(names)")
        let registry = PluginRegistry([p])
        for o in p.options {
            #expect(!o.help.isEmpty, "\(p.name).\(o.name) has help text")
            guard let d = o.defaultValue, !d.isEmpty else { continue }
            do {
                _ = try registry.options(for: p, [o.name: ConfigValue.parseScalar(d)])
            } catch RegistryError.missingOption {
                // Another option is required; this one's default passed.
            } catch {
                Issue.record("\(p.name).\(o.name): its default '\(d)' fails its own type: \(error)")
            }
        }
        if !p.options.contains(where: \.required) {
            let problem = defaultsProblem(p)
            #expect(problem == nil, "\(p.name) builds from its defaults: \(problem ?? "")")
        }
        if let codec = p as? any CodecPlugin.Type {
            #expect(
                codec.fileExtensions.allSatisfy { $0 == $0.lowercased() && !$0.hasPrefix(".") },
                "\(p.name): file extensions are lower-case, without a dot")
        }
        if let format = p as? any InputFormatPlugin.Type {
            #expect(
                format.fileExtensions.allSatisfy { $0 == $0.lowercased() && !$0.hasPrefix(".") },
                "\(p.name): file extensions are lower-case, without a dot")
        }
    }

    /// The error building a codec or format from its defaults, or nil. Extractors and merge
    /// strategies are built by their own suites, from their examples (a strategy may need one of
    /// several options, as balance needs per_class or mode).
    static func defaultsProblem(_ p: any Plugin.Type) -> String? {
        let registry = PluginRegistry([p])
        do {
            if p is any CodecPlugin.Type { _ = try registry.codec(p.name) }
            if p is any InputFormatPlugin.Type { _ = try registry.format(p.name) }
            return nil
        } catch {
            return "\(error)"
        }
    }

    /// The table as a whole: no two plugins of a kind share a name (the first would hide the
    /// other), no two codecs write the same ZIP method, and no file extension selects two codecs
    /// or two formats.
    public static func checkTable(_ table: [any Plugin.Type]) {
        var seen: [String: Int] = [:]
        for p in table { seen["\(p.kind.rawValue) '\(p.name)'", default: 0] += 1 }
        for (key, n) in seen.sorted(by: { $0.key < $1.key }) where n > 1 {
            Issue.record("\(n) plugins are the \(key): rename one (the first in the table would hide the others)")
        }
        var methods: [UInt16: [String]] = [:]
        var codecExtensions: [String: [String]] = [:]
        var formatExtensions: [String: [String]] = [:]
        for p in table {
            if let c = p as? any CodecPlugin.Type {
                methods[c.zipMethod, default: []].append(c.name)
                for ext in c.fileExtensions { codecExtensions[ext, default: []].append(c.name) }
            }
            if let f = p as? any InputFormatPlugin.Type {
                for ext in f.fileExtensions { formatExtensions[ext, default: []].append(f.name) }
            }
        }
        for (method, names) in methods where names.count > 1 {
            Issue.record(
                "codecs \(names.sorted()) all write ZIP method \(method): a batch could not say which one reads it")
        }
        for (ext, names) in codecExtensions where names.count > 1 {
            Issue.record("file extension '.\(ext)' is claimed by the codecs \(names.sorted())")
        }
        for (ext, names) in formatExtensions where names.count > 1 {
            Issue.record("file extension '.\(ext)' is claimed by the formats \(names.sorted())")
        }
    }
}
