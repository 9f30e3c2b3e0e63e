import Foundation
import QuernCore
import QuernTestSupport
import Testing

@Suite("WriteBehind: background writes keep their order and report errors")
struct WriteBehindTests {
    @Test func manyWritesOfMixedSizesLandInOrder() throws {
        let ws = TempWorkspace()
        let queue = WriteBehind(limitBytes: 1 << 20)  // small: submit must wait for room
        let a = try BufferedFileWriter(path: "\(ws.path)/a.bin", writeBehind: queue)
        let b = try BufferedFileWriter(path: "\(ws.path)/b.bin", writeBehind: queue)
        var expectedA: [UInt8] = [], expectedB: [UInt32] = []
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
