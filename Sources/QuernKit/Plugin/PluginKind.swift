/// The kinds of pluggable strategy Quern knows. Every plugin belongs to exactly one kind and is
/// looked up by `(kind, name)` in the ``PluginRegistry``.
public enum PluginKind: String, CaseIterable, Sendable, Codable {
    case extractor
    case merge
    case codec
    case format
    case writer

    /// How the kind is named in messages and in `quern plugins` ("extractors", "codecs", ...).
    public var plural: String {
        switch self {
        case .extractor: "extractors"
        case .merge: "merge strategies"
        case .codec: "codecs"
        case .format: "input formats"
        case .writer: "output writers"
        }
    }
}
