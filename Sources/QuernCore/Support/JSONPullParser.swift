import Foundation

/// A strict pull parser over one JSON document in memory, for the few hot paths where
/// JSONDecoder's generic decoding shows in a profile: the journal of a 20,000-file dataset (2.4 MB,
/// a record per input file) took JSONDecoder 0.4 s of a 1.5 s `quern merge`. Written by hand
/// because no JSON package of the mirror decodes faster than Foundation's.
///
/// It reads only what it fully understands and throws on anything else (numbers with a fraction
/// where an integer is asked for, lone surrogates, invalid UTF-8, ...). Its callers then decode the
/// same bytes with JSONDecoder, so the fast path can make reading quicker, never different.
struct JSONPullParser {
    struct Unsupported: Error {}

    private let bytes: UnsafeRawBufferPointer
    private var i = 0
    /// Set by ``nextMember()`` / ``nextElement()`` once the first member or element is read, so the
    /// next one needs a comma. One flag per open container.
    private var needsComma: [Bool] = []

    init(_ bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
    }

    private mutating func skipSpace() {
        while i < bytes.count {
            switch bytes[i] {
            case 0x20, 0x0A, 0x0D, 0x09: i += 1
            default: return
            }
        }
    }

    private mutating func take(_ c: UInt8) throws {
        skipSpace()
        guard i < bytes.count, bytes[i] == c else { throw Unsupported() }
        i += 1
    }

    /// The document holds nothing more (whitespace only).
    mutating func end() throws {
        skipSpace()
        guard i == bytes.count, needsComma.isEmpty else { throw Unsupported() }
    }

    /// `{`: then ``nextMember()`` until it returns nil.
    mutating func beginObject() throws {
        try take(UInt8(ascii: "{"))
        needsComma.append(false)
    }

    /// The next member's key (its value is read next), or nil at the object's `}`.
    mutating func nextMember() throws -> String? {
        skipSpace()
        guard i < bytes.count, let open = needsComma.last else { throw Unsupported() }
        if bytes[i] == UInt8(ascii: "}") {
            i += 1
            needsComma.removeLast()
            return nil
        }
        if open { try take(UInt8(ascii: ",")) }
        needsComma[needsComma.count - 1] = true
        let key = try string()
        try take(UInt8(ascii: ":"))
        return key
    }

    /// `[`: then ``nextElement()`` until it returns false.
    mutating func beginArray() throws {
        try take(UInt8(ascii: "["))
        needsComma.append(false)
    }

    /// Whether another element follows (read it next); false at the array's `]`.
    mutating func nextElement() throws -> Bool {
        skipSpace()
        guard i < bytes.count, let open = needsComma.last else { throw Unsupported() }
        if bytes[i] == UInt8(ascii: "]") {
            i += 1
            needsComma.removeLast()
            return false
        }
        if open { try take(UInt8(ascii: ",")) }
        needsComma[needsComma.count - 1] = true
        return true
    }

    /// Reads `null` if it is next.
    mutating func null() -> Bool {
        skipSpace()
        guard i + 4 <= bytes.count, bytes[i] == UInt8(ascii: "n"), bytes[i + 1] == UInt8(ascii: "u"),
            bytes[i + 2] == UInt8(ascii: "l"), bytes[i + 3] == UInt8(ascii: "l")
        else { return false }
        i += 4
        return true
    }

    /// A string; escapes decoded, the bytes checked as UTF-8.
    mutating func string() throws -> String {
        try take(UInt8(ascii: "\""))
        let start = i
        var ascii = true
        while i < bytes.count {
            let b = bytes[i]
            if b == UInt8(ascii: "\"") {
                let raw = UnsafeRawBufferPointer(rebasing: bytes[start..<i])
                i += 1
                // ASCII needs no validation (and String(validating:) is a generic, slow path).
                if ascii { return String(decoding: raw, as: UTF8.self) }
                guard let text = String(validating: raw, as: UTF8.self) else { throw Unsupported() }
                return text
            }
            if b == UInt8(ascii: "\\") { return try escapedString(from: start) }
            guard b >= 0x20 else { throw Unsupported() }
            ascii = ascii && b < 0x80
            i += 1
        }
        throw Unsupported()
    }

