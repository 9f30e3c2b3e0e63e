#if canImport(Glibc)
    import Glibc
#endif

/// A parsed JSON value (RFC 8259), for the lines a command's program writes: plugins see no
/// Foundation, and a reply needs little. Each object member keeps the byte range of its value in
/// the line, so a `result` is kept as the program wrote it.
indirect enum JSONValue: Equatable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: Member])

    struct Member: Equatable {
        var value: JSONValue
        /// Where the value's text is in the parsed line.
        var span: Range<Int>
    }

    subscript(key: String) -> JSONValue? {
        if case .object(let members) = self { return members[key]?.value }
        return nil
    }

    /// What the value is, for messages ("a string", "an array").
    var kind: String {
        switch self {
        case .null: "null"
        case .bool: "true or false"
        case .number: "a number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }

    /// Parses one whole JSON text (surrounding whitespace allowed); the error says where and what.
    static func parse(_ bytes: [UInt8]) throws(JSONParseError) -> JSONValue {
        var p = JSONParser(bytes: bytes)
        p.skipSpace()
        let v = try p.value(depth: 0)
        p.skipSpace()
        guard p.pos == bytes.count else { throw p.error("text after the JSON value") }
        return v
    }

    /// `text` as a JSON string literal (quotes included), control characters escaped.
    static func quoted(_ text: String, into out: inout [UInt8]) {
        out.append(0x22)
        for b in text.utf8 {
            switch b {
            case 0x22: out += [0x5C, 0x22]
            case 0x5C: out += [0x5C, 0x5C]
            case 0x0A: out += [0x5C, 0x6E]
            case 0x0D: out += [0x5C, 0x72]
            case 0x09: out += [0x5C, 0x74]
            case 0..<0x20, 0x7F:
                let hex = Array("0123456789abcdef".utf8)
                out += [0x5C, 0x75, 0x30, 0x30, hex[Int(b >> 4)], hex[Int(b & 15)]]
            default: out.append(b)
            }
        }
        out.append(0x22)
    }
}

struct JSONParseError: Error, CustomStringConvertible {
    var offset: Int
    var reason: String
    var description: String { "not valid JSON at byte \(offset + 1): \(reason)" }
}

private struct JSONParser {
    let bytes: [UInt8]
    var pos = 0

    func error(_ reason: String) -> JSONParseError { JSONParseError(offset: pos, reason: reason) }

    mutating func skipSpace() {
        while pos < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[pos]) { pos += 1 }
    }

    mutating func value(depth: Int) throws(JSONParseError) -> JSONValue {
        guard depth < 200 else { throw error("nested more than 200 deep") }
        guard pos < bytes.count else { throw error("the text ends where a value should be") }
        switch bytes[pos] {
        case 0x7B: return try object(depth: depth)
        case 0x5B: return try array(depth: depth)
        case 0x22: return .string(try string())
        case 0x74: return try literal("true", .bool(true))
        case 0x66: return try literal("false", .bool(false))
        case 0x6E: return try literal("null", .null)
        default: return .number(try number())
        }
    }

    mutating func literal(_ word: String, _ v: JSONValue) throws(JSONParseError) -> JSONValue {
        let w = Array(word.utf8)
        guard pos + w.count <= bytes.count, Array(bytes[pos..<(pos + w.count)]) == w else {
            throw error("unexpected '\(String(decoding: bytes[pos..<min(pos + 8, bytes.count)], as: UTF8.self))'")
        }
        pos += w.count
        return v
    }

    mutating func object(depth: Int) throws(JSONParseError) -> JSONValue {
        pos += 1
        var members: [String: JSONValue.Member] = [:]
        skipSpace()
        if pos < bytes.count, bytes[pos] == 0x7D {
            pos += 1
            return .object(members)
        }
        while true {
            skipSpace()
            guard pos < bytes.count, bytes[pos] == 0x22 else { throw error("expected a member name in quotes") }
            let key = try string()
            skipSpace()
            guard pos < bytes.count, bytes[pos] == 0x3A else { throw error("expected ':' after a member name") }
            pos += 1
            skipSpace()
            let start = pos
            let v = try value(depth: depth + 1)
            members[key] = JSONValue.Member(value: v, span: start..<pos)
            skipSpace()
            guard pos < bytes.count else { throw error("the object is not closed") }
            if bytes[pos] == 0x2C {
                pos += 1
            } else if bytes[pos] == 0x7D {
                pos += 1
                return .object(members)
            } else {
                throw error("expected ',' or '}'")
            }
        }
    }

    mutating func array(depth: Int) throws(JSONParseError) -> JSONValue {
        pos += 1
        var items: [JSONValue] = []
        skipSpace()
        if pos < bytes.count, bytes[pos] == 0x5D {
            pos += 1
            return .array(items)
        }
        while true {
            skipSpace()
            items.append(try value(depth: depth + 1))
            skipSpace()
            guard pos < bytes.count else { throw error("the array is not closed") }
            if bytes[pos] == 0x2C {
                pos += 1
            } else if bytes[pos] == 0x5D {
                pos += 1
                return .array(items)
            } else {
                throw error("expected ',' or ']'")
            }
        }
    }

    mutating func hex4() throws(JSONParseError) -> UInt32 {
        guard pos + 4 <= bytes.count else { throw error("a \\u escape needs 4 hex digits") }
        var v: UInt32 = 0
        for b in bytes[pos..<(pos + 4)] {
            let d: UInt8
            switch b {
            case 0x30...0x39: d = b - 0x30
            case 0x61...0x66: d = b - 0x61 + 10
            case 0x41...0x46: d = b - 0x41 + 10
            default: throw error("a \\u escape needs 4 hex digits")
            }
            v = v << 4 | UInt32(d)
        }
        pos += 4
        return v
    }

    mutating func string() throws(JSONParseError) -> String {
        pos += 1
        var out: [UInt8] = []
        while true {
            guard pos < bytes.count else { throw error("the string is not closed") }
            let b = bytes[pos]
            pos += 1
            if b == 0x22 { break }
            if b < 0x20 { throw error("a control character in a string must be escaped") }
            guard b == 0x5C else {
                out.append(b)
                continue
            }
            guard pos < bytes.count else { throw error("the string is not closed") }
            let e = bytes[pos]
            pos += 1
            switch e {
            case 0x22, 0x5C, 0x2F: out.append(e)
            case 0x62: out.append(0x08)
            case 0x66: out.append(0x0C)
            case 0x6E: out.append(0x0A)
            case 0x72: out.append(0x0D)
            case 0x74: out.append(0x09)
            case 0x75:
                var scalar = try hex4()
                if (0xD800..<0xDC00).contains(scalar), pos + 1 < bytes.count, bytes[pos] == 0x5C, bytes[pos + 1] == 0x75
                {
                    pos += 2
                    let low = try hex4()
                    guard (0xDC00..<0xE000).contains(low) else { throw error("a lone surrogate in a \\u escape") }
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                }
                guard let u = Unicode.Scalar(scalar) else { throw error("a lone surrogate in a \\u escape") }
                out.append(contentsOf: Array(String(Character(u)).utf8))
            default: throw error("unknown escape '\\\(String(UnicodeScalar(e)))'")
            }
        }
        guard let text = String(validating: out, as: UTF8.self) else { throw error("the string is not UTF-8") }
        return text
    }

    mutating func number() throws(JSONParseError) -> Double {
        let start = pos
        if pos < bytes.count, bytes[pos] == 0x2D { pos += 1 }
        func digits() -> Int {
            let s = pos
            while pos < bytes.count, (0x30...0x39).contains(bytes[pos]) { pos += 1 }
            return pos - s
        }
        let intStart = pos
        guard digits() > 0 else { throw error("expected a value") }
        if bytes[intStart] == 0x30 && pos - intStart > 1 { throw error("a number has a leading zero") }
        if pos < bytes.count, bytes[pos] == 0x2E {
            pos += 1
            guard digits() > 0 else { throw error("expected digits after '.'") }
        }
        if pos < bytes.count, bytes[pos] == 0x65 || bytes[pos] == 0x45 {
            pos += 1
            if pos < bytes.count, bytes[pos] == 0x2B || bytes[pos] == 0x2D { pos += 1 }
            guard digits() > 0 else { throw error("expected digits in the exponent") }
        }
        let text = String(decoding: bytes[start..<pos], as: UTF8.self)
        guard let v = Double(text) else { throw error("'\(text)' is not a number") }
        return v
    }
}
