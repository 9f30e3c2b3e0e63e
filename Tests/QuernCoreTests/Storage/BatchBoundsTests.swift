import Foundation
import QuernCore
import QuernKit
import QuernPlugins
import QuernTestSupport
import Testing

/// Batch readers bound every size read from a file: forged sizes and counts fail with a message,
/// before memory is spent on them.
@Suite("Batch files: sizes read from the file are bounded")
struct BatchBoundsTests {
    let registry = PluginRegistry.builtIn
    let schema = FeatureSchema(
        features: [.init("a", normalized: true)], labels: [.init(name: "y", classes: 3)], masks: [], hasGroups: false)

    func encoded(_ codec: String, rows: Int = 40) throws -> [UInt8] {
        var batch = RowBatch(schema: schema)
        batch.beginSource("f.csv")
        for i in 0..<rows {
            [Float(i)].withUnsafeBufferPointer { f in
                [Int32(i % 3)].withUnsafeBufferPointer { l in
                    Array("g\(i)".utf8).withUnsafeBufferPointer { g in
                        batch.append(features: f, labels: l, masks: [], group: g, line: i + 2)
                    }
                }
            }
        }
        return try BatchFile.encode(
            batch, name: BatchName(batch: 0, part: 0), schema: schema, fingerprint: SchemaFingerprint(value: "f"),
            extractor: "t",
            codec: try registry.codec(spec: codec), path: "x"
        ).bytes
    }

    /// Rebuilds a batch with one member changed.
    func forged(_ codec: String, _ change: (inout ZipArchive.Member) -> Void, member: String = "X.npy") throws
        -> [UInt8]
    {
        var members = try ZipArchive.read(try encoded(codec), path: "x")
        let i = try #require(members.firstIndex { $0.name == member })
        change(&members[i])
        return try ZipArchive.build(members, path: "x")
    }

    func loadError(_ bytes: [UInt8]) -> String {
        let ws = TempWorkspace()
        let path = ws.write("batch_000000.npz", bytes)
        do {
            _ = try BatchFile.load(path: path) { try registry.codec(zipMethod: $0) }
            return "loaded"
        } catch {
            return "\(error)"
        }
    }

    @Test(
        "a member claiming far more than it can hold fails before decompressing",
        arguments: ["none", "zlib", "lz4", "zstd"])
    func hugeClaimedSize(_ codec: String) throws {
        let message = loadError(try forged(codec) { $0.uncompressedSize = 4_000_000_000 })
        #expect(message.contains("claims 4000000000 bytes"), "\(message)")
    }

    @Test("a member decompressing to more than it declares fails cleanly", arguments: ["zlib", "lz4", "zstd"])
    func moreThanDeclared(_ codec: String) throws {
        let message = loadError(try forged(codec) { $0.uncompressedSize = 64 })
        #expect(
            message.contains("X.npy does not decompress") || message.contains("X.npy fails its CRC-32"), "\(message)")
    }

    @Test func anNpyHeaderClaimingATrillionRowsFails() throws {
        let raw =
            NpyArray(descr: "<f4", shape: [1_000_000_000_000, 1], data: []).headerBytes()
            + [UInt8](repeating: 0, count: 160)
        #expect(throws: NpyError.self) { try NpyArray.decode(raw) }
        let message = loadError(
            try forged("none") { m in
                m.compressed = raw
                m.uncompressedSize = raw.count
                m.crc32 = CRC32.of(raw)
            })
        #expect(message.contains("member X") && message.contains("1000000000000"), "\(message)")
        let overflow = NpyArray(descr: "<f4", shape: [Int.max / 2, 4], data: []).headerBytes()
        #expect(throws: NpyError.self) { try NpyArray.decode(overflow) }
    }

    @Test func absurdDirectoryCountsAndOffsetsFail() throws {
        let good = try encoded("zstd")
        let eocd = good.count - 22
        var many = good
        many[eocd + 10] = 0xFF
        many[eocd + 11] = 0xFF
        #expect(loadError(many).contains("damaged ZIP directory"), "\(loadError(many))")
        var far = good
        far[eocd + 16] = 0xFF
        far[eocd + 17] = 0xFF
        far[eocd + 18] = 0xFF
        far[eocd + 19] = 0x7F
        #expect(loadError(far).contains("points past its end"))
        // A directory listing the X member's bytes eight more times (a ZIP bomb by overlap).
        var members = try ZipArchive.read(try encoded("none"), path: "x")
        let x = members.first { $0.name == "X.npy" }!
        members += (0..<8).map {
            ZipArchive.Member(name: "t\($0).npy", method: 0, crc32: 0, compressed: [0], uncompressedSize: 1)
        }
        var bytes = try ZipArchive.build(members, path: "x")
        var p = Int(bytes.u32le(bytes.count - 6))
        for m in members {
            if m.name.hasPrefix("t") {
                for k in 0..<4 { bytes[p + 42 + k] = 0 }  // local header offset: the first member's
                let size = UInt32(x.compressed.count)
                for k in 0..<4 { bytes[p + 20 + k] = UInt8((size >> (8 * UInt32(k))) & 0xFF) }
            }
            p += 46 + m.name.utf8.count
        }
        #expect(loadError(bytes).contains("overlapping"), "\(loadError(bytes))")
    }

    @Test func aFileLargerThanAnyBatchIsNotRead() throws {
        let ws = TempWorkspace()
        let path = "\(ws.path)/batch_000000.npz"
        #expect(try QuernProcess.shell("truncate -s 5G \(path)") == 0)
        #expect(throws: StorageError.self) { try BatchFile.load(path: path) { _ in nil } }
        do { _ = try BatchFile.load(path: path) { _ in nil } } catch {
            #expect("\(error)".contains("larger than any batch file"))
        }
    }
}

extension Array where Element == UInt8 {
    fileprivate func u32le(_ i: Int) -> UInt32 {
        UInt32(self[i]) | UInt32(self[i + 1]) << 8 | UInt32(self[i + 2]) << 16 | UInt32(self[i + 3]) << 24
    }
}
