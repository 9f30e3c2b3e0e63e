import Foundation
import QuernCore
import QuernKit
import QuernPlugins
import QuernTestSupport
import Testing

/// `rank_genes` on cells handed over three ways (a sparse block, a dense block, text fields), each
/// compared with the obvious computation: every gene's value, a full sort by (value descending,
/// gene id ascending), the first `top_genes`, padded.
@Suite("rank_genes")
struct RankGenesTests {
    let registry = PluginRegistry.builtIn

    func extractor(_ yaml: String) throws -> any Extractor {
        let tree = try YAMLLoader.parse(yaml, path: "test.yaml")
        return try registry.extractor(
            "rank_genes", Dictionary(uniqueKeysWithValues: tree.mapValue!.map { ($0.0, $0.1) }))
    }

    /// The slow reference: float64, the same operations in the same order as documented.
    static func reference(
        _ counts: [Float], k: Int, pad: Int32, normalize: Bool, target: Double, factors: [Double]?
    ) -> (tokens: [Int32], ranked: Int) {
        let total = counts.reduce(0.0) { $0 + Double($1) }
        var entries: [(Double, Int32)] = []
        for (g, c) in counts.enumerated() where c > 0 {
            if let f = factors, f[g] == 0 { continue }
            var v = Double(c)
            if normalize { v = v / total * target }
            if let f = factors { v = v / f[g] }
            entries.append((v, Int32(g)))
        }
        entries.sort { $0.0 > $1.0 || ($0.0 == $1.0 && $0.1 < $1.1) }
        let ids = entries.prefix(k).map(\.1)
        return (ids + [Int32](repeating: pad, count: k - ids.count), entries.count)
    }

    /// Random counts 0...3 with most genes 0: many ties, and cells both shorter and longer than k.
    static func cells(_ n: Int, genes: Int, seed: UInt64) -> [[Float]] {
        var rng = SplitMix64(seed: seed)
        return (0..<n).map { i in
            let density = [0.02, 0.1, 0.5, 1.0][i % 4]
            return (0..<genes).map { _ in
                Double(rng.next() % 10_000) / 10_000 < density ? Float(rng.next() % 4) : 0
            }
        }
    }

    func tokens(_ batch: RowBatch, width: Int) -> [[Int32]] {
        batch.arrays[0].withUnsafeBytes { raw in
            let all = Array(raw.bindMemory(to: Int32.self))
            return stride(from: 0, to: all.count, by: width).map { Array(all[$0..<($0 + width)]) }
        }
    }

    /// Runs the extractor on `cells` given as blocks (sparse or dense) over columns `age, g0...`.
    func runBlocks(_ e: any Extractor, _ cells: [[Float]], sparse: Bool) throws -> RowBatch {
        let genes = cells[0].count
        let header = ["age"] + (0..<genes).map { "g\($0)" }
        let schema = try e.schema(columns: header)
        var bound = try e.bind(columns: header, schema: schema, missing: MissingValues())
        var batch = RowBatch(schema: schema)
        batch.beginSource("cells.h5ad")
        let age = Array("old".utf8)
        for (i, cell) in cells.enumerated() {
            let idx: [Int32] = cell.indices.filter { cell[$0] != 0 }.map(Int32.init)
            let vals: [Float] = sparse ? idx.map { cell[Int($0)] } : cell
            try age.withUnsafeBufferPointer { (a: UnsafeBufferPointer<UInt8>) throws -> Void in
                try idx.withUnsafeBufferPointer { (ip: UnsafeBufferPointer<Int32>) throws -> Void in
                    try vals.withUnsafeBufferPointer { (vp: UnsafeBufferPointer<Float>) throws -> Void in
                        let record = Record()
                        record.reset(base: a.baseAddress, line: i + 1)
                        record.append(start: 0, end: a.count)
                        record.block = NumericBlock(
                            firstColumn: 1, width: genes, indices: sparse ? ip : nil, values: vp)
                        let outcome = try bound.extract(record, into: &batch)
                        #expect(outcome == .kept)
                    }
                }
            }
        }
        return batch
    }

