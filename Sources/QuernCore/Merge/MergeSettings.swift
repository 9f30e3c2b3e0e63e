/// Everything the merge needs, from defaults, the config file and flags.
public struct MergeSettings: Sendable, Equatable {
    public var intermediateDir = "data/intermediate"
    public var outputDir = "data/processed"
    public var strategySpec = "concat"
    public var strategyOptions: [String: ConfigValue] = [:]
    public var fractions = [0.8, 0.1, 0.1]
    /// `split.by`; nil (the default): by group when the batches have a group key, else by row.
    public var splitBy: SplitFunction.By? = nil
    /// `split.seed`: the split hash's seed, which alone (with the fractions and keys) decides a row's split.
    public var splitSeed = 0
    /// `merge.seed` (`--seed`): the seeded strategies' seed; it never changes the split.
    public var mergeSeed = 0
    public var normalize = Normalizer.Method.standard
    public var cleanup = false
    public var skipValidation = false
    public var memoryBudget = 512 << 20
    /// `batch.memory_limit`: sizes read-ahead, the strategy's budget and blocks (see ``MemoryLimit``).
    public var memoryLimit: MemoryLimit? = nil
    /// `save.provenance`: write each row's source file, line and group key with the outputs.
    public var provenance = false

    public init() {}

    public static func resolve(_ config: ConfigValue) throws(ConfigError) -> MergeSettings {
        try ConfigSchema.check(config)
        var s = MergeSettings()
        if let v = config.value(at: "paths.intermediate")?.stringValue { s.intermediateDir = v }
        if let v = config.value(at: "paths.output")?.stringValue { s.outputDir = v }
        if let v = config.value(at: "merge.strategy")?.stringValue { s.strategySpec = v }
        if let v = config.value(at: "merge.options") {
            guard let entries = v.mapValue else { throw .wrongType(at: v.mark, key: "merge.options", expected: "a map of option -> value", found: v.typeName) }
            for (k, o) in entries { s.strategyOptions[k] = o }
        }
        if let v = config.value(at: "merge.cleanup")?.boolValue { s.cleanup = v }
        if let v = config.value(at: "merge.skip_validation")?.boolValue { s.skipValidation = v }
        if let v = config.value(at: "merge.memory_budget_mb")?.intValue { s.memoryBudget = v << 20 }
        if let v = config.value(at: "save.provenance")?.boolValue { s.provenance = v }
        s.memoryLimit = try MemoryLimit.resolve(config)
        if let v = config.value(at: "split.seed")?.intValue { s.splitSeed = v }
        if let v = config.value(at: "merge.seed")?.intValue { s.mergeSeed = v }
        if let v = config.value(at: "split.by") {
            guard let by = v.stringValue.flatMap(SplitFunction.By.init(rawValue:)) else {
                throw .invalid(at: v.mark, key: "split.by", reason: "must be group (rows of a group stay together) or row, not '\(v.canonical)'.")
            }
            s.splitBy = by
        }
        if let v = config.value(at: "split.fractions") {
            let items: [String] = v.listValue?.compactMap(\.stringValue) ?? (v.stringValue?.split(separator: ",").map { String($0) } ?? [])
            let numbers = items.compactMap { Double($0.trimmingCharacters(in: " ")) }
            guard numbers.count == 3, numbers.count == items.count, numbers.allSatisfy({ $0 >= 0 }), abs(numbers.reduce(0, +) - 1) < 1e-6 else {
                throw .invalid(at: v.mark, key: "split.fractions", reason: "give three fractions train,val,test that are >= 0 and sum to 1 (for example 0.8,0.1,0.1), not '\(v.canonical)'.")
            }
            s.fractions = numbers
        }
        if let v = config.value(at: "normalize.method") {
            guard let m = v.stringValue.flatMap(Normalizer.Method.init(rawValue:)) else {
                throw .invalid(at: v.mark, key: "normalize.method", reason: "must be standard, minmax or none, not '\(v.canonical)'.")
            }
            s.normalize = m
        }
        return s
    }

    /// The split of batches with `schema`. Without a group key every row would share the empty key
    /// (and land in one split), so the default splits by row there, and `split.by: group` is refused.
    public func splitFunction(for schema: FeatureSchema) throws -> SplitFunction {
        let by = splitBy ?? (schema.hasGroups ? .group : .row)
        if by == .group && !schema.hasGroups {
            throw MergeError.badSettings(
                "split.by: group needs a group key, and these batches have none (the extractor has no group: column). Set extractor group: <column> and run `quern extract --restart`, or use split.by: row (the default without a group).")
        }
        return SplitFunction(seed: splitSeed, fractions: fractions, by: by)
    }
}