    /// The rest of a string that holds escapes: `i` is at the first backslash.
    private mutating func escapedString(from start: Int) throws -> String {
        var out = [UInt8](UnsafeRawBufferPointer(rebasing: bytes[start..<i]))
        while i < bytes.count {
            let b = bytes[i]
            i += 1
            switch b {
            case UInt8(ascii: "\""):
                guard let text = String(validating: out, as: UTF8.self) else { throw Unsupported() }
                return text
            case UInt8(ascii: "\\"):
                guard i < bytes.count else { throw Unsupported() }
                let e = bytes[i]
                i += 1
                switch e {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(e)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0C)
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "u"):
                    var scalar = try hex4()
                    if (0xD800..<0xDC00).contains(scalar) {
                        // A high surrogate must be followed by an escaped low one.
                        guard i + 1 < bytes.count, bytes[i] == UInt8(ascii: "\\"), bytes[i + 1] == UInt8(ascii: "u")
                        else { throw Unsupported() }
                        i += 2
                        let low = try hex4()
                        guard (0xDC00..<0xE000).contains(low) else { throw Unsupported() }
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    }
                    guard let s = Unicode.Scalar(scalar) else { throw Unsupported() }
                    out.append(contentsOf: Array(String(s).utf8))
                default: throw Unsupported()
                }
            default:
                guard b >= 0x20 else { throw Unsupported() }
                out.append(b)
            }
        }
        throw Unsupported()
    }

    private mutating func hex4() throws -> UInt32 {
        guard i + 4 <= bytes.count else { throw Unsupported() }
        var v: UInt32 = 0
        for _ in 0..<4 {
            let b = bytes[i]
            i += 1
            let d: UInt8
            switch b {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): d = b - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): d = b - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): d = b - UInt8(ascii: "A") + 10
            default: throw Unsupported()
            }
            v = v << 4 | UInt32(d)
        }
        return v
    }

    /// An integer written as JSON writes one (`-?(0|[1-9][0-9]*)`) that fits in 64 bits; a
    /// fraction or an exponent throws.
    mutating func int() throws -> Int {
        skipSpace()
        var negative = false
        if i < bytes.count, bytes[i] == UInt8(ascii: "-") {
            negative = true
            i += 1
        }
        let start = i
        // Accumulated negative, so Int.min fits.
        var v = 0
        var overflow = false
        while i < bytes.count, bytes[i] &- UInt8(ascii: "0") < 10 {
            let (m, o1) = v.multipliedReportingOverflow(by: 10)
            let (s, o2) = m.subtractingReportingOverflow(Int(bytes[i] &- UInt8(ascii: "0")))
            overflow = overflow || o1 || o2
            v = s
            i += 1
        }
        let digits = i - start
        guard !overflow, digits > 0, digits == 1 || bytes[start] != UInt8(ascii: "0") else { throw Unsupported() }
        if !negative {
            guard v != Int.min else { throw Unsupported() }
            v = -v
        }
        if i < bytes.count {
            switch bytes[i] {
            case UInt8(ascii: "."), UInt8(ascii: "e"), UInt8(ascii: "E"): throw Unsupported()
            default: break
            }
        }
        return v
    }

    /// A finite number, parsed by the standard library (correctly rounded, as JSONDecoder's).
    mutating func double() throws -> Double {
        skipSpace()
        let start = i
        func digits() -> Int {
            let s = i
            while i < bytes.count, bytes[i] &- UInt8(ascii: "0") < 10 { i += 1 }
            return i - s
        }
        if i < bytes.count, bytes[i] == UInt8(ascii: "-") { i += 1 }
        let intStart = i
        let whole = digits()
        guard whole > 0, whole == 1 || bytes[intStart] != UInt8(ascii: "0") else { throw Unsupported() }
        if i < bytes.count, bytes[i] == UInt8(ascii: ".") {
            i += 1
            guard digits() > 0 else { throw Unsupported() }
        }
        if i < bytes.count, bytes[i] == UInt8(ascii: "e") || bytes[i] == UInt8(ascii: "E") {
            i += 1
            if i < bytes.count, bytes[i] == UInt8(ascii: "+") || bytes[i] == UInt8(ascii: "-") { i += 1 }
            guard digits() > 0 else { throw Unsupported() }
        }
        let text = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<i]), as: UTF8.self)
        guard let v = Double(text), v.isFinite else { throw Unsupported() }
        return v
    }

    /// An object of integers (`{"reason": 3}`); a repeated key throws.
    mutating func intDictionary() throws -> [String: Int] {
        var out: [String: Int] = [:]
        try beginObject()
        while let key = try nextMember() {
            guard out.updateValue(try int(), forKey: key) == nil else { throw Unsupported() }
        }
        return out
    }

    /// Runs `body` on a parser over `data`, which must hold exactly one value that `body` reads;
    /// nil when anything in it is not understood.
    static func parse<T>(_ data: Data, _ body: (inout JSONPullParser) throws -> T) -> T? {
        data.withUnsafeBytes { raw in
            var p = JSONPullParser(raw)
            guard let value = try? body(&p), (try? p.end()) != nil else { return nil }
            return value
        }
    }
}

/// Which members of an object were read, to refuse a repeated key (JSONDecoder's own rule for
/// them is not one to guess at) and to tell a missing required one.
struct JSONMembersSeen {
    private var bits: UInt64 = 0

    /// Marks member `n` read; throws if it was already.
    mutating func mark(_ n: Int) throws {
        let bit: UInt64 = 1 << UInt64(n)
        guard bits & bit == 0 else { throw JSONPullParser.Unsupported() }
        bits |= bit
    }

    func has(_ n: Int) -> Bool { bits & (1 << UInt64(n)) != 0 }
}
