import Foundation
import QuernCore
import QuernKit
import QuernPlugins
import QuernTestSupport
import Testing

/// Each row's result (``RowBatch/results``, the `command` extractor's) in a batch file: a `results`
/// member of byte strings, only in batches that have results (docs/formats.md).
@Suite("Batch files: results")
struct BatchFileResultsTests {
    let registry = PluginRegistry.builtIn
    let schema = FeatureSchema(features: [], labels: [], masks: [], hasGroups: false)

    func batch(_ results: [String]) -> RowBatch {
        var batch = RowBatch(schema: schema)
        batch.beginSource("urls.csv")
        for (i, r) in results.enumerated() {
            let none: [Float] = []
            let labels: [Int32] = []
            let group: [UInt8] = []
            none.withUnsafeBufferPointer { f in
                labels.withUnsafeBufferPointer { l in
                    group.withUnsafeBufferPointer { g in
                        batch.append(features: f, labels: l, masks: [], group: g, line: i + 2)
                    }
                }
            }
            batch.results.append(Array(r.utf8))
        }
        return batch
    }

    @Test func resultsRoundTripAndNumpyReadsThemAsByteStrings() throws {
        let ws = TempWorkspace()
        let rows = [#"{"slug":"a-b"}"#, "null", #"{"text":"d\u00e9j\u00e0 \"vu\""}"#, "[1,2,3]"]
        let b = batch(rows)
        let path = "\(ws.path)/batch_000000.npz"
        let encoded = try BatchFile.encode(
            b, name: BatchName(batch: 0, part: 0), schema: schema, fingerprint: SchemaFingerprint(value: "f"),
            extractor: "command", codec: try registry.codec(spec: "zlib"), path: path)
        try AtomicFile.write(encoded.bytes, to: path)
        let loaded = try BatchFile.load(path: path) { try registry.codec(zipMethod: $0) }
        #expect(loaded.batch == b)
        #expect(loaded.batch.results.map { String(decoding: $0, as: UTF8.self) } == rows)
        let check = try QuernProcess.python(
            "import numpy as np, sys; z = np.load(sys.argv[1]); print([r.decode() for r in z['results']])",
            arguments: [path])
        #expect(check.status == 0, "\(check.stderr)")
        #expect(check.stdout.contains(#"['{"slug":"a-b"}', 'null'"#), "\(check.stdout)")
    }

    @Test func aBatchWithoutResultsHasNoResultsMember() throws {
        var b = batch(["1", "2"])
        b.results = []
        let arrays = BatchFile.arrays(of: b, schema: schema).map(\.0)
        #expect(!arrays.contains("results"))
        #expect(BatchFile.arrays(of: batch(["1"]), schema: schema).map(\.0).last == "results")
    }

    @Test func aRollBackDropsTheResultsOfTheRowsItDrops() {
        var b = batch(["1"])
        let mark = b.mark
        b = {
            var more = b
            let none: [Float] = []
            let labels: [Int32] = []
            let group: [UInt8] = []
            none.withUnsafeBufferPointer { f in
                labels.withUnsafeBufferPointer { l in
                    group.withUnsafeBufferPointer { g in
                        more.append(features: f, labels: l, masks: [], group: g, line: 9)
                    }
                }
            }
            more.results.append(Array("2".utf8))
            return more
        }()
        b.rollBack(to: mark)
        #expect(b.count == 1 && b.results == [Array("1".utf8)])
    }
}
