import Foundation
import QuernCore
import QuernKit
import QuernPlugins
import QuernTestSupport
import Testing

/// Output arrays an extractor declares (``OutputArray``): stored in batch files, carried with
/// their rows by every ``RowBlock`` operation a merge strategy uses, and invisible to schemas
/// without them (their metadata and fingerprints stay what they were).
@Suite("Output arrays")
struct OutputArrayTests {
    let registry = PluginRegistry.builtIn
    let schema = FeatureSchema(
        features: [.init("n", normalized: false)], labels: [.init(name: "y", classes: 3)], masks: [], hasGroups: true,
        arrays: [OutputArray("tokens", dtype: .int32, width: 3), OutputArray("emb", dtype: .float32, width: 2)])

    /// Row i: n = i, tokens [i, i+1, -1], emb [i/2, -i].
    func batch(rows: Int) -> RowBatch {
        var b = RowBatch(schema: schema)
        b.beginSource("cells.h5ad")
        for i in 0..<rows {
            let tokens: [Int32] = [Int32(i), Int32(i + 1), -1]
            let emb: [Float] = [Float(i) / 2, -Float(i)]
            tokens.withUnsafeBufferPointer { b.appendArray(0, $0) }
            emb.withUnsafeBufferPointer { b.appendArray(1, $0) }
            let x: [Float] = [Float(i)]
            let y: [Int32] = [Int32(i % 3)]
            let g = Array("d\(i % 4)".utf8)
            x.withUnsafeBufferPointer { xp in
                y.withUnsafeBufferPointer { yp in
                    g.withUnsafeBufferPointer { b.append(features: xp, labels: yp, masks: [], group: $0, line: i + 1) }
                }
            }
        }
        return b
    }

    @Test(arguments: ["none", "zstd"])
    func batchFilesKeepOutputArraysRowForRow(_ spec: String) throws {
        let ws = TempWorkspace()
        let path = "\(ws.path)/batch_000000.npz"
        let original = batch(rows: 40)
        let encoded = try BatchFile.encode(
            original, name: BatchName(batch: 0, part: 0), schema: schema, fingerprint: SchemaFingerprint(value: "f"),
            extractor: "t", codec: try registry.codec(spec: spec), path: path)
        try AtomicFile.write(encoded.bytes, to: path)
        let loaded = try BatchFile.load(path: path) { try registry.codec(zipMethod: $0) }
        #expect(loaded.meta.schema == schema)
        #expect(loaded.batch == original)
        let tokens = loaded.batch.arrays[0].withUnsafeBytes { Array($0.bindMemory(to: Int32.self)) }
        #expect(Array(tokens[3..<6]) == [1, 2, -1])
        let names = try ZipArchive.read(encoded.bytes, path: path).map(\.name)
        #expect(names.contains("array_tokens.npy") && names.contains("array_emb.npy"))
    }

    @Test func aBatchWhoseArrayHasTheWrongShapeIsRefused() throws {
        var wrong = schema
        wrong.arrays[0].width = 4
        var b = RowBatch(schema: wrong)
        b.beginSource("x")
        let t: [Int32] = [1, 2, 3, 4]
        let e: [Float] = [0, 0]
        t.withUnsafeBufferPointer { b.appendArray(0, $0) }
        e.withUnsafeBufferPointer { b.appendArray(1, $0) }
        let x: [Float] = [1]
        let y: [Int32] = [0]
        x.withUnsafeBufferPointer { xp in
            y.withUnsafeBufferPointer {
                b.append(features: xp, labels: $0, masks: [], group: .init(start: nil, count: 0), line: 1)
            }
        }
        // Written with one schema, its meta edited to claim another: the member's shape disagrees.
        let encoded = try BatchFile.encode(
            b, name: BatchName(batch: 0, part: 0), schema: wrong, fingerprint: SchemaFingerprint(value: "f"),
            extractor: "t", codec: try registry.codec(spec: "none"), path: "p")
        let text = String(decoding: encoded.bytes, as: UTF8.self)
        #expect(text.contains("\"width\":4"))
        #expect(throws: (any Error).self) {
            _ = try BatchFile.load(bytes: patched(encoded.bytes, "\"width\":4", "\"width\":3"), path: "p") {
                try registry.codec(zipMethod: $0)
            }
        }
    }

    func patched(_ bytes: [UInt8], _ a: String, _ b: String) -> [UInt8] {
        let (x, y) = (Array(a.utf8), Array(b.utf8))
        var out = bytes
        if let i = (0...(out.count - x.count)).first(where: { out[$0..<($0 + x.count)].elementsEqual(x) }) {
            out.replaceSubrange(i..<(i + x.count), with: y)
        }
        return out
    }

    @Test func rowBlocksMoveArraysWithTheirRows() throws {
        let layout = RowLayout(schema: schema)
        #expect(layout.contentBytes == 4 + 4 + 12 + 8)
        var block = BatchSet.block(from: batch(rows: 10), layout: layout, split: SplitFunction(seed: 1))
        func tokens(_ b: RowBlock, _ i: Int) -> [Int32] {
            b.arrays[0].withUnsafeBytes { Array($0.bindMemory(to: Int32.self)[(i * 3)..<(i * 3 + 3)]) }
        }
        let picked = block.selecting([7, 2, 9])
        #expect(picked.features == [7, 2, 9])
        #expect(tokens(picked, 1) == [2, 3, -1])
        var appended = RowBlock(layout: layout)
        appended.append(block, row: 5)
        #expect(tokens(appended, 0) == [5, 6, -1])
        var bytes: [UInt8] = []
        block.rowBytes(8, into: &bytes)
        var back = RowBlock(layout: layout)
        bytes.withUnsafeBytes { back.appendRow(bytes: $0) }
        #expect(back.features == [8] && tokens(back, 0) == [8, 9, -1])
        #expect(back.arrays[1].withUnsafeBytes { Array($0.bindMemory(to: Float.self)) } == [4, -8])
        block.reserve(100)
        #expect(block.count == 10)
    }

    @Test func schemasWithoutArraysKeepTheirMetadataAndFingerprint() throws {
        let plain = FeatureSchema(
            features: [.init("a", normalized: true)], labels: [], masks: [], hasGroups: false)
        let json = String(decoding: try JSONEncoder().encode(plain), as: UTF8.self)
        #expect(!json.contains("arrays"))
        let decoded = try JSONDecoder().decode(FeatureSchema.self, from: Data(json.utf8))
        #expect(decoded == plain)
        var withArray = plain
        withArray.arrays = [OutputArray("tokens", dtype: .int32, width: 5)]
        #expect(
            SchemaFingerprint(extractor: "e", options: "", schema: plain)
                != SchemaFingerprint(extractor: "e", options: "", schema: withArray))
        // FNV-1a 64 of "extractor=e\noptions=\nfeatures=a~\nlabels=\nmasks=\ngroups=false", as before arrays.
        #expect(SchemaFingerprint(extractor: "e", options: "", schema: plain).value == "134609761387d865")
    }

    @Test(arguments: [
        ("X", OutputArray.DType.int32, 3, false), ("labels", .int32, 3, false), ("a-b", .int32, 3, false),
        ("tokens", .int32, 0, false), ("tokens", .int32, 3, true),
    ])
    func unusableArraysAreNamed(_ name: String, _ dtype: OutputArray.DType, _ width: Int, _ normalized: Bool) {
        let problem = OutputArray(name, dtype: dtype, width: width, normalized: normalized).problem
        #expect(problem != nil)
        #expect(OutputArray("tokens", dtype: .int32, width: 3).problem == nil)
        #expect(OutputArray("emb", dtype: .float32, width: 3, normalized: true).problem == nil)
    }
}

