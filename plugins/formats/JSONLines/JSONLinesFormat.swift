public import QuernCore

/// JSON Lines: one flat JSON object per line. Columns are the keys of the first object, in order;
/// later objects may omit keys (missing) or add keys (ignored). Values are strings, numbers,
/// booleans (1/0), null (missing) or arrays of scalars (joined with `;`, as mask ids).
public struct JSONLinesFormat: InputFormat, InputFormatPlugin {
    public static let name = "jsonl"
    public static let summary = "JSON Lines: one flat JSON object per line"
    public static let options: [OptionSpec] = []
    public static let fileExtensions = ["jsonl", "ndjson"]

    public static func make(_ options: PluginOptions) throws -> any InputFormat { JSONLinesFormat() }

    public init() {}
    public var name: String { Self.name }

    public func open(_ source: any ByteSource, settings: ReaderSettings) throws(ReadError) -> any RecordReader {
        try JSONLinesReader(source, settings: settings)
    }
}

/// Reads JSON Lines with a small byte-level parser (no allocation per value: values are copied into
/// one scratch buffer per line).
final class JSONLinesReader: RecordReader {
    private(set) var columns: [String] = []
    private var index: [[UInt8]: Int] = [:]
    private let chunks: ChunkBuffer
    private var pos = 0
    private var line = 0
    private var scratch: [UInt8] = []
    private var pending: Record? = nil
    private var spans: [(Int, Int)?] = []

    init(_ source: any ByteSource, settings: ReaderSettings) throws(ReadError) {
        chunks = ChunkBuffer(source, settings: settings)
        _ = try chunks.refill(keepingFrom: 0, line: 1)
        let first = Record()
        var keys: [[UInt8]] = []
        guard try nextLine(into: first, learnKeys: &keys) else { throw ReadError(line: nil, "empty file: no JSON object") }
        columns = keys.map { String(decoding: $0, as: UTF8.self) }
        for (i, k) in keys.enumerated() { index[k] = i }
        pending = first
    }

    func next(into record: Record) throws(ReadError) -> Bool {
        if let p = pending {
            pending = nil
            // Re-parse the first line into the caller's record (cheap, once per file).
            record.reset(base: nil, line: p.line)
            spansToRecord(record)
            return true
        }
        var none: [[UInt8]] = []
        return try nextLine(into: record, learnKeys: &none)
    }

    /// Finds the next non-blank line and parses it.
    private func nextLine(into record: Record, learnKeys keys: inout [[UInt8]]) throws(ReadError) -> Bool {
        while true {
            var nl = -1
            var i = pos
            while i < chunks.filled {
                if chunks.base[i] == UInt8(ascii: "\n") { nl = i; break }
                i += 1
            }
            if nl < 0 {
                if !chunks.eof {
                    _ = try chunks.refill(keepingFrom: pos, line: line + 1)
                    pos = 0
                    continue
                }
                if pos >= chunks.filled { return false }
                nl = chunks.filled  // a last line without a newline
            }
            line += 1
            var s = pos
            var e = nl
            pos = min(nl + 1, chunks.filled)
            while s < e, isSpace(chunks.base[s]) { s += 1 }
            while e > s, isSpace(chunks.base[e - 1]) { e -= 1 }
            if s == e { continue }
            try parseObject(s, e, learn: &keys)
            record.reset(base: nil, line: line)
            spansToRecord(record)
            return true
        }
    }

    private func spansToRecord(_ record: Record) {
        scratch.withUnsafeBufferPointer { record.setBase($0.baseAddress) }
        for span in spans {
            if let (a, b) = span { record.append(start: a, end: b) } else { record.append(start: 0, end: 0) }
        }
    }

    @inline(__always) private func isSpace(_ c: UInt8) -> Bool { c == 32 || c == 9 || c == 13 || c == 10 }

    private func fail(_ why: String) -> ReadError { ReadError(line: line, why) }

