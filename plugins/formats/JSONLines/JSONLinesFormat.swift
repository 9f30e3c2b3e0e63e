public import QuernKit

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
/// one scratch buffer per line). Each line is held to RFC 8259 (``JSONScanner``); a UTF-8
/// byte-order mark may start the file.
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
        // Short reads (a decompressor, a pipe) may hand out fewer than the 3 bytes of a BOM.
        while chunks.filled < 3, try chunks.refill(keepingFrom: 0, line: 1) {}
        if chunks.filled >= 3, chunks.base[0] == 0xEF, chunks.base[1] == 0xBB, chunks.base[2] == 0xBF { pos = 3 }
        let first = Record()
        var keys: [[UInt8]] = []
        guard try nextLine(into: first, learnKeys: &keys) else {
            throw ReadError(line: nil, "empty file: no JSON object")
        }
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
                if chunks.base[i] == UInt8(ascii: "\n") {
                    nl = i
                    break
                }
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
            while s < e, JSONScanner.isSpace(chunks.base[s]) { s += 1 }
            while e > s, JSONScanner.isSpace(chunks.base[e - 1]) { e -= 1 }
            if s == e { continue }
            try parseObject(s, JSONScanner(b: chunks.base, e: e, line: line), learn: &keys)
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

    /// Parses `{ "key": value, ... }` from `s` to the end of the line into `spans` over `scratch`.
    /// A nested container is checked and skipped, and refused only after the whole line was found
    /// to be JSON: a broken line is reported as broken, not as unsupported.
    private func parseObject(_ s: Int, _ json: JSONScanner, learn keys: inout [[UInt8]]) throws(ReadError) {
        let (b, e) = (json.b, json.e)
        scratch.removeAll(keepingCapacity: true)
        let learning = columns.isEmpty
        spans = Array(repeating: nil, count: learning ? 0 : columns.count)
        var unsupported: String? = nil
        var i = s
        guard b[i] == UInt8(ascii: "{") else {
            try json.skipValue(&i)
            throw json.fail("not a JSON object (a line must hold one object, starting with '{')")
        }
        i += 1
        json.skipSpace(&i)
        if i < e, b[i] == UInt8(ascii: "}") {
            i += 1
        } else {
            while true {
                json.skipSpace(&i)
                guard i < e, b[i] == UInt8(ascii: "\"") else { throw json.fail("expected a quoted key") }
                let keyStart = scratch.count
                try json.string(&i, into: &scratch)
                let key = Array(scratch[keyStart...])
                scratch.removeSubrange(keyStart...)
                json.skipSpace(&i)
                guard i < e, b[i] == UInt8(ascii: ":") else { throw json.fail("expected ':' after a key") }
                i += 1
                json.skipSpace(&i)
                let valueStart = scratch.count
                let isNull = try value(&i, json, unsupported: &unsupported)
                let span: (Int, Int)? = isNull ? nil : (valueStart, scratch.count)
                if learning {
                    if keys.contains(key) {
                        throw json.fail("key '\(String(decoding: key, as: UTF8.self))' appears twice")
                    }
                    keys.append(key)
                    spans.append(span)
                } else if let col = index[key] {
                    spans[col] = span
                }
                json.skipSpace(&i)
                guard i < e else { throw json.fail("the object is not closed (missing '}')") }
                if b[i] == UInt8(ascii: ",") {
                    i += 1
                    continue
                }
                if b[i] == UInt8(ascii: "}") {
                    i += 1
                    break
                }
                throw json.fail("expected ',' or '}' in the object")
            }
        }
        json.skipSpace(&i)
        guard i == e else { throw json.fail("text after the object") }
        if let unsupported { throw json.fail(unsupported) }
    }

    /// One member's value into `scratch`: a scalar, or an array of scalars joined with `;`.
    /// Returns whether it is null (missing).
    private func value(_ i: inout Int, _ json: JSONScanner, unsupported: inout String?) throws(ReadError) -> Bool {
        let (b, e) = (json.b, json.e)
        guard i < e else { throw json.fail("a value is missing") }
        switch b[i] {
        case UInt8(ascii: "["):
            i += 1
            var first = true
            while true {
                json.skipSpace(&i)
                guard i < e else { throw json.fail("an array is not closed (missing ']')") }
                if b[i] == UInt8(ascii: "]"), first {
                    i += 1
                    break
                }
                if !first {
                    if b[i] == UInt8(ascii: "]") {
                        i += 1
                        break
                    }
                    guard b[i] == UInt8(ascii: ",") else { throw json.fail("expected ',' or ']' in an array") }
                    i += 1
                    json.skipSpace(&i)
                    scratch.append(UInt8(ascii: ";"))
                }
                first = false
                if i < e, b[i] == UInt8(ascii: "[") || b[i] == UInt8(ascii: "{") {
                    try json.skipValue(&i)
                    unsupported =
                        unsupported
                        ?? "nested arrays or objects are not supported (an array may hold numbers, strings, true, false, null)"
                } else {
                    _ = try json.scalar(&i, into: &scratch)
                }
            }
            return false
        case UInt8(ascii: "{"):
            try json.skipValue(&i)
            unsupported = unsupported ?? "nested objects are not supported (flatten them to keys)"
            return false
        default:
            return try json.scalar(&i, into: &scratch) == .null
        }
    }
}
