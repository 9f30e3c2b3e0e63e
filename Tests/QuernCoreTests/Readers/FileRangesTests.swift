import Foundation
import QuernKit
import QuernTestSupport
import Testing

@testable import QuernCore

/// A big file read in ranges must give the records of the file read whole: every range starts at a
/// record (quotes holding delimiters, line feeds and doubled quotes, CRLF, blank lines), and the
/// lines the host names are the file's own.
@Suite("Reading one file in byte ranges")
struct FileRangesTests {
    /// A random table as CSV text, with awkward fields.
    static func table(seed: UInt64, rows: Int, delimiter: Character = ",") -> String {
        var rng = SplitMix64(seed: seed)
        let cells = ["1", "2.5", "", "x", "\"a\nb\"", "\"q\"\"uote\"", "\"d\(delimiter)e\"", "\"\"", "\"\r\n\"", "zz"]
        var text = rng.next() % 2 == 0 ? "\u{FEFF}" : ""
        text += "\n"  // a blank line before the header
        text += "a\(delimiter)\"b\nb\"\(delimiter)c\n"
        for _ in 0..<rows {
            if rng.next() % 17 == 0 { text += rng.next() % 2 == 0 ? "\n" : "\r\n" }
            let fields = (0..<3).map { _ in cells[Int(rng.next() % UInt64(cells.count))] }
            text += fields.joined(separator: String(delimiter)) + (rng.next() % 5 == 0 ? "\r\n" : "\n")
        }
        return text
    }

    /// Each record's fields and line, as the reader gives them.
    static func records(_ reader: any RecordReader, lineOffset: Int = 0) throws -> [[String]] {
        let record = Record()
        var out: [[String]] = []
        while try reader.next(into: record) {
            out.append(["line \(record.line + lineOffset)"] + (0..<record.count).map { record.string($0) })
        }
        return out
    }

    @Test(arguments: [1, 2, 3, 4, 5, 6, 7, 8])
    func rangesGiveTheRecordsOfTheWholeFileWithTheirLines(seed: Int) throws {
        let ws = TempWorkspace()
        let text = Self.table(seed: UInt64(seed), rows: 3000)
        let path = ws.write("t.csv", text)
        let splitting = RecordSplitting(delimiter: UInt8(ascii: ","), quote: UInt8(ascii: "\""))
        let whole = try Self.records(
            DelimitedReader(
                MemorySource(text), delimiter: UInt8(ascii: ","), quote: UInt8(ascii: "\""),
                settings: ReaderSettings()))
        for rangeBytes in [4096, 5000, 9999] {
            let ranges = FileRanges(path: path, size: text.utf8.count, rangeBytes: rangeBytes, splitting: splitting)
            #expect(ranges.count > 3)
            var pieces: [[String]] = []
            var end = 0
            for k in 0..<ranges.count {
                let r = try ranges.range(k)
                #expect(r.start == end, "range \(k) starts where range \(k - 1) ends")
                end = r.end
                if k > 0 && r.start == r.end { continue }
                let reader = try DelimitedReader(
                    RangeSource(path: path, range: r), delimiter: UInt8(ascii: ","), quote: UInt8(ascii: "\""),
                    settings: ReaderSettings(chunkBytes: 777))
                #expect(reader.columns == ["a", "b\nb", "c"])
                pieces += try Self.records(reader, lineOffset: r.lineOffset)
            }
            #expect(end == text.utf8.count)
            #expect(pieces.count == whole.count, "range bytes \(rangeBytes)")
            if let i = pieces.indices.first(where: { $0 < whole.count && pieces[$0] != whole[$0] }) {
                Issue.record("range bytes \(rangeBytes): record \(i) is \(pieces[i]), read whole \(whole[i])")
            }
            #expect(try ranges.fileCRC().value == CRC32.of(Array(text.utf8)))
        }
    }

    /// Every record end and line count, scanning `bytes` in chunks of the given sizes (cycled).
    static func recordEnds(_ bytes: [UInt8], chunks: [Int]) -> [(offset: Int, lines: Int)] {
        var scanner = RecordSplitting(delimiter: UInt8(ascii: ","), quote: UInt8(ascii: "\"")).scanner()
        var ends: [(Int, Int)] = []
        var offset = 0
        var k = 0
        bytes.withUnsafeBytes { all in
            while offset < all.count {
                let n = min(chunks[k % chunks.count], all.count - offset)
                k += 1
                var done = 0
                while done < n {
                    let chunk = UnsafeRawBufferPointer(rebasing: all[(offset + done)..<(offset + n)])
                    guard let end = scanner.scan(chunk, boundaryFrom: 0) else { break }
                    done += end
                    ends.append((offset + done, scanner.lineFeeds))
                }
                offset += n
            }
        }
        return ends
    }

