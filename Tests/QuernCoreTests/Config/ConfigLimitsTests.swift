import Foundation
import QuernCore
import QuernKit
import Testing

/// A config cannot make quern use unbounded memory or arithmetic: aliases expand to a bounded
/// number of nodes, sizes have documented maxima, and messages state the real allowed range.
@Suite("Config limits")
struct ConfigLimitsTests {
    /// `levels` nested anchors, each alias list `width` long: width^levels scalars once expanded.
    static func laughs(levels: Int, width: Int) -> String {
        var text = "a0: &a0 [lol]\n"
        for k in 1...levels {
            text += "a\(k): &a\(k) [" + Array(repeating: "*a\(k - 1)", count: width).joined(separator: ", ") + "]\n"
        }
        return text + "input: {missing_values: *a\(levels)}\n"
    }

    @Test func aliasesExpandingPastTheBoundAreRefusedWithTheReason() {
        // 100,000 scalars once expanded: past the bound of 10,000 nodes.
        let error = #expect(throws: ConfigError.self) {
            try YAMLLoader.parse(Self.laughs(levels: 5, width: 10), path: "lol.yaml")
        }
        #expect(error?.description.hasPrefix("lol.yaml:") == true, "\(String(describing: error))")
        #expect(
            error?.description.contains("aliases") == true && error?.description.contains("10000") == true,
            "\(String(describing: error))")
    }

    @Test func aBillionLaughsConfigIsRefused() {
        // 10^9 scalars once expanded, from a few hundred bytes.
        let text = Self.laughs(levels: 9, width: 10)
        #expect(text.utf8.count < 600)
        #expect(throws: ConfigError.self) { try YAMLLoader.parse(text, path: "lol.yaml") }
    }

    /// Yams expands an alias used as a mapping key while hashing it, before the node bound can
    /// count: with nested anchors that spins without end. Such a key is refused before Yams runs.
    @Test(arguments: [
        (Self.laughs(levels: 9, width: 10) + "x: {? *a9 : 1}\n", 12),
        (Self.laughs(levels: 9, width: 10) + "y:\n  *a9 : 1\n", 13),
        (Self.laughs(levels: 9, width: 10) + "z:\n  ? *a9\n  : 1\n", 13),
    ])
    func anAliasAsAMappingKeyIsRefusedWithItsLine(_ text: String, _ line: Int) {
        let error = #expect(throws: ConfigError.self) { try YAMLLoader.parse(text, path: "keys.yaml") }
        #expect(error?.description.hasPrefix("keys.yaml:\(line):") == true, "\(String(describing: error))")
        #expect(error?.description.contains("mapping key") == true, "\(String(describing: error))")
    }

    @Test func starsInValuesQuotesAndCommentsAreNotAliasKeys() throws {
        let text =
            "input:\n  pattern: \"*.csv: x\"  # *a: comment\nextractor:\n  numeric: [\"f*\", turn]\nnote: 'a *b: c'\n"
        let config = try YAMLLoader.parse(text, path: "ok.yaml")
        #expect(config.value(at: "input.pattern")?.stringValue == "*.csv: x")
    }

    @Test func aFewAliasesStillLoad() throws {
        let config = try YAMLLoader.parse("tokens: &t [NA, \"-\"]\ninput: {missing_values: *t}\n", path: "ok.yaml")
        #expect(config.value(at: "input.missing_values")?.listValue?.compactMap(\.stringValue) == ["NA", "-"])
    }

    @Test(arguments: [
        ("batch:\n  files_per_batch: 9223372036854775807\n", "batch.files_per_batch"),
        ("batch:\n  rows_per_batch: 9223372036854775807\n", "batch.rows_per_batch"),
        ("merge:\n  memory_budget_mb: 9223372036854775807\n", "merge.memory_budget_mb"),
        ("input:\n  max_files: 9223372036854775807\n", "input.max_files"),
    ])
    func everySizeInTheSchemaHasAMaximum(_ text: String, _ key: String) throws {
        let problems = ConfigSchema.problems(try YAMLLoader.parse(text, path: "big.yaml"))
        #expect(problems.count == 1 && problems.first?.description.contains(key) == true, "\(problems)")
        #expect(
            problems.first?.description.contains(" to ") == true, "the message states the allowed range: \(problems)")
    }

    @Test func anOutOfRangeValueStatesTheAllowedRange() throws {
        let config = ConfigValue(.map([("extract", ConfigValue(.map([("workers", .scalar("100000"))])))]))
        let text = ConfigSchema.problems(config).first?.description ?? ""
        #expect(text.contains("100000") && text.contains("0 to 4096"), "\(text)")
        #expect(!text.contains("at least 0"), "\(text)")
    }

    @Test func aConfigThatIsNotUTF8SaysSoWithItsName() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent(
            "quern-utf-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        ).path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let utf16 = "\(dir)/utf16.yaml"
        try #require("batch:\n  codec: zstd\n".data(using: .utf16)).write(to: URL(fileURLWithPath: utf16))
        let binary = "\(dir)/binary.yaml"
        try Data([0x7F, 0x45, 0x4C, 0x46, 0x02, 0x01, 0xFF, 0xFE, 0x00, 0x80]).write(to: URL(fileURLWithPath: binary))
        for path in [utf16, binary] {
            let error = #expect(throws: ConfigError.self) { try YAMLLoader.load(path: path) }
            let text = error?.description ?? ""
            #expect(text.hasPrefix(path) && text.contains("not UTF-8"), "\(text)")
            #expect(!text.contains("correct format"), "\(text)")
        }
    }

    @Test func controlCharactersInAConfigAreEscapedInMessages() throws {
        // A NUL written raw in the file, and one written as an escape in a quoted key.
        for text in ["batch:\n  co\u{0}dec: zstd\n", "batch:\n  \"co\\0dec\u{1b}[31m\": zstd\n"] {
            let problems: [String]
            do {
                problems = ConfigSchema.problems(try YAMLLoader.parse(text, path: "nul.yaml")).map(\.description)
            } catch {
                problems = [error.description]
            }
            #expect(!problems.isEmpty)
            for p in problems {
                #expect(
                    !p.unicodeScalars.contains { ($0.value < 0x20 && $0 != "\n") || $0.value == 0x7F },
                    "\(p.debugDescription)")
                #expect(p.contains("\\0") || p.contains("\\u{0}") || p.contains("\\x00"), "\(p.debugDescription)")
            }
        }
    }
}
