import Foundation
import QuernCore
import QuernTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

@Suite("DirectIO: aligned direct writes and reads give back exactly the bytes")
struct DirectIOTests {
    /// Appends of every size (1 byte to more than the buffer, ranges too) land in order, and the
    /// file is cut to its true length however the last block falls; with direct I/O and without.
    @Test(arguments: [true, false]) func appendsLandInOrderAndTheFileHasItsTrueLength(direct: Bool) throws {
        let ws = TempWorkspace()
        var rng = SystemRandomNumberGenerator()
        for total in [0, 1, 4095, 4096, 4097, 100_000, 300_001] {
            let path = "\(ws.path)/f\(total).bin"
            let opened: (fd: Int32, direct: Bool) =
                direct
                ? DirectIO.open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC)
                : (open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644), false)
            #expect(opened.direct == direct)
            #expect(opened.fd >= 0)
            defer { close(opened.fd) }
            let appender = DirectAppender(fd: opened.fd, path: path, bufferBytes: 8192)
            var expected: [UInt8] = []
            while expected.count < total {
                let n = min(total - expected.count, Int.random(in: 1...9000, using: &rng))
                let chunk = (0..<n).map { _ in UInt8.random(in: 0...255, using: &rng) }
                if n > 10 && Bool.random(using: &rng) {
                    let ranges = [0..<(n / 3), (n / 3)..<(n / 2), (n / 2)..<n]
                    try chunk.withUnsafeBytes { try appender.append($0, ranges: ranges) }
                } else {
                    try chunk.withUnsafeBytes { try appender.append($0) }
                }
                expected += chunk
            }
            try appender.finish()
            #expect(appender.written == total)
            #expect(FileManager.default.contents(atPath: path) == Data(expected))

            // Read back through a direct descriptor into an aligned buffer: short at the file's end.
            let r = DirectIO.open(path, O_RDONLY | O_CLOEXEC)
            defer { close(r.fd) }
            let buffer = DirectIO.buffer(total + 1)
            defer { buffer.deallocate() }
            let n = try DirectIO.readAll(r.fd, into: buffer, at: 0, path: path)
            #expect(n == total)
            #expect(Array(UnsafeRawBufferPointer(rebasing: buffer[0..<n])) == expected)
        }
    }
}
