import Foundation
import QuernCore
import QuernKit
import QuernPlugins
import QuernTestSupport
import Testing

@Suite("Batch files")
struct BatchFileTests {
    let registry = PluginRegistry.builtIn
    let schema = FeatureSchema(
        features: [.init("a", normalized: true), .init("b", normalized: false)], labels: [.init(name: "y", classes: 3)],
        masks: [.init(name: "m", width: 4, label: "y")], hasGroups: true)

    func sampleBatch(rows: Int = 50) -> RowBatch {
        var batch = RowBatch(schema: schema)
        batch.beginSource("f1.csv")
        for i in 0..<rows {
            if i == rows / 2 { batch.beginSource("f2.csv") }
            let feats: [Float] = [Float(i) * 0.5, Float(i % 2)]
            let labels: [Int32] = [Int32(i % 3)]
            let group = Array("g\(i / 10)".utf8)
            feats.withUnsafeBufferPointer { f in
                labels.withUnsafeBufferPointer { l in
                    group.withUnsafeBufferPointer { g in
                        batch.append(features: f, labels: l, masks: [[1, 0, Int8(i % 2), 1]], group: g, line: i + 2)
                    }
                }
            }
        }
        return batch
    }

    @Test(
        "round trip through every codec",
        arguments: ["none", "zlib", "zlib:9", "lz4", "lz4:9", "lz4:-8", "zstd", "zstd:19"])
    func roundTrip(_ spec: String) throws {
        let ws = TempWorkspace()
        let codec = try registry.codec(spec: spec)
        let batch = sampleBatch()
        let path = "\(ws.path)/batch_000003.npz"
        let encoded = try BatchFile.encode(
            batch, name: BatchName(batch: 3, part: 0), schema: schema, fingerprint: SchemaFingerprint(value: "abc"),
            extractor: "t", codec: codec, path: path)
        try AtomicFile.write(encoded.bytes, to: path)
        let loaded = try BatchFile.load(path: path) { try registry.codec(zipMethod: $0) }
        #expect(loaded.batch == batch)
        #expect(loaded.meta.rows == 50)
        #expect(loaded.meta.codec == codec.spec)
        #expect(loaded.meta.fingerprint == "abc")
        #expect(loaded.fileCRC == encoded.fileCRC)
    }

    @Test func identicalContentGivesIdenticalBytes() throws {
        let codec = try registry.codec(spec: "zstd")
        let a = try BatchFile.encode(
            sampleBatch(), name: BatchName(batch: 0, part: 0), schema: schema,
            fingerprint: SchemaFingerprint(value: "f"), extractor: "t", codec: codec,
            path: "x")
        let b = try BatchFile.encode(
            sampleBatch(), name: BatchName(batch: 0, part: 0), schema: schema,
            fingerprint: SchemaFingerprint(value: "f"), extractor: "t", codec: codec,
            path: "x")
        #expect(a.bytes == b.bytes)
    }

    @Test("damage is detected, never read as data", arguments: ["flip", "truncate", "empty", "random"])
    func damageIsDetected(_ kind: String) throws {
        let ws = TempWorkspace()
        let codec = try registry.codec(spec: "zlib")
        var bytes = try BatchFile.encode(
            sampleBatch(), name: BatchName(batch: 0, part: 0), schema: schema,
            fingerprint: SchemaFingerprint(value: "f"), extractor: "t", codec: codec,
            path: "x"
        ).bytes
        switch kind {
        case "flip": bytes[bytes.count / 3] ^= 0x40
        case "truncate": bytes.removeLast(bytes.count / 2)
        case "empty": bytes = []
        default:
            var rng = SplitMix64(seed: 3)
            bytes = (0..<5000).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
        }
        let path = ws.write("batch_000000.npz", bytes)
        #expect(throws: (any Error).self) { try BatchFile.load(path: path) { try registry.codec(zipMethod: $0) } }
    }

    @Test func batchNamesParseAndSort() {
        #expect(BatchName(fileName: "batch_000012.npz") == BatchName(batch: 12, part: 0))
        #expect(BatchName(fileName: "batch_000012.003.npz") == BatchName(batch: 12, part: 3))
        #expect(BatchName(fileName: "batch_x.npz") == nil)
        #expect(BatchName(fileName: "batch_000012.000.npz") == nil)
        #expect(BatchName(fileName: "other.npz") == nil)
        #expect(BatchName(batch: 2, part: 1) < BatchName(batch: 10, part: 0))
        #expect(BatchName(batch: 7, part: 2).fileName == "batch_000007.002.npz")
    }

    @Test func npyHeadersAreAlignedAndParse() throws {
        let a = NpyArray([Float](repeating: 1.5, count: 6), descr: "<f4", shape: [2, 3])
        let bytes = a.encoded()
        #expect((bytes.count - 24) % 64 == 0)
        #expect(try NpyArray.decode(bytes) == a)
        var short = bytes
        short.removeLast()
        #expect(throws: NpyError.self) { try NpyArray.decode(short) }
    }

    @Test func rollBackForgetsAFailedFile() {
        var batch = sampleBatch(rows: 10)
        let before = batch
        let mark = batch.mark
        batch.beginSource("bad.csv")
        let f: [Float] = [1, 2]
        let l: [Int32] = [0]
        let g = Array("new".utf8)
        f.withUnsafeBufferPointer { fp in
            l.withUnsafeBufferPointer { lp in
                g.withUnsafeBufferPointer { gp in
                    batch.append(features: fp, labels: lp, masks: [[0, 0, 0, 0]], group: gp, line: 2)
                }
            }
        }
        batch.rollBack(to: mark)
        #expect(batch == before)
    }
}
