import Foundation
import QuernCore
import QuernKit
import QuernTestSupport
import Testing

/// Journal lines are read by a hand-written decoder (``JournalEntry/decodeFast(_:)``) before
/// JSONDecoder. Whatever it returns must be what JSONDecoder returns for the same bytes, and what
/// it does not understand must come back nil, so JSONDecoder decides.
@Suite("Journal lines: the fast decoder agrees with JSONDecoder")
struct JournalFastDecodeTests {
    /// Strings a journal can hold: file names and reasons with quotes, backslashes, control
    /// characters, non-ASCII letters and emoji (escaped or raw UTF-8 by the encoder).
    static let hostileStrings = [
        "", "a", "game 1.csv", "quote\"d", "back\\slash", "new\nline", "tab\tand\r", "\u{1}\u{1f}", "/slash/",
        "é naïve", "😀 emoji", "$(rm -rf x)", "\u{7f}del", "日本語.csv", "\u{2028}sep",
    ]

    /// A journal entry with hostile strings, extreme numbers and every optional member present
    /// or not (built as JSON: the types' memberwise initializers are internal).
    func entry(seed: UInt64) throws -> JournalEntry {
        var rng = SplitMix64(seed: seed)
        func text() -> String {
            let count = Int(rng.next() % 3 + 1)
            var out = ""
            for _ in 0..<count { out += Self.hostileStrings[Int(rng.next() % UInt64(Self.hostileStrings.count))] }
            return out
        }
        var files: [[String: Any]] = []
        for k in 0..<Int(rng.next() % 6) {
            var record: [String: Any] = [
                "name": text() + "\(k)", "size": Int(rng.next() % 1_000_000_000),
                "mtimeNs": Int64(bitPattern: rng.next()), "crc32": String(rng.next() % 0xFFFF_FFFF, radix: 16),
                "rows": k * 75,
                "skipped": rng.next() % 2 == 0 ? [:] : [text(): Int(rng.next() % 9), "empty": 3],
                "notes": rng.next() % 2 == 0 ? [:] : ["non-finite": Int(rng.next() % 100)],
            ]
            if rng.next() % 3 == 0 {
                record["errorLine"] = Int(rng.next() % 1000)
                record["error"] = text()
            }
            if rng.next() % 3 == 0 {
                record["failedRecords"] = (0..<Int(rng.next() % 3)).map {
                    ["line": $0 + 2, "reason": text()] as [String: Any]
                }
            }
            files.append(record)
        }
        var object: [String: Any] = [
            "batch": Int(rng.next() % 100_000),
            "parts": (0..<Int(rng.next() % 3 + 1)).map {
                ["file": "batch_000001.00\($0).npz", "rows": 75, "bytes": 12_345, "crc32": "0c1be877"] as [String: Any]
            },
            "files": files, "codec": rng.next() % 2 == 0 ? "lz4:0" : "zstd:1", "fingerprint": "b73a5695147bb587",
            "seconds": Double(rng.next() % 1_000_000) / 997.0,
        ]
        if rng.next() % 2 == 0 { object["skipped"] = ["empty": 2, text(): 1] }
        if rng.next() % 2 == 0 { object["spent"] = Double(rng.next() % 1000) * 0.1 }
        return try JSONDecoder().decode(JournalEntry.self, from: JSONSerialization.data(withJSONObject: object))
    }

    @Test(arguments: 0..<200)
    func whatTheJournalWritesReadsBackTheSame(seed: Int) throws {
        let e = try entry(seed: UInt64(seed))
        let line = Data(JSONLines.encode(e).utf8)
        #expect(JournalEntry.decodeFast(line) == e)
        #expect(try JSONDecoder().decode(JournalEntry.self, from: line) == e)
    }

    /// Damaged lines (bytes replaced, inserted or removed, JSON's own characters among them): the
    /// fast decoder either leaves a line to JSONDecoder or reads exactly what JSONDecoder reads.
    @Test(arguments: 0..<20)
    func damagedLinesAreNeverReadDifferently(seed: Int) throws {
        var rng = SplitMix64(seed: UInt64(1000 + seed))
        let alphabet = Array(#"{}[]:,"\ 0123456789.-+eEnulltrfa/"#.utf8) + [0x0A, 0x09, 0x00, 0x80, 0xC3, 0xFF]
        let line = Array(JSONLines.encode(try entry(seed: UInt64(seed))).utf8)
        var readAnyway = 0
        for _ in 0..<200 {
            var bytes = line
            for _ in 0..<Int(rng.next() % 3 + 1) {
                let at = Int(rng.next() % UInt64(bytes.count))
                let b = alphabet[Int(rng.next() % UInt64(alphabet.count))]
                switch rng.next() % 3 {
                case 0: bytes[at] = b
                case 1: bytes.insert(b, at: at)
                default: if bytes.count > 1 { bytes.remove(at: at) }
                }
            }
            let data = Data(bytes)
            guard let fast = JournalEntry.decodeFast(data) else { continue }
            readAnyway += 1
            #expect(
                fast == (try? JSONDecoder().decode(JournalEntry.self, from: data)),
                "\(String(decoding: bytes, as: UTF8.self))")
        }
        // Some damage leaves a valid line (a digit for a digit): those are read, and agree.
        #expect(readAnyway > 0 && readAnyway < 200)
    }

