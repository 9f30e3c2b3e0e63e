import QuernCore
import QuernKit
import QuernPlugins
import Testing

/// `save.provenance`: a checked boolean key, off by default, which a hook may set before the merge
/// starts and not after (the rows' origins are kept or not from the first row on).
struct SaveProvenanceKeyTests {
    func config(_ text: String) throws -> ConfigValue { try YAMLLoader.parse(text, path: "q.yaml") }

    @Test func offByDefaultOnWhenSetAndCheckedLikeEveryKey() throws {
        #expect(try Resolver.mergeSettings(config("merge: {strategy: concat}\n")).provenance == false)
        #expect(try Resolver.mergeSettings(config("save:\n  provenance: true\n")).provenance == true)
        let wrong = ConfigSchema.problems(try config("save:\n  provenance: maybe\n")).map(\.description)
        #expect(wrong.count == 1 && wrong[0].contains("save.provenance"), "\(wrong)")
        let typo = ConfigSchema.problems(try config("save:\n  provenanse: true\n")).map(\.description)
        #expect(typo.count == 1 && typo[0].contains("provenance"), "did you mean: \(typo)")
    }

    @Test func aHookMaySetItBeforeTheMergeButNotAfter() throws {
        let resolver = Resolver(registry: .builtIn)
        let context = RunContext(
            plan: try resolver.plan(config("paths: {input: in}\n"), stages: .merge), configPath: nil, resolver: resolver
        )
        #expect(throws: HookError.self) {
            try context.applyOverrides("save.provenance=true", hook: "pre-save", stage: .save)
        }
        try context.applyOverrides("save.provenance=true", hook: "pre-merge", stage: .merge)
        #expect(context.plan.merge.provenance == true)
    }
}
