import QuernCore
import QuernKit
import QuernPlugins
import QuernTestSupport
import Testing

@Suite("CSV and TSV reading")
struct DelimitedReaderTests {
    let csv = try! PluginRegistry.builtIn.format("csv")
    let tsv = try! PluginRegistry.builtIn.format("tsv")

    struct Case: Sendable, CustomStringConvertible {
        var name: String
        var text: String
        var rows: [[String]]
        var description: String { name }
    }

    static let cases: [Case] = [
        Case(name: "plain LF", text: "a,b\n1,2\n3,4\n", rows: [["1", "2"], ["3", "4"]]),
        Case(name: "CRLF", text: "a,b\r\n1,2\r\n3,4\r\n", rows: [["1", "2"], ["3", "4"]]),
        Case(name: "no final newline", text: "a,b\n1,2\n3,4", rows: [["1", "2"], ["3", "4"]]),
        Case(name: "BOM", text: "\u{FEFF}a,b\n1,2\n", rows: [["1", "2"]]),
        Case(name: "quoted comma", text: "a,b\n\"x,y\",2\n", rows: [["x,y", "2"]]),
        Case(name: "escaped quotes", text: "a,b\n\"say \"\"hi\"\"\",2\n", rows: [["say \"hi\"", "2"]]),
        Case(
            name: "newline inside quotes", text: "a,b\n\"line1\nline2\",2\n3,4\n",
            rows: [["line1\nline2", "2"], ["3", "4"]]),
        Case(name: "CRLF inside quotes kept", text: "a,b\r\n\"x\r\ny\",2\r\n", rows: [["x\r\ny", "2"]]),
        Case(name: "empty fields", text: "a,b,c\n,,\n1,,3\n", rows: [["", "", ""], ["1", "", "3"]]),
        Case(name: "trailing empty field at EOF", text: "a,b\n1,", rows: [["1", ""]]),
        Case(name: "blank lines skipped", text: "a,b\n\n1,2\n\n\n3,4\n", rows: [["1", "2"], ["3", "4"]]),
        Case(name: "quoted empty", text: "a,b\n\"\",2\n", rows: [["", "2"]]),
        Case(name: "quoted last field with CRLF", text: "a,b\r\n1,\"2\"\r\n", rows: [["1", "2"]]),
        Case(name: "unicode", text: "a,b\nnaïve,日本\n", rows: [["naïve", "日本"]]),
    ]

