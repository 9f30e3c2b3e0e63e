/// What every plugin type declares about itself. Plugins are types, not instances: the metadata is
/// static, and a kind-specific `make` builds a configured instance (see ``ExtractorPlugin``,
/// ``CodecPlugin``, ``InputFormatPlugin``).
///
/// A plugin lives in a team's own package, given to `QuernCLI.main(plugins: builtInPlugins + [...])`
/// (docs/plugins.md, docs/examples/team-plugins), or in Quern as a folder under
/// `plugins/<kind>/<Name>/`, a target line in `Package.swift` and a line in `builtInPlugins`.
///
/// Contract, checked for each plugin of a table by `PluginConformance` (library
/// `QuernConformance`): the name is lower-case, not empty, without `:`, `,`, `=` or spaces (it
/// starts a spec, `name:key=value`); the summary is one line; option names are unique, each has
/// help, each default passes its own type; a codec or format builds from its defaults. In a
/// table, no two plugins of a kind share a name, no two codecs a ZIP method, no two codecs or two
/// formats a file extension. Each kind has its own contract and suite (``Extractor``, ``Codec``,
/// ``InputFormat``, `MergeStrategy`).
///
/// What a plugin type guarantees:
/// - its metadata is constant, and `name` is unique within its ``PluginKind``;
/// - `make` is cheap and has no side effects (no files, no threads): the host may build a
///   plugin more than once, e.g. to check a configuration before a run;
/// - `make` receives options already checked against ``options`` (known keys, declared types)
///   and throws for combinations it cannot work with: ``ConfigError`` for a value with a config
///   position, else ``PluginError``, each saying what to write instead.
public protocol Plugin: Sendable {
    static var kind: PluginKind { get }
    /// The name users write in a flag or the config, lower-case (`tabular`, `zstd`).
    static var name: String { get }
    /// One line saying what the plugin does.
    static var summary: String { get }
    /// Every option the plugin accepts. Anything else is refused.
    static var options: [OptionSpec] { get }
}

/// Builds feature extractors. See ``Extractor``.
public protocol ExtractorPlugin: Plugin {
    static func make(_ options: PluginOptions) throws -> any Extractor
}

extension ExtractorPlugin {
    public static var kind: PluginKind { .extractor }
}

/// Builds compression codecs. See ``Codec``.
public protocol CodecPlugin: Plugin {
    /// The ZIP compression method id this codec writes into batch files, so a batch can be read
    /// whatever codec is configured today.
    static var zipMethod: UInt16 { get }
    /// File extensions of inputs compressed with this codec's file format (`gz`, `zst`), if any.
    static var fileExtensions: [String] { get }
    static func make(_ options: PluginOptions) throws -> any Codec
}

extension CodecPlugin {
    public static var kind: PluginKind { .codec }
}

/// Builds readers of one input format. See ``InputFormat``.
public protocol InputFormatPlugin: Plugin {
    /// File extensions (without the compression one) that select this format, e.g. `csv`.
    static var fileExtensions: [String] { get }
    static func make(_ options: PluginOptions) throws -> any InputFormat
}

extension InputFormatPlugin {
    public static var kind: PluginKind { .format }
}
