import QuernConformance
import QuernCore
import QuernPlugins
import Testing

/// The conformance suites over the table of built-ins: a new built-in is checked by being in
/// `builtInPlugins`. Extractors and formats need an example or a sample (``BuiltInExamples``); a
/// plugin without one fails its case, saying what to add.
@Suite("Built-in plugins keep their contracts")
struct BuiltInConformanceTests {
    @Test("plugin metadata", arguments: PluginConformance.cases(in: builtInPlugins))
    func metadata(_ c: PluginConformance.Case) { PluginConformance.check(c) }

    @Test("the table of built-ins is consistent")
    func table() { PluginConformance.checkTable(builtInPlugins) }

    @Test(
        "codec",
        arguments: CodecConformance.cases(
            in: builtInPlugins, extra: BuiltInExamples.codecSpecs, streamTools: BuiltInExamples.streamTools))
    func codec(_ c: CodecConformance.Case) throws { try CodecConformance.check(c) }

    @Test("input format", arguments: InputFormatConformance.cases(in: builtInPlugins, samples: BuiltInExamples.formats))
    func format(_ c: InputFormatConformance.Case) throws { try InputFormatConformance.check(c) }

    @Test("extractor", arguments: ExtractorConformance.cases(in: builtInPlugins, examples: BuiltInExamples.extractors))
    func extractor(_ c: ExtractorConformance.Case) throws { try ExtractorConformance.check(c) }

    @Test(
        "merge strategy",
        arguments: MergeStrategyConformance.cases(in: builtInPlugins, specs: BuiltInExamples.mergeSpecs))
    func mergeStrategy(_ c: MergeStrategyConformance.Case) async throws { try await MergeStrategyConformance.check(c) }
}
