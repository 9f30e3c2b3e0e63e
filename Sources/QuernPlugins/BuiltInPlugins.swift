import QuernCodecLZ4
import QuernCodecNone
import QuernCodecZlib
import QuernCodecZstd
public import QuernCore
import QuernExtractorCommand
import QuernExtractorHashed
import QuernExtractorHex
import QuernExtractorRankGenes
import QuernExtractorTabular
import QuernFormatCSV
import QuernFormatH5AD
import QuernFormatJSONLines
import QuernFormatTSV
import QuernFormatTrmph
public import QuernKit
import QuernMergeBalance
import QuernMergeConcat
import QuernMergeDedupe
import QuernMergeShuffle
import QuernWriterJSONLines
import QuernWriterNpy

/// The built-in plugins: the table `quern`'s `main.swift` gives to `QuernCLI.main(plugins:)`, and
/// that the tests run the conformance suites over (`Tests/PluginTests/BuiltInConformanceTests`).
/// A new plugin is a line here (plus its folder under plugins/ and its target in Package.swift;
/// docs/plugins.md). A team's own executable adds its plugins to it:
/// `QuernCLI.main(plugins: builtInPlugins + teamPlugins)`.
public let builtInPlugins: [any Plugin.Type] = [
    TabularExtractor.self,
    HashedExtractor.self,
    HexExtractor.self,
    CommandExtractor.self,
    RankGenesExtractor.self,
    NoneCodec.self,
    ZlibCodec.self,
    LZ4Codec.self,
    ZstdCodec.self,
    CSVFormat.self,
    TSVFormat.self,
    JSONLinesFormat.self,
    TrmphFormat.self,
    H5ADFormat.self,
    ConcatStrategy.self,
    ShuffleStrategy.self,
    DedupeStrategy.self,
    BalanceStrategy.self,
    NpyWriter.self,
    JSONLinesWriter.self,
]

extension PluginRegistry {
    /// The registry of every built-in plugin, for tests and tools. The CLI never uses it: it
    /// builds its registry from the table it is given.
    public static let builtIn = PluginRegistry(builtInPlugins)
}
