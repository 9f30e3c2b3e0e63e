import QuernCore
import QuernKit
import QuernPlugins
import QuernTestSupport
import Testing

@Suite("JSON Lines reading")
struct JSONLinesTests {
    let jsonl = try! PluginRegistry.builtIn.format("jsonl")

    @Test func flatObjectsInKeyOrder() throws {
        let text = """
            {"id": "g1", "x": 1.5, "ok": true, "tags": [1, 3], "s": "a\\"b\\u00e9\\n"}

            {"x": -2, "id": "g2", "extra": 7, "ok": false, "tags": [], "s": null}
            {"id": "g3"}
            """
        for step in [Int.max, 1, 5] {
            let r = try readAll(jsonl, MemorySource(text, step: step), settings: ReaderSettings(chunkBytes: 16))
            #expect(r.columns == ["id", "x", "ok", "tags", "s"])
            #expect(
                r.rows == [["g1", "1.5", "1", "1;3", "a\"bé\n"], ["g2", "-2", "0", "", ""], ["g3", "", "", "", ""]])
            #expect(r.lines == [1, 3, 4])
        }
    }

    @Test(arguments: [
        "{\"a\": 1,}", "{\"a\": {\"b\": 1}}", "[1, 2]", "{\"a\": 1} x", "{\"a\": tru}", "{\"a\": \"open}",
    ])
    func brokenLinesNameTheLine(_ bad: String) throws {
        let text = "{\"a\": 0}\n" + bad + "\n"
        let error = #expect(throws: ReadError.self) { try readAll(jsonl, MemorySource(text)) }
        #expect(error?.line == 2)
    }

    /// RFC 8259 and nothing more: each of these once read as a value.
    @Test(arguments: [
        ("+1", "'+1'"), ("012", "'012'"), ("1.", "'1.'"), (".5", "'.5'"), ("-", "'-'"), ("1e", "'1e'"),
        ("0x10", "'0x10'"),
        ("NaN", "'NaN'"), ("Infinity", "'Infinity'"), ("-Infinity", "'-Infinity'"), ("True", "'True'"),
        ("\"a\\ab\"", "invalid escape '\\a'"), ("\"\\x00\"", "invalid escape '\\x'"),
        ("\"\\u+041\"", "\\u must be followed by 4 hex digits"),
        ("\"\\u04\"", "\\u must be followed by 4 hex digits"), ("\"a\tb\"", "raw control character U+0009"),
        ("\"a\u{0}b\"", "raw control character U+0000"), ("\"\\'\"", "invalid escape '\\''"),
    ])
    func rejectsWhatIsNotJSON(_ bad: String, _ words: String) throws {
        let text = "{\"a\": 0}\n{\"a\": \(bad)}\n"
        for step in [Int.max, 1] {
            let error = #expect(throws: ReadError.self, "\(bad)") { try readAll(jsonl, MemorySource(text, step: step)) }
            #expect(error?.line == 2, "\(bad)")
            #expect(error?.reason.contains(words) == true, "\(bad): \(String(describing: error))")
        }
    }

    @Test func aByteOrderMarkStartingTheFileIsDropped() throws {
        let text = "\u{FEFF}{\"id\": \"g1\", \"x\": 2}\n{\"id\": \"g2\", \"x\": 3}\n"
        for step in [Int.max, 1, 2] {
            let r = try readAll(jsonl, MemorySource(text, step: step))
            #expect(r.columns == ["id", "x"])
            #expect(r.rows == [["g1", "2"], ["g2", "3"]])
        }
        // Anywhere else it is not JSON whitespace.
        let later = "{\"x\": 1}\n\u{FEFF}{\"x\": 2}\n"
        let error = #expect(throws: ReadError.self) { try readAll(jsonl, MemorySource(later)) }
        #expect(error?.line == 2)
    }

    /// A nested container is refused only once the whole line was found to be JSON, so a line
    /// that is both nested and broken is reported as broken.
    @Test func grammarErrorsComeBeforeUnsupportedNesting() throws {
        let broken = #expect(throws: ReadError.self) {
            try readAll(jsonl, MemorySource("{\"a\": [[1], {\"b\": 2}], \"c\": +1}\n"))
        }
        #expect(broken?.reason.contains("'+1'") == true, "\(String(describing: broken))")
        let nested = #expect(throws: ReadError.self) {
            try readAll(jsonl, MemorySource("{\"a\": [[1], {\"b\": [2, \"]\"]}], \"c\": 1}\n"))
        }
        #expect(nested?.reason.contains("not supported") == true, "\(String(describing: nested))")
    }

    /// Implementation-defined in RFC 8259 (JSONTestSuite's i_ cases): a lone surrogate escape reads
    /// as U+FFFD; bytes that are not UTF-8, in a key or a value, fail the line.
    @Test func loneSurrogatesAndInvalidUTF8() throws {
        let r = try readAll(jsonl, MemorySource("{\"s\": \"a\\ud800b\\udc00\", \"t\": \"\\ud83d\\ude00\"}\n"))
        #expect(r.rows == [["a\u{FFFD}b\u{FFFD}", "\u{1F600}"]])
        for bad: [UInt8] in [[0xFF], [0xC3], [0xED, 0xA0, 0x80]] {
            for line in [
                Array("{\"k\": \"".utf8) + bad + Array("\"}".utf8), Array("{\"k".utf8) + bad + Array("\": 1}".utf8),
            ] {
                let error = #expect(throws: ReadError.self) {
                    try readAll(jsonl, MemorySource(Array("{\"k\": 1}\n".utf8) + line))
                }
                #expect(error?.line == 2)
                #expect(error?.reason.contains("UTF-8") == true, "\(String(describing: error))")
            }
        }
    }

    /// The reader's hand-written UTF-8 check against the standard library's, on random bytes
    /// (mostly non-ASCII) inside a string: read, byte for byte, exactly when they are UTF-8.
    @Test func bytesInAStringAreReadExactlyWhenTheyAreUTF8() throws {
        var rng = SplitMix64(seed: 5)
        var valid = 0
        for _ in 0..<20_000 {
            let bytes = (0..<Int(rng.next() % 6 + 1)).map { _ -> UInt8 in
                let b = UInt8(truncatingIfNeeded: rng.next())
                return b < 0x80 && (b < 0x20 || b == UInt8(ascii: "\"") || b == UInt8(ascii: "\\")) ? b | 0x80 : b
            }
            let line = Array("{\"k\": \"".utf8) + bytes + Array("\"}\n".utf8)
            if let text = String(validating: bytes, as: UTF8.self) {
                valid += 1
                #expect(try readAll(jsonl, MemorySource(line)).rows == [[text]], "\(bytes)")
            } else {
                #expect(throws: ReadError.self, "\(bytes)") { try readAll(jsonl, MemorySource(line)) }
            }
        }
        #expect(valid > 500, "enough valid sequences to compare")
    }
}
