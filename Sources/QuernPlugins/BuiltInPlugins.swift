public import QuernCore
import QuernCodecLZ4
import QuernCodecNone
import QuernCodecZlib
import QuernCodecZstd
import QuernExtractorHashed
import QuernExtractorTabular
import QuernFormatCSV
import QuernFormatJSONLines
import QuernFormatTSV
public import QuernKit
import QuernMergeBalance
import QuernMergeConcat
import QuernMergeDedupe
import QuernMergeShuffle

/// The built-in plugins: the one table the CLI and the tests read. A new plugin is a line here
/// (plus its folder under plugins/ and its target in Package.swift; docs/plugins.md).
public let builtInPlugins: [any Plugin.Type] = [
    TabularExtractor.self,
    HashedExtractor.self,
    NoneCodec.self,
    ZlibCodec.self,
    LZ4Codec.self,
    ZstdCodec.self,
    CSVFormat.self,
    TSVFormat.self,
    JSONLinesFormat.self,
    ConcatStrategy.self,
    ShuffleStrategy.self,
    DedupeStrategy.self,
    BalanceStrategy.self,
]

extension PluginRegistry {
    /// The registry of every built-in plugin.
    public static let builtIn = PluginRegistry(builtInPlugins)
}
