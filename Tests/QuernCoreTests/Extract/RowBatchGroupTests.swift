import QuernKit
import Testing

@Suite("Group keys of a batch")
struct RowBatchGroupTests {
    @Test func eachDistinctKeyGetsOneIdWhereverTheKeysDiffer() {
        let schema = FeatureSchema(features: [.init("a", normalized: true)], labels: [], masks: [], hasGroups: true)
        var batch = RowBatch(schema: schema)
        batch.beginSource("f.csv")
        // Keys that differ in their first, eighth, ninth or last byte, or only in length (one a
        // prefix of the other), the empty key, and keys that come back after others.
        let keys = [
            "g000000-7922", "g000000-7922", "h000000-7922", "g000000X7922", "g0000000-7922", "g000000-7923",
            "g000000-792", "g000000-7922", "", "", "a", "b", "a", "12345678", "12345679", "123456789",
            "12345678",
        ]
        for (i, key) in keys.enumerated() {
            let f: [Float] = [Float(i)]
            let g = Array(key.utf8)
            f.withUnsafeBufferPointer { f in
                g.withUnsafeBufferPointer { g in
                    batch.append(
                        features: f, labels: UnsafeBufferPointer(start: nil, count: 0), masks: [], group: g, line: i + 2
                    )
                }
            }
        }
        var expected: [String: Int32] = [:]
        var order: [String] = []
        for key in keys where expected[key] == nil {
            expected[key] = Int32(order.count)
            order.append(key)
        }
        #expect(batch.groupIndex == keys.map { expected[$0]! })
        #expect(batch.groups.map { String(decoding: $0, as: UTF8.self) } == order)
    }
}
