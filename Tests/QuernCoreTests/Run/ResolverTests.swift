import Foundation
import QuernCore
import QuernKit
import QuernPlugins
import QuernTestSupport
import Testing

/// The one spine: settings declared once (`Setting.all`), read from the tree and turned into
/// plugins only by the `Resolver`, into a `RunPlan` the stages take.
@Suite struct ResolverTests {
    static let resolver = Resolver(registry: .builtIn, environment: [:])

    static func tree(_ pairs: [(String, String)]) -> ConfigValue {
        pairs.reduce(ConfigValue(.map([]))) { $0.setting($1.0, to: .scalar($1.1)) }
    }

    @Test func anEmptyConfigResolvesToTheDeclaredDefaults() throws {
        let plan = try Self.resolver.plan(ConfigValue(.map([])), stages: .merge)
        func declared(_ path: String) -> String? { Setting.named(path)?.defaultValue?.stringValue }
        #expect(plan.extract.inputDir == declared("paths.input"))
        #expect(plan.extract.codecSpec == declared("batch.codec"))
        #expect(plan.extract.filesPerBatch == Int(declared("batch.files_per_batch") ?? ""))
        #expect(plan.extract.missingValues == MissingValues.defaultTokens)
        #expect(plan.merge.outputDir == declared("paths.output"))
        #expect(plan.merge.strategySpec == "concat" && plan.strategy?.name == "concat")
        #expect(plan.merge.fractions == [0.8, 0.1, 0.1])
        #expect(plan.merge.memoryBudget == 512 << 20)
        #expect(plan.hooks.dir == "hooks" && plan.hooks.enabled && !plan.hooks.dirGiven && plan.hooks.timeout == 600)
        #expect(plan.logDir == "data/logs")
        let slurm = try Resolver.slurmSettings(Self.tree([("slurm.shards", "3")]))
        #expect(slurm.shards == 3 && slurm.cpusPerTask == 1 && slurm.mergeCPUs == 2 && slurm.sbatchArgs.isEmpty)
    }

    @Test func everyProblemIsListedAtOnceWithItsPlace() throws {
        let config = Self.tree([
            ("batch.codec", "zstdd"), ("merge.strategy", "shufle"), ("split.fractions", "0.5,0.5,0.5"),
            ("extract.workers", "many"),
        ])
        let r = Self.resolver.resolve(config, stages: .all, buildExtractor: false)
        let text = r.problems.map(\.description).joined(separator: "\n")
        #expect(text.contains("unknown codec 'zstdd'"), "\(text)")
        #expect(text.contains("shufle"), "\(text)")
        #expect(text.contains("split.fractions"), "\(text)")
        #expect(text.contains("extract.workers"), "\(text)")
        #expect(throws: ResolveFailed.self) { try Self.resolver.plan(config, stages: .all) }
    }

    @Test func aHookOverrideResolvesIntoANewPlanAndABadOneLeavesItAlone() throws {
        let plan = try Self.resolver.plan(ConfigValue(.map([])), stages: .merge)
        let context = RunContext(plan: plan, configPath: nil, resolver: Self.resolver)
        try context.applyOverrides(
            "merge.strategy=shuffle\nnormalize.method=minmax\n", hook: "pre-merge", stage: .merge)
        #expect(context.plan.strategy?.name == "shuffle")
        #expect(context.plan.merge.normalize == .minmax)
        #expect(context.overrides.map(\.key) == ["merge.strategy", "normalize.method"])
        #expect(throws: HookError.self) {
            try context.applyOverrides("merge.strategy=nosuch", hook: "pre-merge", stage: .merge)
        }
        #expect(context.plan.strategy?.name == "shuffle", "a refused override changes nothing")
        // Keys the merge consumed are refused after it starts, as before.
        #expect(throws: HookError.self) { try context.applyOverrides("split.seed=4", hook: "pre-save", stage: .save) }
    }

    @Test func theStageRunnerHandsEachStageThePlanAsTheHooksLeftIt() async throws {
        let plan = try Self.resolver.plan(ConfigValue(.map([])), stages: .merge)
        let context = RunContext(plan: plan, configPath: nil, resolver: Self.resolver)
        let runner = StageRunner(observers: [], context: context)
        try context.applyOverrides("merge.seed=9", hook: "pre-merge", stage: .merge)
        let seed = try await runner.run(.merge, plan: plan) { $0.merge.mergeSeed }
        #expect(seed == 9)
        let alone = try await StageRunner().run(.merge, plan: plan) { $0.merge.mergeSeed }
        #expect(alone == 0, "outside a run, the stage's own plan")
    }

    @Test func balanceChecksItsHeadAgainstTheExtractorsLabels() throws {
        let config = try YAMLLoader.parse(
            """
            extractor:
              numeric: [x]
              labels: {action: {column: a, classes: 2}}
            merge:
              strategy: balance
              options: {head: actoin}
            """, path: "q.yaml")
        let r = Self.resolver.resolve(config, stages: .all)
        let text = r.problems.map(\.description).joined(separator: "\n")
        #expect(text.contains("q.yaml:6:") && text.contains("no label head 'actoin' (did you mean action?)"), "\(text)")
        let good = config.setting("merge.options.head", to: .scalar("action"))
        #expect(Self.resolver.resolve(good, stages: .all).problems.isEmpty)
    }

    @Test func everyFlagsHelpNamesItsKeyAndEverySectionKeyIsDeclared() {
        for s in Setting.all where s.flag != nil && s.flagText == nil {
            #expect(s.flagHelp.contains("(\(s.path)"), "\(s.path): \(s.flagHelp)")
            if let d = s.defaultText, s.defaultValue?.canonical != "false" {
                #expect(s.flagHelp.contains("default \(d)"), "\(s.path)")
            }
        }
        let schemaKeys = ConfigSchema.sections.flatMap { section in section.keys.map { "\(section.name).\($0.name)" } }
        #expect(schemaKeys == Setting.all.map(\.path).filter { !$0.hasPrefix("extractor.") })
        #expect(Set(Setting.all.map(\.path)).count == Setting.all.count, "each setting declared once")
    }

    /// The acceptance of issue 14: settings are read from the tree, and plugins built from
    /// settings, in the resolver (`Sources/QuernCore/Run/`) and nowhere else.
    @Test func onlyTheResolverReadsSettingsAndBuildsPlugins() throws {
        let here = #filePath
        let root = try #require(here.range(of: "/Tests/QuernCoreTests/").map { String(here[..<$0.lowerBound]) })
        let patterns = [
            ".value(at:", "registry.extractor(", "registry.mergeStrategy(", "registry.codec(spec:", "Settings.resolve(",
        ]
        var found: [String] = []
        for top in ["Sources", "plugins"] {
            let dir = "\(root)/\(top)"
            guard let walker = FileManager.default.enumerator(atPath: dir) else { continue }
            for case let file as String in walker where file.hasSuffix(".swift") {
                if file.hasPrefix("QuernCore/Run/") || file == "QuernCore/Config/ConfigSchema.swift"
                    || file.hasPrefix("QuernCore/Registry/")
                {
                    continue
                }
                let text = try String(contentsOfFile: "\(dir)/\(file)", encoding: .utf8)
                for p in patterns where text.contains(p) { found.append("\(top)/\(file): \(p)") }
            }
        }
        #expect(found.isEmpty, "\(found.joined(separator: "\n"))")
    }
}
