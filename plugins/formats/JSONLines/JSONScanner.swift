import QuernKit

/// The value grammar of RFC 8259 over the bytes of one JSON Lines line, and nothing more: numbers
/// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`, strings with the eight escapes and `\uXXXX`,
/// no raw control characters and only well-formed UTF-8, the literals `true`, `false`, `null`,
/// whitespace of space, tab, CR and LF. Hand-written on bytes because it runs over every byte of
/// every JSON Lines file: scalars are copied (unescaped) straight into the reader's scratch buffer,
/// with no allocation per value. `Tests/PluginTests/JSONTestSuiteTests` holds it to JSONTestSuite's
/// accept and reject cases; `JSONLinesTests` compares its UTF-8 check with the standard library's.
struct JSONScanner {
    /// What a scalar was, for the reader: `null` is a missing value.
    enum Scalar { case null, value }

    let b: UnsafePointer<UInt8>
    /// The end of the line (exclusive).
    let e: Int
    /// The line number, for errors.
    let line: Int

    func fail(_ why: String) -> ReadError { ReadError(line: line, why) }

    @inline(__always) static func isSpace(_ c: UInt8) -> Bool { c == 32 || c == 9 || c == 13 || c == 10 }

    /// Whether a scalar may end before `i`: only whitespace or structure can follow one.
    @inline(__always) func atDelimiter(_ i: Int) -> Bool {
        i == e || Self.isSpace(b[i]) || b[i] == UInt8(ascii: ",") || b[i] == UInt8(ascii: "]")
            || b[i] == UInt8(ascii: "}")
    }

    func skipSpace(_ i: inout Int) { while i < e, Self.isSpace(b[i]) { i += 1 } }

    /// A string, number or literal at `i`, its text appended to `out` (strings unescaped, `true`
    /// and `false` as `1` and `0`, numbers as written); `i` ends after it.
    func scalar(_ i: inout Int, into out: inout [UInt8]) throws(ReadError) -> Scalar {
        guard i < e else { throw fail("a value is missing") }
        let c = b[i]
        if c == UInt8(ascii: "\"") {
            try string(&i, into: &out)
            return .value
        }
        switch c {
        case UInt8(ascii: "n") where literal("null", at: i):
            i += 4
            return .null
        case UInt8(ascii: "t") where literal("true", at: i):
            i += 4
            out.append(UInt8(ascii: "1"))
            return .value
        case UInt8(ascii: "f") where literal("false", at: i):
            i += 5
            out.append(UInt8(ascii: "0"))
            return .value
        default: break
        }
        if let end = number(from: i), atDelimiter(end) {
            out.append(contentsOf: UnsafeBufferPointer(start: b + i, count: end - i))
            i = end
            return .value
        }
        var end = i
        while !atDelimiter(end) { end += 1 }
        if end == i { throw fail("a value is missing before \(RowError.shown(CollectionOfOne(c)))") }
        throw fail(
            "\(RowError.shown(UnsafeBufferPointer(start: b + i, count: end - i))) is not a JSON value (numbers are written like "
                + "-1.5e3, with no '+', leading zeros or bare '.'; NaN and Infinity are not JSON; text needs double quotes)"
        )
    }

    /// Whether `word` (ASCII) is at `i`, followed by a delimiter.
    @inline(__always) func literal(_ word: StaticString, at i: Int) -> Bool {
        let n = word.utf8CodeUnitCount
        guard i + n <= e, atDelimiter(i + n) else { return false }
        for k in 0..<n where b[i + k] != word.utf8Start[k] { return false }
        return true
    }

