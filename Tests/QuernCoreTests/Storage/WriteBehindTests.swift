import Foundation
import QuernCore
import QuernKit
import QuernTestSupport
import Testing

@Suite("WriteBehind: background writes keep their order and report errors")
struct WriteBehindTests {
    @Test func manyWritesOfMixedSizesLandInOrder() throws {
        let ws = TempWorkspace()
        let queue = WriteBehind(limitBytes: 1 << 20)  // small: submit must wait for room
        let a = try BufferedFileWriter(path: "\(ws.path)/a.bin", writeBehind: queue)
        let b = try BufferedFileWriter(path: "\(ws.path)/b.bin", writeBehind: queue)
        var expectedA: [UInt8] = []
        var expectedB: [UInt32] = []
        for i in 0..<300 {
            let small = [UInt8](repeating: UInt8(i & 0xFF), count: i % 7 + 1)
            try a.write(small)
            expectedA += small
            let large = [UInt32]((0..<(i % 5 == 0 ? 70_000 : 17)).map { UInt32(i * 1_000_003 + $0) })
            try b.write(array: large)
            expectedB += large
            if i % 50 == 0 {
                let raw = [UInt8](repeating: 0xAB, count: (1 << 20) + 3)  // a large raw write queues too
                try raw.withUnsafeBytes { try a.write($0) }
                expectedA += raw
            }
        }
        try a.close()
        try b.close()
        #expect(FileManager.default.contents(atPath: "\(ws.path)/a.bin") == Data(expectedA))
        #expect(FileManager.default.contents(atPath: "\(ws.path)/b.bin") == expectedB.withUnsafeBytes { Data($0) })
    }

    /// Rows of one split written straight from a merged block (ranges, `writev`) land exactly as a
    /// gathered copy would, behind and between ordinary writes, with the CRC of what was written;
    /// more ranges than one `writev` takes, and ranges too small for the background thread, too.
    @Test func rangesOfAnArrayLandAsTheirGatheredCopy() throws {
        let ws = TempWorkspace()
        let queue = WriteBehind(limitBytes: 1 << 20)
        let out = try BufferedFileWriter(path: "\(ws.path)/r.bin", trackCRC: true, writeBehind: queue)
        var rng = SplitMix64(seed: 7)
        var expected: [UInt8] = []
        for round in 0..<6 {
            let array = (0..<(round == 0 ? 300 : 200_000)).map { _ in
                Float(bitPattern: UInt32(truncatingIfNeeded: rng.next()))
            }
            var ranges: [Range<Int>] = []
            var i = 0
            while i < array.count {
                let n = Int(rng.next() % 90) + 1
                if rng.next() % 2 == 0 { ranges.append(i..<min(i + n, array.count)) }
                i += n + Int(rng.next() % 40)
            }
            try out.write(array: array, ranges: ranges)
            for r in ranges { array[r].withUnsafeBytes { expected += $0 } }
            try out.write([UInt8(round)])
            expected.append(UInt8(round))
        }
        #expect(out.written == expected.count)
        try out.close()
        #expect(FileManager.default.contents(atPath: "\(ws.path)/r.bin") == Data(expected))
        #expect(out.crc.value == CRC32.of(expected))
    }

    @Test func aFailedWriteIsThrownWithItsPath() throws {
        let ws = TempWorkspace()
        let queue = WriteBehind()
        let readOnly = open("\(ws.path)/x", O_RDONLY | O_CREAT, 0o644)
        defer { close(readOnly) }
        try queue.submit(fd: readOnly, path: "\(ws.path)/x", [UInt8](repeating: 1, count: 10), count: 10)
        let error = #expect(throws: StorageError.self) { try queue.drain() }
        #expect(error.map { "\($0)".contains("\(ws.path)/x") } == true)
    }
}