    @Test(arguments: [1, 2, 3])
    func theScannerFindsTheSameRecordEndsWhateverTheChunks(seed: Int) {
        let bytes = Array(Self.table(seed: UInt64(seed), rows: 2000).utf8)
        let whole = Self.recordEnds(bytes, chunks: [bytes.count])
        var rng = SplitMix64(seed: UInt64(seed))
        let sizes = (0..<50).map { _ in 1 + Int(rng.next() % 200) }
        let pieces = Self.recordEnds(bytes, chunks: sizes)
        #expect(whole.count > 2000)
        #expect(pieces.map(\.offset) == whole.map(\.offset))
        #expect(pieces.map(\.lines) == whole.map(\.lines))
        let oneByte = Self.recordEnds(bytes, chunks: [1])
        #expect(oneByte.map(\.offset) == whole.map(\.offset))
    }

    /// The scanner counts line feeds 8 bytes at a time: every byte value but the line feed (0x8A and
    /// 0x0B among them) must count as nothing, at any alignment and run length.
    @Test(arguments: [1, 2, 3, 4])
    func lineFeedsAreCountedExactlyInLongUnquotedRuns(seed: Int) {
        var rng = SplitMix64(seed: UInt64(seed))
        let quote = UInt8(ascii: "\"")
        var bytes: [UInt8] = []
        for _ in 0..<20_000 {
            let r = rng.next() % 10
            let b: UInt8 = r == 0 ? 0x0A : r == 1 ? 0x8A : r == 2 ? 0x0B : UInt8(truncatingIfNeeded: rng.next())
            bytes.append(b == quote ? 0x0A : b)
        }
        let expected = bytes.reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) }
        for start in 0..<9 {
            var scanner = RecordSplitting(delimiter: UInt8(ascii: ","), quote: quote).scanner()
            let slice = Array(bytes[start...])
            let end = slice.withUnsafeBytes { scanner.scan($0, boundaryFrom: slice.count + 1) }
            #expect(end == nil)
            #expect(scanner.lineFeeds == expected - bytes[..<start].reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) })
        }
    }

    @Test func aStrayQuoteEndsTheRangesSoTheReaderNamesItsLine() throws {
        let ws = TempWorkspace()
        var text = "a,b\n" + String(repeating: "1,2\n", count: 3000)
        text += "3,x\"y\n" + String(repeating: "4,5\n", count: 3000)
        let path = ws.write("t.csv", text)
        let ranges = FileRanges(
            path: path, size: text.utf8.count, rangeBytes: 4096,
            splitting: RecordSplitting(delimiter: UInt8(ascii: ","), quote: UInt8(ascii: "\"")))
        var failures: [Int?] = []
        for k in 0..<ranges.count {
            let r = try ranges.range(k)
            if k > 0 && r.start == r.end { continue }
            let reader = try DelimitedReader(
                RangeSource(path: path, range: r), delimiter: UInt8(ascii: ","), quote: UInt8(ascii: "\""),
                settings: ReaderSettings())
            do {
                _ = try Self.records(reader)
            } catch let e as ReadError {
                failures.append(e.line.map { $0 + r.lineOffset })
            }
        }
        #expect(failures == [3002])
    }

    @Test func aTabFileWithoutQuotingHasARangeAtEveryLine() throws {
        let ws = TempWorkspace()
        let text = "a\tb\n" + (0..<4000).map { "\"\($0)\t\($0)\n" }.joined()
        let path = ws.write("t.tsv", text)
        let ranges = FileRanges(
            path: path, size: text.utf8.count, rangeBytes: 4096,
            splitting: RecordSplitting(delimiter: UInt8(ascii: "\t"), quote: nil))
        var rows = 0
        for k in 0..<ranges.count {
            let r = try ranges.range(k)
            if k > 0 && r.start == r.end { continue }
            let reader = try DelimitedReader(
                RangeSource(path: path, range: r), delimiter: UInt8(ascii: "\t"), quote: nil,
                settings: ReaderSettings())
            let records = try Self.records(reader, lineOffset: r.lineOffset)
            for (i, rec) in records.enumerated() {
                #expect(rec[0] == "line \(Int(rec[2])! + 2)", "range \(k), record \(i)")
            }
            rows += records.count
        }
        #expect(rows == 4000)
    }
}