    /// The end of the number starting at `i`, or nil when none starts there.
    func number(from start: Int) -> Int? {
        var i = start
        if i < e, b[i] == UInt8(ascii: "-") { i += 1 }
        guard i < e else { return nil }
        if b[i] == UInt8(ascii: "0") {
            i += 1
        } else if b[i] &- UInt8(ascii: "1") < 9 {
            while i < e, b[i] &- UInt8(ascii: "0") < 10 { i += 1 }
        } else {
            return nil
        }
        if i < e, b[i] == UInt8(ascii: ".") {
            i += 1
            let digits = i
            while i < e, b[i] &- UInt8(ascii: "0") < 10 { i += 1 }
            guard i > digits else { return nil }
        }
        if i < e, b[i] | 0x20 == UInt8(ascii: "e") {
            i += 1
            if i < e, b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-") { i += 1 }
            let digits = i
            while i < e, b[i] &- UInt8(ascii: "0") < 10 { i += 1 }
            guard i > digits else { return nil }
        }
        return i
    }

    /// A string starting at its quote, unescaped into `out`; `i` ends after the closing quote.
    func string(_ i: inout Int, into out: inout [UInt8]) throws(ReadError) {
        i += 1
        var run = i  // bytes [run, i) are copied as they are, in one append
        while i < e {
            let c = b[i]
            if c == UInt8(ascii: "\"") {
                out.append(contentsOf: UnsafeBufferPointer(start: b + run, count: i - run))
                i += 1
                return
            }
            if c < 0x20 {
                throw fail(
                    "a raw control character U+\(hex4(UInt32(c))) in a string (JSON needs it escaped, as \\u\(hex4(UInt32(c))))"
                )
            }
            if c >= 0x80 {
                i = try utf8Sequence(at: i)
                continue
            }
            if c != UInt8(ascii: "\\") {
                i += 1
                continue
            }
            out.append(contentsOf: UnsafeBufferPointer(start: b + run, count: i - run))
            guard i + 1 < e else { break }
            let n = b[i + 1]
            i += 2
            switch n {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(n)
            case UInt8(ascii: "n"): out.append(10)
            case UInt8(ascii: "t"): out.append(9)
            case UInt8(ascii: "r"): out.append(13)
            case UInt8(ascii: "b"): out.append(8)
            case UInt8(ascii: "f"): out.append(12)
            case UInt8(ascii: "u"):
                var code = try hexEscape(at: i)
                i += 4
                if (0xD800..<0xDC00).contains(code), i + 6 <= e, b[i] == UInt8(ascii: "\\"),
                    b[i + 1] == UInt8(ascii: "u"),
                    let low = try? hexEscape(at: i + 2), (0xDC00..<0xE000).contains(low)
                {
                    code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                    i += 6
                }
                // A lone surrogate has no UTF-8 form: it reads as U+FFFD (RFC 8259 leaves it open).
                appendUTF8(Unicode.Scalar(code) ?? "\u{FFFD}", to: &out)
            default:
                let shown = n < 0x20 || n >= 0x7F ? "\\u\(hex4(UInt32(n)))" : String(UnicodeScalar(n))
                throw fail(
                    "an invalid escape '\\\(shown)' in a string (JSON escapes: \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)"
                )
            }
            run = i
        }
        throw fail("a string is not closed (missing '\"')")
    }

