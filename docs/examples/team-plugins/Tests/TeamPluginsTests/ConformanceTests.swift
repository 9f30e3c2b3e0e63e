import QuernConformance
import QuernCore
import QuernKit
import QuernPlugins
import TeamPlugins
import Testing

/// Quern's conformance suites over the team's plugins: the contracts every extractor and merge
/// strategy keeps, checked the same way as Quern's built-ins. A new plugin of the team is checked
/// by being in `teamPlugins` (an extractor also needs an example below).
@Suite("Team plugins keep Quern's contracts")
struct ConformanceTests {
    static let extractorExamples = [
        ExtractorConformance.Example(
            extractor: "pairs",
            options: "pairs: [price/cost, a/b]\nlabel: y\nclasses: 3\ngroup: g\n",
            csv: """
                g,price,cost,a,b,y
                u1,10,8,1,2,0
                u1,3.5,0,0,4,2
                u2,,1,1,1,1
                u2,7,7,-1e3,2.5e-1,5
                u3,1,2,3,4,1
                """,
            malformed: ["u1,ten,8,1,2,0", "u1,10,8,1,2,two"])
    ]

    static let mergeSpecs = ["stratified-head:per_class=2", "stratified-head:per_class=1,head=action"]

    @Test("plugin metadata", arguments: PluginConformance.cases(in: teamPlugins))
    func metadata(_ c: PluginConformance.Case) { PluginConformance.check(c) }

    @Test("the team's plugins fit beside the built-ins (no name taken twice)")
    func table() { PluginConformance.checkTable(builtInPlugins + teamPlugins) }

    @Test("extractor", arguments: ExtractorConformance.cases(in: teamPlugins, examples: extractorExamples))
    func extractor(_ c: ExtractorConformance.Case) throws { try ExtractorConformance.check(c) }

    @Test("merge strategy", arguments: MergeStrategyConformance.cases(in: teamPlugins, specs: mergeSpecs))
    func mergeStrategy(_ c: MergeStrategyConformance.Case) async throws { try await MergeStrategyConformance.check(c) }
}