    /// Parses `{ "key": value, ... }` in `[s, e)` into `spans` over `scratch`.
    private func parseObject(_ s: Int, _ e: Int, learn keys: inout [[UInt8]]) throws(ReadError) {
        let b = chunks.base
        scratch.removeAll(keepingCapacity: true)
        let learning = columns.isEmpty
        spans = Array(repeating: nil, count: learning ? 0 : columns.count)
        var i = s
        func skip() { while i < e, isSpace(b[i]) { i += 1 } }
        skip()
        guard i < e, b[i] == UInt8(ascii: "{") else { throw fail("not a JSON object (a line must start with '{')") }
        i += 1
        skip()
        if i < e, b[i] == UInt8(ascii: "}") { i += 1; skip(); guard i == e else { throw fail("text after the object") }; return }
        while true {
            skip()
            guard i < e, b[i] == UInt8(ascii: "\"") else { throw fail("expected a quoted key") }
            let keyStart = scratch.count
            try string(&i, e)
            let key = Array(scratch[keyStart...])
            scratch.removeSubrange(keyStart...)
            skip()
            guard i < e, b[i] == UInt8(ascii: ":") else { throw fail("expected ':' after a key") }
            i += 1
            skip()
            let valueStart = scratch.count
            var isNull = false
            try value(&i, e, isNull: &isNull)
            let span: (Int, Int)? = isNull ? nil : (valueStart, scratch.count)
            if learning {
                if keys.contains(key) { throw fail("key '\(String(decoding: key, as: UTF8.self))' appears twice") }
                keys.append(key)
                spans.append(span)
            } else if let col = index[key] {
                spans[col] = span
            }
            skip()
            guard i < e else { throw fail("the object is not closed (missing '}')") }
            if b[i] == UInt8(ascii: ",") { i += 1; continue }
            if b[i] == UInt8(ascii: "}") { i += 1; break }
            throw fail("expected ',' or '}' in the object")
        }
        skip()
        guard i == e else { throw fail("text after the object") }
        if String(validating: scratch, as: UTF8.self) == nil { throw fail("a value is not valid UTF-8") }
    }

    private func value(_ i: inout Int, _ e: Int, isNull: inout Bool) throws(ReadError) {
        let b = chunks.base
        guard i < e else { throw fail("a value is missing") }
        switch b[i] {
        case UInt8(ascii: "\""): try string(&i, e)
        case UInt8(ascii: "["):
            i += 1
            var first = true
            while true {
                while i < e, isSpace(b[i]) { i += 1 }
                guard i < e else { throw fail("an array is not closed") }
                if b[i] == UInt8(ascii: "]") { i += 1; break }
                if !first {
                    guard b[i] == UInt8(ascii: ",") else { throw fail("expected ',' or ']' in an array") }
                    i += 1
                    while i < e, isSpace(b[i]) { i += 1 }
                    scratch.append(UInt8(ascii: ";"))
                }
                first = false
                guard i < e, b[i] != UInt8(ascii: "["), b[i] != UInt8(ascii: "{") else { throw fail("nested arrays or objects are not supported") }
                var null = false
                try value(&i, e, isNull: &null)
            }
        case UInt8(ascii: "{"): throw fail("nested objects are not supported (flatten them to keys)")
        default:
            let start = i
            while i < e, !isSpace(b[i]), b[i] != UInt8(ascii: ","), b[i] != UInt8(ascii: "}"), b[i] != UInt8(ascii: "]") { i += 1 }
            let word = UnsafeBufferPointer(start: b + start, count: i - start)
            if word.elementsEqual("null".utf8) { isNull = true; return }
            if word.elementsEqual("true".utf8) { scratch.append(UInt8(ascii: "1")); return }
            if word.elementsEqual("false".utf8) { scratch.append(UInt8(ascii: "0")); return }
            guard !word.isEmpty, NumberParsing.double(word) != nil else {
                throw fail("'\(String(decoding: word.prefix(40), as: UTF8.self))' is not a JSON value")
            }
            scratch.append(contentsOf: word)
        }
    }

    /// A JSON string starting at the quote, unescaped into `scratch`.
    private func string(_ i: inout Int, _ e: Int) throws(ReadError) {
        let b = chunks.base
        i += 1
        while i < e {
            let c = b[i]
            if c == UInt8(ascii: "\"") { i += 1; return }
            if c == UInt8(ascii: "\\") {
                guard i + 1 < e else { break }
                let n = b[i + 1]
                i += 2
                switch n {
                case UInt8(ascii: "n"): scratch.append(10)
                case UInt8(ascii: "t"): scratch.append(9)
                case UInt8(ascii: "r"): scratch.append(13)
                case UInt8(ascii: "b"): scratch.append(8)
                case UInt8(ascii: "f"): scratch.append(12)
                case UInt8(ascii: "u"):
                    guard i + 4 <= e, let v = UInt32(String(decoding: UnsafeBufferPointer(start: b + i, count: 4), as: UTF8.self), radix: 16) else {
                        throw fail("bad \\u escape")
                    }
                    i += 4
                    var code = v
                    if (0xD800..<0xDC00).contains(v), i + 6 <= e, b[i] == UInt8(ascii: "\\"), b[i + 1] == UInt8(ascii: "u"),
                        let lo = UInt32(String(decoding: UnsafeBufferPointer(start: b + i + 2, count: 4), as: UTF8.self), radix: 16),
                        (0xDC00..<0xE000).contains(lo)
                    {
                        code = 0x10000 + ((v - 0xD800) << 10) + (lo - 0xDC00)
                        i += 6
                    }
                    scratch.append(contentsOf: Array(String(Unicode.Scalar(code).map(Character.init) ?? "\u{FFFD}").utf8))
                default: scratch.append(n)
                }
                continue
            }
            scratch.append(c)
            i += 1
        }
        throw fail("a string is not closed (missing '\"')")
    }
}