    /// The 4 hex digits after a `\u` at `i`.
    func hexEscape(at i: Int) throws(ReadError) -> UInt32 {
        guard i + 4 <= e else { throw fail("\\u must be followed by 4 hex digits") }
        var v: UInt32 = 0
        for k in i..<i + 4 {
            let c = b[k]
            let d: UInt8
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): d = c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): d = c - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): d = c - UInt8(ascii: "A") + 10
            default:
                throw fail(
                    "\\u must be followed by 4 hex digits, not \(RowError.shown(UnsafeBufferPointer(start: b + i, count: 4)))"
                )
            }
            v = v << 4 | UInt32(d)
        }
        return v
    }

    /// The end of the well-formed UTF-8 sequence of 2 to 4 bytes at `i` (Unicode, table 3-7).
    func utf8Sequence(at i: Int) throws(ReadError) -> Int {
        let c = b[i]
        let count: Int
        var low: UInt8 = 0x80
        var high: UInt8 = 0xBF  // the range of the second byte; later ones are 80...BF
        switch c {
        case 0xC2...0xDF: count = 2
        case 0xE0: (count, low) = (3, 0xA0)
        case 0xE1...0xEC, 0xEE...0xEF: count = 3
        case 0xED: (count, high) = (3, 0x9F)
        case 0xF0: (count, low) = (4, 0x90)
        case 0xF1...0xF3: count = 4
        case 0xF4: (count, high) = (4, 0x8F)
        default: throw fail("a string is not valid UTF-8 (byte 0x\(String(c, radix: 16, uppercase: true)))")
        }
        guard i + count <= e, (low...high).contains(b[i + 1]),
            (1..<count).allSatisfy({ $0 == 1 || b[i + $0] & 0xC0 == 0x80 })
        else {
            throw fail(
                "a string is not valid UTF-8 (byte 0x\(String(c, radix: 16, uppercase: true)) starts a broken sequence)"
            )
        }
        return i + count
    }

    /// Checks the value at `i` (any value, nested to any depth) against the grammar and steps
    /// over it. For the containers a record cannot hold: the reader refuses them only once the
    /// whole line is known to be JSON. Iterative, so deep nesting costs memory, not stack.
    func skipValue(_ i: inout Int) throws(ReadError) {
        var closers: [UInt8] = []
        var discard: [UInt8] = []
        value: while true {
            skipSpace(&i)
            guard i < e else { throw fail("a value is missing") }
            switch b[i] {
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                let closer = b[i] == UInt8(ascii: "{") ? UInt8(ascii: "}") : UInt8(ascii: "]")
                i += 1
                skipSpace(&i)
                if i < e, b[i] == closer {
                    i += 1
                } else {
                    closers.append(closer)
                    if closer == UInt8(ascii: "}") { try key(&i, discard: &discard) }
                    continue value
                }
            default:
                discard.removeAll(keepingCapacity: true)
                _ = try scalar(&i, into: &discard)
            }
            // After a value: close containers, or go on to the next member or element.
            while let closer = closers.last {
                skipSpace(&i)
                guard i < e else {
                    throw fail(
                        closer == UInt8(ascii: "}")
                            ? "an object is not closed (missing '}')" : "an array is not closed (missing ']')")
                }
                if b[i] == closer {
                    closers.removeLast()
                    i += 1
                } else if b[i] == UInt8(ascii: ",") {
                    i += 1
                    if closer == UInt8(ascii: "}") { try key(&i, discard: &discard) }
                    continue value
                } else {
                    throw fail(
                        "expected ',' or '\(Character(UnicodeScalar(closer)))', found \(RowError.shown(CollectionOfOne(b[i])))"
                    )
                }
            }
            return
        }
    }

    /// An object's `"key" :` at `i` (after `{` or `,`), checked and stepped over.
    private func key(_ i: inout Int, discard: inout [UInt8]) throws(ReadError) {
        skipSpace(&i)
        guard i < e, b[i] == UInt8(ascii: "\"") else { throw fail("expected a quoted key") }
        discard.removeAll(keepingCapacity: true)
        try string(&i, into: &discard)
        skipSpace(&i)
        guard i < e, b[i] == UInt8(ascii: ":") else { throw fail("expected ':' after a key") }
        i += 1
    }
}

private func hex4(_ v: UInt32) -> String {
    let digits = String(v, radix: 16, uppercase: true)
    return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
}

/// Appends the UTF-8 form of `scalar`: no String per escape.
private func appendUTF8(_ scalar: Unicode.Scalar, to out: inout [UInt8]) {
    let v = scalar.value
    switch v {
    case 0..<0x80: out.append(UInt8(v))
    case 0x80..<0x800: out.append(contentsOf: [UInt8(0xC0 | v >> 6), UInt8(0x80 | v & 0x3F)])
    case 0x800..<0x10000:
        out.append(contentsOf: [UInt8(0xE0 | v >> 12), UInt8(0x80 | v >> 6 & 0x3F), UInt8(0x80 | v & 0x3F)])
    default:
        out.append(contentsOf: [
            UInt8(0xF0 | v >> 18), UInt8(0x80 | v >> 12 & 0x3F), UInt8(0x80 | v >> 6 & 0x3F), UInt8(0x80 | v & 0x3F),
        ])
    }
}
