import QuernCore
import QuernKit
import QuernPlugins
import QuernTestSupport
import Testing

/// The tabular extractor reads a binary format's typed values (numbers, and a block of gene
/// columns, dense or sparse) into exactly the row it makes from the same values as CSV text: the
/// typed path (`BoundColumns+Typed.swift`) against the text one, on random cells.
@Suite("Typed values and numeric blocks")
struct TypedValuesTests {
    let registry = PluginRegistry.builtIn
    static let genes = (0..<9).map { "G\($0)" }
    static let columns = ["id", "age", "donor"] + genes

    func extractor(_ extra: String = "") throws -> any Extractor {
        let yaml = """
            numeric: [age, "G[2-7]"]
            genes: [G8, G0]
            labels: {donor: {column: donor, classes: 3}}
            group: id
            \(extra)
            """
        let tree = try YAMLLoader.parse(yaml, path: "test.yaml")
        return try registry.extractor("tabular", Dictionary(uniqueKeysWithValues: tree.mapValue!.map { ($0.0, $0.1) }))
    }

    /// Random cells: an id, an integer age, a donor 0..2, nine genes with zeros.
    func cells(_ n: Int) -> [(id: String, age: Double, donor: Double, genes: [Float])] {
        var rng = SplitMix64(seed: 11)
        return (0..<n).map { i in
            let genes = (0..<9).map { _ in rng.next() % 3 == 0 ? Float(rng.next() % 1000) / 8 : 0 }
            return ("c\(i % 4)", Double(20 + rng.next() % 60), Double(rng.next() % 3), genes)
        }
    }

    /// The cells as CSV text, through the csv reader.
    func textBatch(_ extractor: any Extractor, _ cells: [(id: String, age: Double, donor: Double, genes: [Float])])
        throws -> RowBatch
    {
        var csv = Self.columns.joined(separator: ",") + "\n"
        for c in cells {
            csv += "\(c.id),\(Int(c.age)),\(Int(c.donor)),\(c.genes.map { "\($0)" }.joined(separator: ","))\n"
        }
        let reader = try registry.format("csv").open(MemorySource(csv), settings: ReaderSettings())
        let block = 3..<Self.columns.count
        let schema = try extractor.schema(columns: reader.columns, blockColumns: block)
        var bound = try extractor.bind(
            columns: reader.columns, blockColumns: block, schema: schema, missing: MissingValues())
        var batch = RowBatch(schema: schema)
        batch.beginSource("t")
        let record = Record()
        while try reader.next(into: record) { _ = try bound.extract(record, into: &batch) }
        return batch
    }

    /// The cells as a binary format hands them over: the id as text, age and donor as numbers
    /// (no text), the genes as a block, dense or sparse.
    func typedBatch(
        _ extractor: any Extractor, _ cells: [(id: String, age: Double, donor: Double, genes: [Float])], sparse: Bool
    ) throws -> RowBatch {
        let block = 3..<Self.columns.count
        let schema = try extractor.schema(columns: Self.columns, blockColumns: block)
        var bound = try extractor.bind(
            columns: Self.columns, blockColumns: block, schema: schema, missing: MissingValues())
        var batch = RowBatch(schema: schema)
        batch.beginSource("t")
        let record = Record()
        for (line, c) in cells.enumerated() {
            let text = Array(c.id.utf8)
            let positions = c.genes.indices.filter { c.genes[$0] != 0 }.map { Int32($0) }
            let values = sparse ? positions.map { c.genes[Int($0)] } : c.genes
            try text.withUnsafeBufferPointer { t in
                try positions.withUnsafeBufferPointer { p in
                    try values.withUnsafeBufferPointer { v in
                        record.reset(base: t.baseAddress, line: line + 1)
                        record.append(start: 0, end: text.count)
                        record.append(start: text.count, end: text.count)
                        record.append(start: text.count, end: text.count)
                        record.setNumber(c.age, at: 1)
                        record.setNumber(c.donor, at: 2)
                        record.block = NumericBlock(firstColumn: 3, width: 9, indices: sparse ? p : nil, values: v)
                        _ = try bound.extract(record, into: &batch)
                    }
                }
            }
        }
        return batch
    }

    @Test(arguments: [true, false])
    func typedValuesGiveTheRowsTheirTextGives(_ sparse: Bool) throws {
        let extractor = try extractor()
        let cells = cells(200)
        let text = try textBatch(extractor, cells)
        let typed = try typedBatch(extractor, cells, sparse: sparse)
        #expect(
            try extractor.schema(columns: Self.columns, blockColumns: 3..<12).featureNames == [
                "age", "G2", "G3", "G4", "G5", "G6", "G7", "G8", "G0",
            ])
        #expect(typed.count == 200)
        #expect(typed.features == text.features)
        #expect(typed.labels == text.labels)
        #expect(typed.groupIndex == text.groupIndex)
    }

    /// An infinite gene value fails like an unfit text cell; NaN reads as missing (fill_missing).
    @Test func nonFiniteBlockValuesFollowTheCellRules() throws {
        let extractor = try extractor("fill_missing: -1")
        var cells = cells(2)
        cells[0].genes[8] = .nan
        cells[1].genes[8] = .infinity
        #expect(throws: RowError.self) { try typedBatch(extractor, cells, sparse: true) }
        let first = try typedBatch(extractor, [cells[0]], sparse: false)
        #expect(first.features[7] == -1, "G8 (NaN) is missing: fill_missing")
    }

    /// `genes:` picks among the block's columns only; a text format has none.
    @Test func genesNeedABlock() throws {
        let extractor = try extractor()
        #expect(throws: ExtractorError.self) { try extractor.schema(columns: Self.columns) }
        #expect(throws: ExtractorError.self) { try extractor.schema(columns: Self.columns, blockColumns: 3..<8) }
    }
}