    /// Real lines of a real extract, with a malformed file (an error) and a bad record.
    @Test func realJournalLinesDecodeAsJSONDecoderDoes() throws {
        let ws = TempWorkspace()
        try GamesGenerator(seed: 4, rows: 6).write(files: 12, to: "\(ws.path)/in")
        try Data("game_id,turn\nbroken".utf8).write(to: URL(fileURLWithPath: "\(ws.path)/in/zz bad \"name\".csv"))
        _ = try QuernProcess.run(
            ["extract", "--config", ExtractConfig.path, "--input-dir", "in", "--files-per-batch", "5", "-q"],
            cwd: ws.path)
        let lines = try JSONLines.read("\(ws.path)/data/intermediate/journal.jsonl")
        #expect(lines.count == 3)
        #expect(
            lines.contains {
                (try? JSONDecoder().decode(JournalEntry.self, from: $0))?.files.contains { $0.error != nil } == true
            })
        for line in lines {
            let fast = try #require(JournalEntry.decodeFast(line))
            #expect(fast == (try JSONDecoder().decode(JournalEntry.self, from: line)))
        }
    }

    /// Lines JSONDecoder reads but the fast decoder leaves to it: an unknown member, an integer
    /// written with a fraction, a repeated member, a trailing comma. Lines in another member order or with spaces it
    /// reads itself.
    @Test func whatItDoesNotUnderstandIsLeftToJSONDecoder() throws {
        let base =
            #"{"batch":3,"codec":"lz4:0","files":[],"fingerprint":"f","parts":[{"bytes":9,"crc32":"c","file":"p","rows":1}],"seconds":0.5}"#
        let expected = try JSONDecoder().decode(JournalEntry.self, from: Data(base.utf8))
        for reordered in [
            #" { "seconds" : 0.5 , "parts":[{"file":"p","rows":1,"bytes":9,"crc32":"c"}], "fingerprint":"f","files":[ ],"codec":"lz4:0","batch":3 } "#,
            #"{"batch":3,"codec":"lz4:0","files":[],"fingerprint":"f","parts":[{"bytes":9,"crc32":"c","file":"p","rows":1}],"seconds":5e-1,"skipped":null,"spent":null}"#,
        ] {
            #expect(JournalEntry.decodeFast(Data(reordered.utf8)) == expected, "\(reordered)")
        }
        let leftToJSONDecoder = [
            base.replacingOccurrences(of: #""batch":3"#, with: #""batch":3,"future":[1,{"a":2}]"#),
            base.replacingOccurrences(of: #""batch":3"#, with: #""batch":3.0"#),
            base.replacingOccurrences(of: #""seconds":0.5"#, with: #""seconds":0.5,"seconds":0.5"#),
            // Foundation's JSONDecoder allows a trailing comma; the fast path does not.
            base.replacingOccurrences(of: #""seconds":0.5}"#, with: #""seconds":0.5,}"#),
        ]
        for text in leftToJSONDecoder {
            #expect(JournalEntry.decodeFast(Data(text.utf8)) == nil, "\(text)")
        }
        // ... and the journal still reads them, through JSONDecoder.
        let ws = TempWorkspace()
        let lines =
            leftToJSONDecoder[0] + "\n"
            + leftToJSONDecoder[1].replacingOccurrences(of: "\"batch\":3.0", with: "\"batch\":4.0") + "\n"
        try Data(lines.utf8).write(to: URL(fileURLWithPath: "\(ws.path)/journal.jsonl"))
        let state = try JournalState.load(from: ws.path)
        #expect(state.entries.keys.sorted() == [3, 4])
        #expect(state.damagedLines.isEmpty)
    }

    /// Broken JSON is never read by the fast path: JSONDecoder refuses it too, and the journal
    /// lists the line as damaged.
    @Test(arguments: [
        #"{"batch":3,"codec":"lz4:0","files":[],"fingerprint":"f","parts":[],"seconds":0.5"#,
        #"{"batch":3,"codec":"lz4:0","files":[],"fingerprint":"f","parts":[],"seconds":0.5}x"#,
        #"{"batch":03,"codec":"lz4:0","files":[],"fingerprint":"f","parts":[],"seconds":0.5}"#,
        #"{"batch":3,"codec":"\ud800","files":[],"fingerprint":"f","parts":[],"seconds":0.5}"#,
        #"{"batch":3,"codec":"a"# + "\t" + #"b","files":[],"fingerprint":"f","parts":[],"seconds":0.5}"#,
        #"{"batch":99999999999999999999,"codec":"","files":[],"fingerprint":"f","parts":[],"seconds":0.5}"#,
        #"{"batch":3,"codec":"","files":[],"fingerprint":"f","parts":[],"seconds":1e999}"#,
        #"{"batch":3,"codec":"","files":[],"fingerprint":"f","parts":[]}"#,
    ])
    func brokenLinesAreNotRead(_ text: String) throws {
        #expect(JournalEntry.decodeFast(Data(text.utf8)) == nil)
        #expect((try? JSONDecoder().decode(JournalEntry.self, from: Data(text.utf8))) == nil)
    }

    @Test func invalidUTF8IsNotRead() {
        var bytes = Array(#"{"batch":3,"codec":"x","files":[],"fingerprint":"f","parts":[],"seconds":0.5}"#.utf8)
        bytes[21] = 0xFF
        #expect(JournalEntry.decodeFast(Data(bytes)) == nil)
        #expect((try? JSONDecoder().decode(JournalEntry.self, from: Data(bytes))) == nil)
    }
}
