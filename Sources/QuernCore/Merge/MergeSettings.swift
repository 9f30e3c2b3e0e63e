public import QuernKit

/// Everything the merge needs. Only the ``Resolver`` makes them, from the config tree and the
/// declared defaults (``Setting/all``); the values below are placeholders it replaces.
public struct MergeSettings: Sendable, Equatable {
    public var intermediateDir = ""
    public var outputDir = ""
    public var strategySpec = ""
    public var strategyOptions: [String: ConfigValue] = [:]
    public var fractions: [Double] = []
    /// `split.by`; nil (the default): by group when the batches have a group key, else by row.
    public var splitBy: SplitFunction.By? = nil
    /// `split.seed`: the split hash's seed, which alone (with the fractions and keys) decides a row's split.
    public var splitSeed = 0
    /// `merge.seed` (`--seed`): the seeded strategies' seed; it never changes the split.
    public var mergeSeed = 0
    public var normalize = Normalizer.Method.standard
    public var cleanup = false
    public var skipValidation = false
    public var memoryBudget = 0
    /// `batch.memory_limit`: sizes read-ahead, the strategy's budget and blocks (see ``MemoryLimit``).
    public var memoryLimit: MemoryLimit? = nil
    /// `save.provenance`: write each row's source file, line and group key with the outputs.
    public var provenance = false
    /// `save.writer` (`--writer`): the output writer's spec (`npy`, `jsonl`).
    public var writerSpec = "npy"

    init() {}

    /// The split of batches with `schema`. Without a group key every row would share the empty key
    /// (and land in one split), so the default splits by row there, and `split.by: group` is refused.
    public func splitFunction(for schema: FeatureSchema) throws -> SplitFunction {
        let by = splitBy ?? (schema.hasGroups ? .group : .row)
        if by == .group && !schema.hasGroups {
            throw MergeError.badSettings(
                "split.by: group needs a group key, and these batches have none (the extractor has no group: column). Set extractor group: <column> and run `quern extract --restart`, or use split.by: row (the default without a group)."
            )
        }
        return SplitFunction(seed: splitSeed, fractions: fractions, by: by)
    }
}
