public import QuernKit

// Building one plugin from the text of a setting (`zstd:3`, `balance:per_class=100`): the plan's
// plugins, and the candidates `quern compare` and `quern init` name, all come through here.
extension Resolver {
    /// The codec `spec` names (`zstd`, `zstd:3`, `zlib:level=6`), its options checked.
    public func codec(spec: String) throws -> any Codec {
        try registry.codec(spec: spec)
    }

    /// The merge strategy `spec` names, with `extra` options (`merge.options`; the spec's own win).
    public func strategy(spec: String, extra: [String: ConfigValue] = [:]) throws -> any MergeStrategy {
        try registry.mergeStrategy(spec: spec, extra: extra)
    }

    /// The output writer `spec` names (`npy`, `jsonl`), its options checked.
    public func writer(spec: String) throws -> any OutputWriter {
        try registry.writer(spec: spec)
    }

    /// The input format `choice` names, its options checked; nil for `auto`.
    public func format(_ choice: FormatChoice) throws -> (any InputFormat)? {
        try registry.format(choice)
    }

    /// Checks that an extractor of this name exists (its options come from the config file).
    public func checkExtractorName(_ name: String) throws {
        _ = try registry.lookup(.extractor, name)
    }
}
