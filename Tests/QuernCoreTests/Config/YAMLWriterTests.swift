import QuernCore
import QuernKit
import Testing

@Suite("YAML writer")
struct YAMLWriterTests {
    /// The effective config of a batch dataset is written and read back: it must be the same tree.
    @Test func roundTripsThroughTheLoader() throws {
        let text = """
            paths: {input: "in dir/with \\"quotes\\"", output: out}
            input:
              missing_values: ["", NA, "null"]
            extractor:
              name: tabular
              numeric: ["f*", turn]
              categorical:
                phase: [early, mid, late]
                "odd key: yes": ["a\\tb", "line\\nbreak", "back\\\\slash"]
              labels:
                action: {column: action, classes: 84}
              masks: {}
            merge:
              options: ~
            split:
              fractions: [[0.8], []]
            hooks:
              commands:
                pre-merge: ["echo 'hi' >> log", "a: b"]
            listOfMaps:
              - {a: 1, b: [x, y]}
              - c: 2
            """
        let tree = try YAMLLoader.parse(text, path: "a.yaml")
        let written = YAMLWriter.write(tree)
        let back = try YAMLLoader.parse(written, path: "b.yaml")
        #expect(back == tree, "\(written)")
    }
}

/// Strings YAML would fold, retype or cut if written unquoted or half-escaped: line breaks of
/// every kind (U+0085 and U+2028 read back as a space from a raw double-quoted scalar), control
/// characters, quotes, indicators, and words a YAML reader retypes (yes, null, 1e3). (A value
/// that starts with U+FEFF is not among them: Yams' reader drops a leading byte-order mark from
/// every scalar, whatever the writer escapes.)
@Suite("YAML writer escaping")
struct YAMLWriterEscapingTests {
    static let awkward: [String] = [
        "\u{85}", "a\u{85}b", "\u{2028}", "x\u{2029}y", "\t", "a\tb", "\"", "'", "say \"hi\" it's", " leading",
        "trailing ", "  ",
        ":", "a: b", "#", "a #b", "- ", "-", "- item", "", "yes", "no", "null", "~", "1e3", "true", "0x10", "0o7",
        ".inf", "\n",
        "a\nb", "line\r\nbreak", "$(touch pwned); rm -rf x", "`id`", "\u{0}", "\u{1b}[31mred", "\u{7f}", "a\u{feff}b",
        "é😀",
        "\\", "back\\slash", "*alias", "&anchor", "!tag", "%directive", "@", "{a: 1}", "[1, 2]", "? key", "|", ">",
        "---", "...",
        String(repeating: "long words ", count: 30),
    ]

    /// Every string, as a key, a value and a list item, reads back identical through the loader.
    @Test(arguments: awkward) func everyStringWrittenReadsBackIdentical(_ s: String) throws {
        let tree = ConfigValue(
            .map([
                (s, .scalar(s)),
                ("list", ConfigValue(.list([.scalar(s), .scalar("plain")]))),
                ("nested", ConfigValue(.map([(s, ConfigValue(.list([.scalar(s)])))]))),
            ]))
        let written = YAMLWriter.write(tree)
        let back = try YAMLLoader.parse(written, path: "w.yaml")
        #expect(back == tree, "\(s.debugDescription) written as:\n\(written)")
        // One scalar quoted alone (as `quern init` writes them, inside its own lines) reads back too.
        let line = "k: [\(YAMLWriter.quote(s))]\n"
        #expect(
            try YAMLLoader.parse(line, path: "q.yaml")["k"]?.listValue?.first?.stringValue == s,
            "\(s.debugDescription) quoted as \(line)")
        #expect(!YAMLWriter.quote(s).contains(where: { $0.isNewline }), "a quoted scalar stays on its line")
    }

    /// A comment holding a name stays one comment line whatever the name holds.
    @Test(arguments: awkward) func aCommentNeverEndsItsLine(_ s: String) throws {
        let text = YAMLWriter.comment("dataset \(s) here") + "\nkey: 1\n"
        #expect(text.hasPrefix("# "))
        #expect(try YAMLLoader.parse(text, path: "c.yaml") == ConfigValue(.map([("key", .scalar("1"))])), "\(text)")
    }
}