    @Test(arguments: [(5, false, false), (40, false, false), (7, true, false), (7, true, true), (200, true, true)])
    func sparseDenseAndTextCellsRankAsAFullSortDoes(_ k: Int, _ normalize: Bool, _ withFactors: Bool) throws {
        let ws = TempWorkspace()
        let genes = 60
        let data = Self.cells(48, genes: genes, seed: UInt64(k))
        // Factors from a few values, so divided values tie too; every fifth gene has none.
        let factors: [Double] = (0..<genes).map { $0 % 5 == 4 ? 0 : [0.5, 1, 2][$0 % 3] }
        ws.write(
            "factors.tsv",
            "gene\tfactor\n"
                + (0..<genes).filter { factors[$0] > 0 }.map { "g\($0)\t\(factors[$0])" }.joined(separator: "\n"))
        var yaml = "top_genes: \(k)\nnormalize_total: \(normalize)\ntarget_sum: 1000\npad_id: -7\n"
        if withFactors { yaml += "gene_factors: \(ws.path)/factors.tsv\n" }
        let want = data.map {
            Self.reference($0, k: k, pad: -7, normalize: normalize, target: 1000, factors: withFactors ? factors : nil)
        }
        for sparse in [true, false] {
            let batch = try runBlocks(try extractor(yaml), data, sparse: sparse)
            #expect(tokens(batch, width: k) == want.map(\.tokens), "sparse: \(sparse)")
            #expect(batch.features == want.map { Float($0.ranked) }, "n_genes, sparse: \(sparse)")
        }
        // The same cells as CSV text, genes named by a glob.
        let csv =
            "age," + (0..<genes).map { "g\($0)" }.joined(separator: ",") + "\n"
            + data.map { "old," + $0.map { String(Int($0)) }.joined(separator: ",") }.joined(separator: "\n") + "\n"
        let reader = try registry.format("csv").open(MemorySource(csv), settings: ReaderSettings())
        let e = try extractor(yaml + "genes: [\"g*\"]\n")
        let schema = try e.schema(columns: reader.columns)
        #expect(schema.arrays == [OutputArray("tokens", dtype: .int32, width: k)])
        var bound = try e.bind(columns: reader.columns, schema: schema, missing: MissingValues())
        var batch = RowBatch(schema: schema)
        batch.beginSource("cells.csv")
        let record = Record()
        while try reader.next(into: record) { _ = try bound.extract(record, into: &batch) }
        #expect(tokens(batch, width: k) == want.map(\.tokens), "text")
        if withFactors { #expect(bound.notes["genes not in gene_factors, never ranked"] == genes / 5) }
    }

    /// Cells of thousands of expressed genes (the hand-written quicksort's partitions, not only its
    /// insertion sort), cut by `top_genes` and not.
    @Test(arguments: [300, 2000, 5000])
    func longCellsRankAsAFullSortDoes(_ k: Int) throws {
        let data = Self.cells(16, genes: 4000, seed: 99)
        let want = data.map { Self.reference($0, k: k, pad: -1, normalize: true, target: 10_000, factors: nil) }
        let batch = try runBlocks(try extractor("top_genes: \(k)\nnormalize_total: true\n"), data, sparse: true)
        #expect(tokens(batch, width: k) == want.map(\.tokens))
    }

    /// A negative value (a corrected matrix) is never ranked but counts in the total, so the
    /// packed float32 order no longer holds: those cells are ranked by their float64 values.
    @Test func cellsWithNegativeValuesRankByTheirNormalizedValues() throws {
        var data = Self.cells(24, genes: 50, seed: 5)
        for i in data.indices { for g in stride(from: i % 3, to: 50, by: 7) { data[i][g] = -Float(g % 4) - 0.5 } }
        let want = data.map { Self.reference($0, k: 9, pad: -1, normalize: true, target: 100, factors: nil) }
        for sparse in [true, false] {
            let e = try extractor("top_genes: 9\nnormalize_total: true\ntarget_sum: 100\n")
            #expect(tokens(try runBlocks(e, data, sparse: sparse), width: 9) == want.map(\.tokens), "sparse: \(sparse)")
        }
    }

    /// `genes:` picks among an `.h5ad`'s genes (the block's columns) only; ids are positions in
    /// what it picked.
    @Test func genesPicksAmongTheBlockColumnsOnly() throws {
        let data = Self.cells(12, genes: 30, seed: 3)
        let header = ["age"] + (0..<30).map { "g\($0)" }
        let e = try extractor("top_genes: 4\ngenes: [\"g1*\"]\n")
        #expect(throws: ExtractorError.self) {
            _ = try extractor("genes: [\"a*\"]\n").schema(columns: header, blockColumns: 1..<31)
        }
        let schema = try e.schema(columns: header, blockColumns: 1..<31)
        var bound = try e.bind(columns: header, blockColumns: 1..<31, schema: schema, missing: MissingValues())
        var batch = RowBatch(schema: schema)
        batch.beginSource("cells.h5ad")
        let picked = [1] + Array(10...19)
        for cell in data {
            let values = cell
            try values.withUnsafeBufferPointer { (vp: UnsafeBufferPointer<Float>) throws -> Void in
                let record = Record()
                record.reset(base: nil, line: 1)
                for _ in header.indices { record.append(start: 0, end: 0) }
                record.block = NumericBlock(firstColumn: 1, width: 30, indices: nil, values: vp)
                let outcome = try bound.extract(record, into: &batch)
                #expect(outcome == .kept)
            }
        }
        let want = data.map { cell in
            Self.reference(picked.map { cell[$0] }, k: 4, pad: -1, normalize: false, target: 1, factors: nil).tokens
        }
        #expect(tokens(batch, width: 4) == want)
    }

