import QuernCore
import QuernKit
import QuernPlugins
import Testing

@Suite("Plugin registry")
struct RegistryTests {
    let registry = PluginRegistry.builtIn

    @Test func everyKindHasItsBuiltIns() {
        #expect(registry.names(of: .extractor) == ["command", "hashed", "hex", "rank_genes", "tabular"])
        #expect(registry.names(of: .codec) == ["lz4", "none", "zlib", "zstd"])
        #expect(registry.names(of: .format) == ["csv", "h5ad", "jsonl", "trmph", "tsv"])
        #expect(registry.names(of: .writer) == ["jsonl", "npy"])
    }

    @Test func unknownNameListsTheKnownOnesAndSuggestsTheClosest() {
        let error = #expect(throws: RegistryError.self) { try registry.lookup(.codec, "zstdd") }
        #expect(
            error
                == .unknownPlugin(
                    kind: .codec, name: "zstdd", known: ["lz4", "none", "zlib", "zstd"], suggestion: "zstd"))
        #expect(error?.description.contains("Did you mean 'zstd'?") == true)
        #expect(error?.description.contains("lz4, none, zlib, zstd") == true)
    }

    @Test func unknownOptionNamesOptionPluginAndValidOptions() {
        let error = #expect(throws: RegistryError.self) { try registry.codec("zstd", ["levle": .scalar("3")]) }
        let text = error?.description ?? ""
        #expect(text.contains("'levle'"))
        #expect(text.contains("codec 'zstd'"))
        #expect(text.contains("Did you mean 'level'?"))
    }

    @Test func illTypedOptionIsRefused() {
        let error = #expect(throws: RegistryError.self) { try registry.codec("zlib", ["level": .scalar("fast")]) }
        #expect(error?.description.contains("must be an integer from 1 to 9") == true)
        #expect(throws: RegistryError.self) { try registry.codec("zlib", ["level": .scalar("12")]) }
    }

    @Test func requiredOptionMustBeGiven() {
        #expect(throws: RegistryError.self) { try registry.extractor("hashed", [:]) }
    }

    @Test func specsWithOptions() throws {
        #expect(try registry.codec(spec: "zstd:5").level == 5)
        #expect(try registry.codec(spec: "zstd:level=7").level == 7)
        #expect(try registry.codec(spec: "lz4").spec == "lz4:-3")
        #expect(throws: RegistryError.self) { try PluginSpec.parse(":x") }
    }

    @Test func codecsAreFoundByZipMethodAndExtension() throws {
        #expect(try registry.codec(zipMethod: 93)?.name == "zstd")
        #expect(try registry.codec(zipMethod: 8)?.name == "zlib")
        #expect(try registry.codec(zipMethod: 12345) == nil)
        #expect(try registry.codec(fileExtension: "gz")?.name == "zlib")
        #expect(try registry.codec(fileExtension: "lz4")?.name == "lz4")
    }

    @Test func editDistanceSuggestions() {
        #expect(closest(to: "tabuler", in: ["tabular", "hashed"]) == "tabular")
        #expect(editDistance("kitten", "sitting") == 3)
    }

    /// A short list of candidates is no reason to suggest one that looks nothing like the word
    /// (`a` -> `masks`, `nope` -> `w` were suggested when the list had eight names or fewer).
    @Test func noSuggestionThatLooksNothingLikeTheWord() {
        let options = ["numeric", "fill_missing", "non_finite", "labels", "masks", "group", "categorical"]
        #expect(closest(to: "a", in: options) == nil)
        #expect(closest(to: "nope", in: ["x", "w", "y"]) == nil)
        #expect(closest(to: "lables", in: options) == "labels")
    }

    /// Every missing required option is named at once, with where options of that kind are
    /// written (an extractor's under `extractor:`; `--extractor` takes a name only).
    @Test func everyMissingOptionIsNamedWithWhereToWriteIt() {
        let error = #expect(throws: RegistryError.self) { try registry.extractor("hashed", [:]) }
        let text = error?.description ?? ""
        #expect(text.contains("needs the option 'hash_columns' (text columns to hash)"), "\(text)")
        #expect(text.contains("under extractor: in the config"), "\(text)")
        let many = RegistryError.missingOption(
            plugin: "p", kind: .merge, options: [.init(name: "a", help: "first"), .init(name: "b", help: "second")])
        #expect(many.description.contains("needs the options 'a' (first), 'b' (second)"), "\(many)")
        #expect(many.description.contains("--merge-strategy p:key=value"), "\(many)")
    }
}
