import Foundation
import QuernCore
import Testing

/// The one-pass line splitter of hook output against the obvious split of the whole stream.
struct LineSplitterTests {
    /// The slow, obvious version: split everything at once, cut each line to its first bytes.
    func expected(_ bytes: [UInt8]) -> [LineSplitter.Line] {
        var parts = bytes.split(separator: 10, omittingEmptySubsequences: false).map(Array.init)
        if bytes.last == 10 || bytes.isEmpty { parts.removeLast() }
        return parts.map { p in
            LineSplitter.Line(
                text: String(decoding: p.prefix(LineSplitter.lineBytes), as: UTF8.self),
                cut: max(0, p.count - LineSplitter.lineBytes))
        }
    }

    @Test(arguments: [1, 7, 4096, 1 << 16])
    func lineSplitterMatchesASplitOfTheWholeStream(chunk: Int) {
        var generator = SystemRandomNumberGenerator()
        var bytes: [UInt8] = []
        for k in 0..<200 {
            let length =
                k % 50 == 7
                ? LineSplitter.lineBytes + Int.random(in: 0..<3000, using: &generator)
                : Int.random(in: 0..<40, using: &generator)
            bytes += (0..<length).map { _ in UInt8.random(in: 32..<127, using: &generator) }
            bytes.append(10)
        }
        bytes += Array("no newline at the end".utf8)
        var splitter = LineSplitter()
        var lines: [LineSplitter.Line] = []
        var start = 0
        while start < bytes.count {
            let end = min(bytes.count, start + chunk)
            bytes[start..<end].withUnsafeBytes { splitter.feed($0, into: &lines) }
            start = end
        }
        splitter.finish(into: &lines)
        #expect(lines == expected(bytes))
    }

    @Test func aHugeLineIsKeptToItsFirstBytesAndTheRestCounted() {
        var splitter = LineSplitter()
        var lines: [LineSplitter.Line] = []
        let chunk = [UInt8](repeating: UInt8(ascii: "x"), count: 1 << 16)
        for _ in 0..<320 { chunk.withUnsafeBytes { splitter.feed($0, into: &lines) } }
        #expect(lines.isEmpty)
        splitter.finish(into: &lines)
        #expect(lines.count == 1)
        #expect(lines.first?.text.utf8.count == LineSplitter.lineBytes)
        #expect(lines.first?.cut == 320 << 16 - LineSplitter.lineBytes)
    }
}