/// The merge's side: a split writer writes each output array's rows to `<name>_<split>.npy`, and
/// only an array declared normalized is rescaled, with parameters fitted on train.
@Suite("Output arrays in the merge")
struct OutputArrayMergeTests {
    @Test func onlyANormalizedArrayIsRescaledFittedOnTrain() throws {
        let ws = TempWorkspace()
        let schema = FeatureSchema(
            features: [.init("n", normalized: false)], labels: [], masks: [], hasGroups: false,
            arrays: [
                OutputArray("tokens", dtype: .int32, width: 2),
                OutputArray("emb", dtype: .float32, width: 2, normalized: true),
            ])
        let layout = RowLayout(schema: schema)
        var block = RowBlock(layout: layout)
        // Rows 0..<6: train (split 0) except rows 4 (val) and 5 (test).
        let emb: [[Float]] = [[1, 10], [2, 10], [3, 10], [6, 10], [100, -5], [-100, 7]]
        for (i, e) in emb.enumerated() {
            block.split.append(i == 4 ? 1 : i == 5 ? 2 : 0)
            block.features.append(Float(i))
            let t: [Int32] = [Int32(i), -1]
            t.withUnsafeBytes { block.arrays[0].append(contentsOf: $0) }
            e.withUnsafeBytes { block.arrays[1].append(contentsOf: $0) }
        }
        let writer = try SplitWriter(dir: ws.path, schema: schema)
        try writer.write(block)
        try writer.finish()
        #expect(writer.rows == [4, 1, 1])
        let fitted = try ArrayNormalization.run(
            method: .standard, schema: schema, moments: writer.arrayMoments, dir: ws.path, rows: writer.rows,
            windowBytes: 1 << 20)
        #expect(fitted.parameters.map(\.name) == ["emb"] && fitted.nonFinite.isEmpty)
        func read<T>(_ file: String, _: T.Type) throws -> [T] {
            let bytes = try #require(FileManager.default.contents(atPath: "\(ws.path)/\(file)"))
            let a = try NpyArray.decode([UInt8](bytes))
            return a.data.withUnsafeBytes { Array($0.bindMemory(to: T.self)) }
        }
        // Train column 0: 1, 2, 3, 6 (mean 3, population std sqrt(3.5)); column 1: all 10 (std 0 -> 1).
        let std = Float((3.5 as Double).squareRoot())
        let train = try read(OutputFolderLayout.array("emb", split: "train"), Float.self)
        let want: [Float] = [(1 - 3) / std, 0, (2 - 3) / std, 0, 0, 0, (6 - 3) / std, 0]
        #expect(zip(train, want).allSatisfy { abs($0 - $1) < 1e-6 }, "\(train)")
        let val = try read(OutputFolderLayout.array("emb", split: "val"), Float.self)
        #expect(abs(val[0] - (100 - 3) / std) < 1e-4 && val[1] == -15)
        #expect(
            try read(OutputFolderLayout.array("tokens", split: "train"), Int32.self) == [0, -1, 1, -1, 2, -1, 3, -1])
        #expect(try read(OutputFolderLayout.array("tokens", split: "test"), Int32.self) == [5, -1])
        let stats = ArrayNormalization.stats(schema: schema, fitted: fitted)
        #expect(stats.map { $0["name"] as? String } == ["tokens", "emb"])
        #expect(stats[0]["normalization"] == nil && stats[1]["normalization"] != nil)
    }
}