    @Test func aTextFileWithoutGeneColumnsOrBlockFailsNamingTheOption() throws {
        let e = try extractor("top_genes: 3\n")
        let reader = try registry.format("csv").open(MemorySource("a,b\n1,2\n"), settings: ReaderSettings())
        let schema = try e.schema(columns: reader.columns)
        var bound = try e.bind(columns: reader.columns, schema: schema, missing: MissingValues())
        var batch = RowBatch(schema: schema)
        let record = Record()
        _ = try reader.next(into: record)
        let error = #expect(throws: RowError.self) { _ = try bound.extract(record, into: &batch) }
        #expect(error?.reason.contains("`genes:`") == true)
    }

    @Test func badGeneFactorFilesAreRefusedNamingFileAndLine() throws {
        let ws = TempWorkspace()
        for (text, says) in [
            ("g1\t2\ng2\tzero\n", ":2: factor 'zero' is not a number"),
            ("g1\t2\ng1\t3\n", ":2: gene 'g1' is named twice"),
            ("g1\t-1\n", ":1: factor -1 is not a positive"), ("g1 2 3\n", ":1: 3 fields"),
            ("# only\n", "lists no gene"),
        ] {
            ws.write("f.tsv", text)
            let error = #expect(throws: PluginError.self) { _ = try extractor("gene_factors: \(ws.path)/f.tsv\n") }
            #expect(error?.description.contains(says) == true, "\(error?.description ?? "")")
        }
        #expect(throws: PluginError.self) { _ = try extractor("gene_factors: \(ws.path)/missing.tsv\n") }
        #expect(throws: ConfigError.self) { _ = try extractor("target_sum: 0\n") }
    }

    @Test func theFactorsFileIsPartOfTheFingerprint() throws {
        let ws = TempWorkspace()
        ws.write("f.tsv", "g1\t2\n")
        let a = try extractor("gene_factors: \(ws.path)/f.tsv\n").optionsText
        ws.write("f.tsv", "g1\t3\n")
        #expect(try extractor("gene_factors: \(ws.path)/f.tsv\n").optionsText != a)
    }
}
