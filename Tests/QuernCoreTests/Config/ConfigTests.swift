import QuernCore
import QuernKit
import Testing

@Suite("Configuration")
struct ConfigTests {
    @Test func unknownKeyNamesFileLineAndSuggestion() throws {
        let config = try YAMLLoader.parse("batch:\n  codec: zstd\n  fils_per_batch: 10\n", path: "c.yaml")
        let error = #expect(throws: ConfigError.self) { try Resolver.extractSettings(config) }
        let text = error?.description ?? ""
        #expect(text.hasPrefix("c.yaml:3:"))
        #expect(text.contains("Did you mean 'files_per_batch'?"))
    }

    @Test func unknownSectionIsRefused() throws {
        let config = try YAMLLoader.parse("bach:\n  codec: zstd\n", path: "c.yaml")
        let error = #expect(throws: ConfigError.self) { try Resolver.extractSettings(config) }
        #expect(error?.description.contains("Did you mean 'batch'?") == true)
    }

    @Test func wrongTypeIsRefused() throws {
        let config = try YAMLLoader.parse("batch:\n  files_per_batch: many\n", path: "c.yaml")
        let error = #expect(throws: ConfigError.self) { try Resolver.extractSettings(config) }
        #expect(error?.description.contains("must be an integer") == true)
    }

    @Test func yamlSyntaxErrorHasAPosition() {
        let error = #expect(throws: ConfigError.self) { try YAMLLoader.parse("a: [1, 2\nb: 3\n", path: "bad.yaml") }
        #expect(error?.description.hasPrefix("bad.yaml:") == true)
    }

    @Test func flagsOverrideTheFile() throws {
        var config = try YAMLLoader.parse(
            "batch:\n  codec: zlib\n  files_per_batch: 10\nextractor:\n  name: tabular\n  numeric: [a]\n",
            path: "c.yaml")
        config = config.setting("batch.codec", to: .scalar("lz4")).setting("extract.workers", to: .scalar("3"))
        let s = try Resolver.extractSettings(config)
        #expect(s.codecSpec == "lz4")
        #expect(s.filesPerBatch == 10)
        #expect(s.workers == 3)
        #expect(s.extractorName == "tabular")
        #expect(s.extractorOptions["numeric"]?.listValue?.count == 1)
    }

    @Test func defaultsFollowTheUsualLayout() throws {
        let s = try Resolver.extractSettings(ConfigValue(.map([])))
        #expect(s.inputDir == "data/input")
        #expect(s.intermediateDir == "data/intermediate")
        #expect(s.filesPerBatch == 500)
        #expect(s.codecSpec == "lz4")
    }

    @Test(arguments: ["0/1", "3/4"]) func shardsParse(_ text: String) {
        #expect(Shard(text)?.description == text)
    }

    @Test(arguments: ["4/4", "-1/2", "1", "a/b", "0/0"]) func badShardsAreRefused(_ text: String) {
        #expect(Shard(text) == nil)
    }
}
