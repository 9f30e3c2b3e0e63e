import QuernCore
import QuernKit
import QuernPlugins
import QuernTestSupport
import Testing

@Suite("Extractors")
struct ExtractorTests {
    let registry = PluginRegistry.builtIn

    func yamlOptions(_ yaml: String) throws -> [String: ConfigValue] {
        let tree = try YAMLLoader.parse(yaml, path: "test.yaml")
        return Dictionary(uniqueKeysWithValues: tree.mapValue!.map { ($0.0, $0.1) })
    }

    /// Runs an extractor over CSV text; returns the batch and what was skipped.
    func run(_ extractor: any Extractor, _ csv: String) throws -> (
        RowBatch, FeatureSchema, [String: Int], [String: Int]
    ) {
        let reader = try registry.format("csv").open(MemorySource(csv), settings: ReaderSettings())
        let schema = try extractor.schema(columns: reader.columns)
        var bound = try extractor.bind(columns: reader.columns, schema: schema, missing: MissingValues())
        var batch = RowBatch(schema: schema)
        batch.beginSource("t.csv")
        var skipped: [String: Int] = [:]
        let record = Record()
        while try reader.next(into: record) {
            if case .skipped(let why) = try bound.extract(record, into: &batch) { skipped[why, default: 0] += 1 }
        }
        return (batch, schema, skipped, bound.notes)
    }

    let tabularYAML = """
        numeric: ["f*", turn]
        fill_missing: -1
        categorical:
          phase: [early, mid, late]
        labels:
          action: {column: action, classes: 5}
          kind: {column: kind, values: [cat, dog]}
        masks:
          legal: {column: legal, width: 5, encoding: bitstring, label: action}
          ids: {column: ids, width: 4, encoding: ids}
        group: game
        """

    let csv = """
        game,f2,turn,f1,phase,action,kind,legal,ids
        g1,1.5,0,2,early,3,dog,00010,0;2
        g1,,1,-4e-1,late,4,cat,11111,
        g2,7,2,8,noon,1,cat,01000,3
        g2,7,3,8,mid,,cat,01000,3
        g3,7,4,8,mid,9,cat,01000,3
        g3,7,5,8,mid,1,cow,01000,3
        """

