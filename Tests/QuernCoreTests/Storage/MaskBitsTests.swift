import Foundation
import QuernKit
import QuernPlugins
import QuernTestSupport
import Testing

@testable import QuernCore

@Suite("Mask heads packed eight values to a byte in batch files")
struct MaskBitsTests {
    let registry = PluginRegistry.builtIn

    /// `rows` random 0/1 masks of `width` values, a byte a value.
    func masks(rows: Int, width: Int, seed: UInt64) -> [Int8] {
        var rng = SplitMix64(seed: seed)
        return (0..<(rows * width)).map { _ in Int8(rng.next() & 1) }
    }

    @Test(
        "packing follows numpy.packbits(bitorder=little) and unpacking gives every value back",
        arguments: [1, 7, 8, 9, 21, 64, 84, 100])
    func packsAndUnpacks(width: Int) throws {
        let rows = 37
        let values = masks(rows: rows, width: width, seed: UInt64(width))
        let packedRow = (width + 7) / 8
        let scratch = ScratchBuffer()
        var back = [UInt8](repeating: 0xAA, count: rows * width)
        try values.withUnsafeBytes { raw in
            let packed = try #require(MaskBits.pack(raw, rows: rows, width: width, into: scratch))
            #expect(packed.count == rows * packedRow)
            // Value j of row r is bit j % 8 of the row's byte j / 8; the bits past the width are 0.
            var layoutHolds = true
            for r in 0..<rows {
                for j in 0..<(packedRow * 8) {
                    let bit = Int8((packed[r * packedRow + j / 8] >> (j % 8)) & 1)
                    if bit != (j < width ? values[r * width + j] : 0) { layoutHolds = false }
                }
            }
            #expect(layoutHolds)
            #expect(back.withUnsafeMutableBytes { MaskBits.unpack(packed, rows: rows, width: width, into: $0) })
            #expect(back == values.map { UInt8(bitPattern: $0) })
        }
    }

    @Test func aValueOtherThanZeroOrOneIsNotPackedAndABitPastTheWidthIsRefused() throws {
        for bad: Int8 in [2, -1, 0x30] {
            var values = masks(rows: 5, width: 21, seed: 9)
            values[3 * 21 + 17] = bad
            values.withUnsafeBytes { #expect(MaskBits.pack($0, rows: 5, width: 21, into: ScratchBuffer()) == nil) }
        }
        // Width 4: the high nibble of each row's byte is padding.
        for stray: UInt8 in [0x10, 0x80] {
            let packed: [UInt8] = [0x05, 0x0F | stray]
            var out = [UInt8](repeating: 0, count: 8)
            packed.withUnsafeBytes { p in
                out.withUnsafeMutableBytes { #expect(!MaskBits.unpack(p, rows: 2, width: 4, into: $0)) }
            }
        }
    }

    func batch(_ schema: FeatureSchema, masks: [[Int8]]) -> RowBatch {
        var batch = RowBatch(schema: schema)
        batch.beginSource("f.csv")
        for (i, m) in masks.enumerated() {
            let f: [Float] = [Float(i)]
            let l: [Int32] = [0]
            let g = Array("g\(i)".utf8)
            f.withUnsafeBufferPointer { f in
                l.withUnsafeBufferPointer { l in
                    g.withUnsafeBufferPointer { g in
                        batch.append(features: f, labels: l, masks: [m], group: g, line: i + 2)
                    }
                }
            }
        }
        return batch
    }

    @Test(
        "lz4 and zstd store masks packed (format version 2), none and zlib a byte a value (version 1), both read back the same",
        arguments: ["none", "zlib", "lz4", "zstd"])
    func storageFollowsTheCodec(_ spec: String) throws {
        let ws = TempWorkspace()
        let schema = FeatureSchema(
            features: [.init("a", normalized: true)], labels: [.init(name: "y", classes: 2)],
            masks: [.init(name: "legal", width: 84, label: nil)], hasGroups: true)
        let values = masks(rows: 300, width: 84, seed: 4)
        let rows = (0..<300).map { Array(values[($0 * 84)..<(($0 + 1) * 84)]) }
        let b = batch(schema, masks: rows)
        let codec = try registry.codec(spec: spec)
        let encoded = try BatchFile.encode(
            b, name: BatchName(batch: 0, part: 0), schema: schema, fingerprint: SchemaFingerprint(value: "f"),
            extractor: "t", codec: codec, path: "x")
        let names = try encoded.bytes.withUnsafeBytes { try ZipArchive.entries($0, path: "x").map(\.name) }
        let packed = spec == "lz4" || spec == "zstd"
        #expect(names.contains(packed ? "maskbits_legal.npy" : "mask_legal.npy"))
        #expect(!names.contains(packed ? "mask_legal.npy" : "maskbits_legal.npy"))
        #expect(encoded.meta.version == (packed ? 2 : 1))
        let path = ws.write("batch_000000.npz", encoded.bytes)
        let loaded = try BatchFile.load(path: path) { try registry.codec(zipMethod: $0) }
        #expect(loaded.batch == b)
        #expect(loaded.meta.version == encoded.meta.version)
    }

    @Test func aMaskWithOtherValuesKeepsThemUnderLz4() throws {
        let ws = TempWorkspace()
        let schema = FeatureSchema(
            features: [.init("a", normalized: true)], labels: [.init(name: "y", classes: 2)],
            masks: [.init(name: "m", width: 9, label: nil)], hasGroups: true)
        let b = batch(schema, masks: [[1, 0, 1, 0, 1, 0, 1, 0, 1], [0, 2, 0, 0, 0, 0, 0, 0, -1]])
        let encoded = try BatchFile.encode(
            b, name: BatchName(batch: 0, part: 0), schema: schema, fingerprint: SchemaFingerprint(value: "f"),
            extractor: "t", codec: try registry.codec(spec: "lz4"), path: "x")
        let names = try encoded.bytes.withUnsafeBytes { try ZipArchive.entries($0, path: "x").map(\.name) }
        #expect(names.contains("mask_m.npy"))
        #expect(encoded.meta.version == 1)
        let loaded = try BatchFile.load(path: ws.write("batch_000000.npz", encoded.bytes)) {
            try registry.codec(zipMethod: $0)
        }
        #expect(loaded.batch.masks[0] == [1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 2, 0, 0, 0, 0, 0, 0, -1])
    }
}
