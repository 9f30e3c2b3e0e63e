import QuernCore
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