    @Test("RFC 4180 cases, whole and fed 1, 3 and 7 bytes at a time", arguments: cases)
    func rfc4180(_ c: Case) throws {
        for step in [Int.max, 1, 3, 7] {
            let settings = ReaderSettings(chunkBytes: step == .max ? 1 << 20 : 16)
            let result = try readAll(csv, MemorySource(c.text, step: step), settings: settings)
            #expect(
                result.columns == ["a", "b", "c"].prefix(c.rows.first?.count ?? 2).map { $0 }, "columns, step \(step)")
            #expect(result.rows == c.rows, "step \(step)")
        }
    }

    @Test func recordLinesCountNewlinesInsideQuotes() throws {
        let r = try readAll(csv, MemorySource("a,b\n\"x\ny\",1\n2,3\n"))
        #expect(r.lines == [2, 4])
    }

    @Test func wrongFieldCountNamesTheLine() throws {
        #expect(throws: ReadError(line: 3, "1 fields, but the header has 2")) {
            try readAll(csv, MemorySource("a,b\n1,2\n3\n"))
        }
    }

    @Test func unterminatedQuoteIsAnError() throws {
        let error = #expect(throws: ReadError.self) { try readAll(csv, MemorySource("a,b\n\"open,2\n3,4\n")) }
        #expect(error?.reason.contains("never closed") == true)
        #expect(error?.line == 2)
    }

    @Test func invalidUTF8NamesTheColumn() throws {
        var bytes = Array("a,b\n1,".utf8)
        bytes += [0xFF, 0xFE, 0x0A]
        let error = #expect(throws: ReadError.self) { try readAll(csv, MemorySource(bytes)) }
        #expect(error?.description == "line 2: column 'b' is not valid UTF-8")
    }

    @Test func emptyFileHasNoHeader() throws {
        #expect(throws: ReadError.self) { try readAll(csv, MemorySource("")) }
    }

    @Test func duplicateHeaderIsRefused() throws {
        #expect(throws: ReadError.self) { try readAll(csv, MemorySource("a,a\n1,2\n")) }
    }

    @Test func tooLongRecordFailsCleanly() throws {
        let text = "a\n\"" + String(repeating: "x", count: 10_000)
        let error = #expect(throws: ReadError.self) {
            try readAll(csv, MemorySource(text), settings: ReaderSettings(maxRecordBytes: 4096, chunkBytes: 1024))
        }
        #expect(error?.reason.contains("longer than") == true)
    }

    @Test func tsvTreatsQuotesAsText() throws {
        let r = try readAll(tsv, MemorySource("a\tb\n\"x\t2\n"))
        #expect(r.rows == [["\"x", "2"]])
    }

    /// The fast tokenizer against the obvious slow one, on random quote-free tables cut into random chunks.
    @Test func agreesWithASlowSplitter() throws {
        var rng = SplitMix64(seed: 7)
        for _ in 0..<50 {
            let cols = Int(rng.next() % 6) + 1
            let rows = Int(rng.next() % 20)
            var lines = [(0..<cols).map { "c\($0)" }.joined(separator: ",")]
            for _ in 0..<rows {
                lines.append(
                    (0..<cols).map { _ in String(repeating: "x", count: Int(rng.next() % 5)) + String(rng.next() % 1000)
                    }.joined(separator: ","))
            }
            let text = lines.joined(separator: rng.next() % 2 == 0 ? "\n" : "\r\n") + "\n"
            // On bytes: Swift's String sees "\r\n" as one Character.
            let expected = Array(text.utf8).split(separator: UInt8(ascii: "\n")).dropFirst().map { line in
                line.filter { $0 != UInt8(ascii: "\r") }.split(
                    separator: UInt8(ascii: ","), omittingEmptySubsequences: false
                ).map {
                    String(decoding: $0, as: UTF8.self)
                }
            }
            let got = try readAll(
                csv, MemorySource(text, step: Int(rng.next() % 13) + 1), settings: ReaderSettings(chunkBytes: 32))
            #expect(got.rows == expected)
        }
    }

    /// Wide records (the eight-bytes-at-a-time path) against the slow splitter: up to 300 fields
    /// of up to 20 bytes, some non-ASCII, some quoted (the byte loop's records), LF or CRLF, read
    /// whole and in small chunks that cut records anywhere.
    @Test func wideRecordsAgreeWithASlowSplitter() throws {
        var rng = SplitMix64(seed: 19)
        let pieces = ["-0.5702", "12", "", "é", "日本", "x", "0.000001", "1234567", "abc,d"]
        for round in 0..<30 {
            let cols = Int(rng.next() % 299) + 2  // one empty field alone would be a blank line
            let rows = Int(rng.next() % 12)
            let crlf = rng.next() % 2 == 0
            var table = [(0..<cols).map { "c\($0)" }]
            for _ in 0..<rows {
                table.append(
                    (0..<cols).map { _ in
                        (0..<Int(rng.next() % 3)).map { _ in pieces[Int(rng.next() % UInt64(pieces.count))] }.joined()
                    })
            }
            let text =
                table.map { row in
                    row.map { $0.contains(",") ? "\"\($0)\"" : $0 }.joined(separator: ",")
                }.joined(separator: crlf ? "\r\n" : "\n") + "\n"
            for step in [Int.max, Int(rng.next() % 97) + 1] {
                let settings = ReaderSettings(chunkBytes: step == .max ? 1 << 20 : 4096)
                let got = try readAll(csv, MemorySource(text, step: step), settings: settings)
                #expect(got.columns == table[0], "round \(round)")
                #expect(got.rows == Array(table.dropFirst()), "round \(round), step \(step)")
            }
        }
    }

    /// A record the fast path reads may sit just before one with invalid UTF-8: the first is read,
    /// the second named, with its line.
    @Test func invalidUTF8AfterAPlainRecordNamesItsLine() throws {
        var bytes = Array("a,b\n1,2\n3,".utf8)
        bytes += [0xC3, 0x28, 0x0A]
        let error = #expect(throws: ReadError.self) { try readAll(csv, MemorySource(bytes)) }
        #expect(error?.description == "line 3: column 'b' is not valid UTF-8")
    }
}