    @Test func tabularFeaturesLabelsMasksAndGroups() throws {
        let extractor = try registry.extractor("tabular", yamlOptions(tabularYAML))
        let (batch, schema, skipped, notes) = try run(extractor, csv)
        #expect(schema.featureNames == ["f2", "f1", "turn", "phase=early", "phase=mid", "phase=late"])
        #expect(schema.features.map(\.normalized) == [true, true, true, false, false, false])
        #expect(batch.count == 3)
        #expect(Array(batch.features[0..<6]) == [1.5, 2, 0, 1, 0, 0])
        #expect(Array(batch.features[6..<12]) == [-1, -0.4, 1, 0, 0, 1])
        #expect(Array(batch.features[12..<18]) == [7, 8, 2, 0, 0, 0])
        #expect(batch.labels[0] == [3, 4, 1])
        #expect(batch.labels[1] == [1, 0, 0])
        #expect(batch.masks[0] == [0, 0, 0, 1, 0] + [1, 1, 1, 1, 1] + [0, 1, 0, 0, 0])
        #expect(batch.masks[1] == [1, 0, 1, 0] + [0, 0, 0, 0] + [0, 0, 0, 1])
        #expect(batch.groups == [Array("g1".utf8), Array("g2".utf8)])
        #expect(batch.groupIndex == [0, 0, 1])
        #expect(batch.sourceRow == [2, 3, 4])
        #expect(
            skipped == [
                "label 'action' missing": 1, "label 'action' outside 0..4": 1, "label 'kind' has an unknown value": 1,
            ])
        #expect(notes == ["phase: unknown value, one-hot all zeros": 1])
    }

    @Test func malformedCellsNameTheColumn() throws {
        let extractor = try registry.extractor("tabular", yamlOptions(tabularYAML))
        let bad = csv.replacingOccurrences(of: "g1,1.5,0", with: "g1,seven,0")
        #expect(throws: RowError(column: "f2", "'seven' is not a number")) { try run(extractor, bad) }
        let badMask = csv.replacingOccurrences(of: "00010", with: "0001")
        #expect(throws: RowError(column: "legal", "mask has 4 characters, expected 5")) { try run(extractor, badMask) }
    }

    /// Wide bitstring masks are read 8 characters at a time: every position of every word and of
    /// the tail keeps its bit, and a character other than 0 and 1 anywhere is refused.
    @Test func wideBitstringMasksKeepEveryBitAndRefuseOtherCharacters() throws {
        let width = 21  // two words of 8 and a tail of 5
        let extractor = try registry.extractor(
            "tabular",
            yamlOptions("numeric: [x]\nmasks:\n  m: {column: m, width: \(width), encoding: bitstring}\n"))
        var rng = SplitMix64(seed: 21)
        var rows: [[Int8]] = []
        var text = "x,m\n"
        for _ in 0..<200 {
            let bits = (0..<width).map { _ in Int8(rng.next() % 2) }
            rows.append(bits)
            text += "1," + bits.map(String.init).joined() + "\n"
        }
        let (batch, _, _, _) = try run(extractor, text)
        #expect(batch.masks[0] == rows.flatMap { $0 })
        for position in [0, 7, 8, 15, 16, 20] {
            for bad in ["2", "/", "a", "q", "3", "\u{01}"] {
                var cell = Array(repeating: "1", count: width)
                cell[position] = bad
                #expect(throws: RowError(column: "m", "mask has a character other than 0 and 1"), "\(position) \(bad)")
                {
                    try run(extractor, "x,m\n1,\(cell.joined())\n")
                }
            }
        }
    }

    @Test func missingColumnIsReportedWithASuggestion() throws {
        let extractor = try registry.extractor("tabular", yamlOptions("numeric: [trun]\n"))
        let error = #expect(throws: ExtractorError.self) { try run(extractor, "turn,x\n1,2\n") }
        #expect(error?.description.contains("did you mean 'turn'?") == true)
    }

    @Test func badOptionsAreRefusedBeforeWork() throws {
        #expect(throws: (any Error).self) { try registry.extractor("tabular", yamlOptions("numerc: [a]\n")) }
        #expect(throws: (any Error).self) {
            try registry.extractor("tabular", yamlOptions("numeric: [a]\nmasks:\n  m: {column: m}\n"))
        }
        #expect(throws: (any Error).self) {
            try registry.extractor(
                "tabular", yamlOptions("numeric: [a]\nmasks:\n  m: {column: m, width: 3, label: nope}\n"))
        }
        #expect(throws: (any Error).self) { try registry.extractor("tabular", [:]) }
    }

    @Test func hashedBucketsAreSignedAndDeterministic() throws {
        let extractor = try registry.extractor(
            "hashed", yamlOptions("numeric: [x]\nhash_columns: [city, text]\nbuckets: 16\ntokens: true\n"))
        let (batch, schema, _, _) = try run(extractor, "x,city,text\n1,paris,a b c\n2,,a a\n")
        #expect(schema.features.count == 17)
        #expect(schema.features.filter(\.normalized).map(\.name) == ["x"])
        let row0 = Array(batch.features[0..<17])
        let row1 = Array(batch.features[17..<34])
        #expect(row0[0] == 1 && row1[0] == 2)
        #expect(row0[1...].map { abs($0) }.reduce(0, +) <= 4 && row0[1...].contains { $0 != 0 })
        #expect(row1[1...].map { abs($0) }.reduce(0, +) == 2)  // "a" twice, same bucket and sign
        let (again, _, _, _) = try run(extractor, "x,city,text\n1,paris,a b c\n2,,a a\n")
        #expect(again.features == batch.features)
    }

    @Test func fingerprintsChangeWithOptionsAndColumns() throws {
        let a = try registry.extractor("tabular", yamlOptions("numeric: [a, b]\n"))
        let b = try registry.extractor("tabular", yamlOptions("numeric: [a]\n"))
        let sa = try a.schema(columns: ["a", "b"])
        let sb = try b.schema(columns: ["a", "b"])
        #expect(
            SchemaFingerprint(extractor: a.name, options: a.optionsText, schema: sa)
                != SchemaFingerprint(extractor: b.name, options: b.optionsText, schema: sb)
        )
        #expect(
            SchemaFingerprint(extractor: a.name, options: a.optionsText, schema: sa)
                == SchemaFingerprint(extractor: a.name, options: a.optionsText, schema: sa)
        )
    }

    /// A numeric cell float32 cannot hold fails where it is read, naming the column and the text,
    /// not later in the merge without a file or line.
    @Test(arguments: ["1e39", "-1e39", "inf", "-Infinity", "INF", "1e400"])
    func aCellFloat32CannotHoldFailsTheRow(_ cell: String) throws {
        for name in ["tabular", "hashed"] {
            let extra = name == "hashed" ? "hash_columns: [t]\n" : ""
            let extractor = try registry.extractor(name, yamlOptions("numeric: [v, w]\n" + extra))
            let error = #expect(throws: RowError.self, "\(name) \(cell)") {
                try run(extractor, "v,w,t\n1,2,a\n3,\(cell),b\n")
            }
            #expect(error?.column == "w", "\(name) \(cell)")
            #expect(
                error?.description.contains("'\(cell)' does not fit in float32") == true, "\(String(describing: error))"
            )
            #expect(error?.description.contains("non_finite: missing") == true, "the message says what to do")
        }
        // The largest float32 itself, written out, still fits.
        let (batch, _, _, _) = try run(
            registry.extractor("tabular", yamlOptions("numeric: [v]\n")), "v\n3.4028235e38\n-3.4028235e38\n")
        #expect(batch.features == [Float.greatestFiniteMagnitude, -Float.greatestFiniteMagnitude])
    }

    /// `non_finite: missing` reads such a cell as missing (`fill_missing`), counted in the notes.
    @Test func nonFiniteMissingReadsTheCellAsMissing() throws {
        for name in ["tabular", "hashed"] {
            let extra = name == "hashed" ? "hash_columns: [t]\nbuckets: 1\n" : ""
            let extractor = try registry.extractor(
                name, yamlOptions("numeric: [v, w]\nfill_missing: -7\nnon_finite: missing\n" + extra))
            let (batch, _, _, notes) = try run(extractor, "v,w,t\n1,1e39,\n-inf,2.5,\n,4,\n")
            let width = name == "hashed" ? 3 : 2
            #expect(
                stride(from: 0, to: batch.features.count, by: width).map { Array(batch.features[$0..<$0 + 2]) } == [
                    [1, -7], [-7, 2.5], [-7, 4],
                ])
            #expect(notes == ["numeric cells float32 cannot hold, read as missing (non_finite: missing)": 2], "\(name)")
        }
        #expect(throws: (any Error).self) {
            try registry.extractor("tabular", yamlOptions("numeric: [v]\nnon_finite: zero\n"))
        }
        let a = try registry.extractor("tabular", yamlOptions("numeric: [v]\n"))
        let b = try registry.extractor("tabular", yamlOptions("numeric: [v]\nnon_finite: missing\n"))
        let schema = try a.schema(columns: ["v"])
        #expect(
            SchemaFingerprint(extractor: a.name, options: a.optionsText, schema: schema)
                != SchemaFingerprint(extractor: b.name, options: b.optionsText, schema: schema))
    }
}
