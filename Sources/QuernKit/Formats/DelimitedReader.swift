/// RFC 4180 CSV (and TSV) reader: a header row, quoted fields holding delimiters, quotes (`""`)
/// and newlines, LF or CRLF line ends, a UTF-8 byte-order mark, blank lines skipped. Streams the
/// source in chunks; every record's field count must match the header's.
///
/// Hand-written on bytes because it is the hottest loop of extraction: one pass over the buffer
/// with a lookup table of special bytes, no per-field allocation (fields are ranges into the
/// buffer; only fields holding `""` are rewritten, in place, once the record is whole).
/// `Tests/QuernCoreTests/Readers/DelimitedReaderTests` checks it against a plain slow splitter.
/// Its state opts out of dynamic exclusivity checks (one reader, one thread), as `Record` does.
public final class DelimitedReader: RecordReader {
    @exclusivity(unchecked) public private(set) var columns: [String] = []
    private let chunks: ChunkBuffer
    private let delimiter: UInt8
    private let quote: UInt8?
    @exclusivity(unchecked) private var pos = 0
    @exclusivity(unchecked) private var line = 1
    @exclusivity(unchecked) private var special = [Bool](repeating: false, count: 256)
    @exclusivity(unchecked) private var escaped: [Int] = []  // field indexes holding "" pairs, for the current record
    /// The fast path for plain records (set once the header is read: it needs the field count).
    @exclusivity(unchecked) private var plain: PlainRecordSplitter? = nil

    public init(_ source: any ByteSource, delimiter: UInt8, quote: UInt8?, settings: ReaderSettings) throws(ReadError) {
        chunks = ChunkBuffer(source, settings: settings)
        self.delimiter = delimiter
        self.quote = quote
        special[Int(delimiter)] = true
        special[Int(UInt8(ascii: "\n"))] = true
        if let quote { special[Int(quote)] = true }
        // Short reads (a decompressor, a pipe) may hand out fewer than the 3 bytes of a BOM.
        while chunks.filled < 3, try chunks.refill(keepingFrom: 0, line: 1) {}
        if chunks.filled >= 3, chunks.base[0] == 0xEF, chunks.base[1] == 0xBB, chunks.base[2] == 0xBF { pos = 3 }
        let header = Record()
        guard try parse(into: header) else { throw ReadError(line: nil, "empty file: no header row") }
        var seen = Set<String>()
        for i in 0..<header.count {
            let name = header.string(i)
            guard seen.insert(name).inserted else {
                throw ReadError(line: 1, "the header names column '\(name)' twice")
            }
            columns.append(name)
        }
        plain = PlainRecordSplitter(delimiter: delimiter, quote: quote, capacity: columns.count)
    }

    public func next(into record: Record) throws(ReadError) -> Bool {
        guard try parse(into: record) else { return false }
        if record.count != columns.count {
            throw ReadError(line: record.line, "\(record.count) fields, but the header has \(columns.count)")
        }
        return true
    }

    /// Parses one record at `pos`; false at the end of the input.
    private func parse(into record: Record) throws(ReadError) -> Bool {
        while true {
            switch try scan(into: record) {
            case .record:
                if record.count == 1 && record.field(0).isEmpty && !lastFieldQuoted { continue }  // a blank line
                return true
            case .end:
                return false
            case .needMore:
                // Keep the unfinished record, read more after it (or learn that the input ended) and
                // scan the record again from its start.
                _ = try chunks.refill(keepingFrom: pos, line: line)
                pos = 0
            }
        }
    }

    private enum ScanResult { case record, end, needMore }
    @exclusivity(unchecked) private var lastFieldQuoted = false

    /// Scans one record starting at `pos` without changing the buffer until the record is whole.
    private func scan(into record: Record) throws(ReadError) -> ScanResult {
        let buf = chunks.base
        let end = chunks.filled
        let atEOF = chunks.eof
        let startLine = line
        if pos >= end { return atEOF ? .end : .needMore }
        if let plain, let (count, next, high) = plain.split(UnsafePointer(buf), from: pos, to: end) {
            record.reset(base: UnsafePointer(buf), line: startLine)
            record.starts.append(contentsOf: UnsafeBufferPointer(start: plain.starts, count: count))
            record.ends.append(contentsOf: UnsafeBufferPointer(start: plain.ends, count: count))
            lastFieldQuoted = false
            pos = next
            line = startLine + 1
            if high { try checkUTF8(record, line: startLine) }
            return .record
        }
        record.reset(base: UnsafePointer(buf), line: startLine)
        escaped.removeAll(keepingCapacity: true)
        var i = pos
        var lines = 0
        var high: UInt8 = 0
        var fieldStart = i
        lastFieldQuoted = false
        let newline = UInt8(ascii: "\n")
        let cr = UInt8(ascii: "\r")
        while true {
            if i < end, let quote, buf[i] == quote, i == fieldStart {
                // A quoted field: find its closing quote.
                var j = i + 1
                var hasEscape = false
                while true {
                    while j < end && buf[j] != quote {
                        if buf[j] == newline { lines += 1 }
                        high |= buf[j]
                        j += 1
                    }
                    if j >= end {
                        if atEOF {
                            throw ReadError(line: startLine, "a quoted field is never closed (unterminated quote)")
                        }
                        return .needMore
                    }
                    if j + 1 < end && buf[j + 1] == quote {
                        hasEscape = true
                        j += 2
                        continue
                    }
                    if j + 1 >= end && !atEOF { return .needMore }
                    break
                }
                if hasEscape { escaped.append(record.count) }
                record.append(start: i + 1, end: j)
                lastFieldQuoted = true
                i = j + 1
                if i < end && buf[i] == cr {
                    if i + 1 < end && buf[i + 1] == newline {
                        i += 1
                    } else if i + 1 >= end {
                        if !atEOF { return .needMore }
                        i += 1  // a final CR at the end of the input
                    }
                }
                if i >= end {
                    if !atEOF { return .needMore }
                    pos = i
                    break
                }
                if buf[i] == delimiter {
                    i += 1
                    fieldStart = i
                    lastFieldQuoted = false
                    if i >= end && atEOF {
                        record.append(start: i, end: i)
                        pos = i
                        break
                    }
                    continue
                }
                if buf[i] == newline {
                    lines += 1
                    pos = i + 1
                    break
                }
                throw ReadError(
                    line: startLine + lines, "unexpected text after a closing quote (a stray quote inside a field?)")
            }
            // An unquoted field: run to the next special byte.
            while i < end && !special[Int(buf[i])] {
                high |= buf[i]
                i += 1
            }
            if i >= end {
                if !atEOF { return .needMore }
                var e = i
                if e > fieldStart && buf[e - 1] == cr { e -= 1 }
                record.append(start: fieldStart, end: e)
                pos = i
                break
            }
            let c = buf[i]
            if c == delimiter {
                record.append(start: fieldStart, end: i)
                i += 1
                fieldStart = i
                if i >= end && atEOF {
                    record.append(start: i, end: i)
                    pos = i
                    break
                }
            } else if c == newline {
                var e = i
                if e > fieldStart && buf[e - 1] == cr { e -= 1 }
                record.append(start: fieldStart, end: e)
                lines += 1
                pos = i + 1
                break
            } else {
                throw ReadError(
                    line: startLine + lines,
                    "a quote inside an unquoted field (quote the whole field and double the quote)")
            }
        }
        line = startLine + lines
        for f in escaped { unescape(field: f, in: record) }
        if high & 0x80 != 0 { try checkUTF8(record, line: startLine) }
        return .record
    }

    /// Throws naming the first field of `record` that is not valid UTF-8.
    private func checkUTF8(_ record: Record, line: Int) throws(ReadError) {
        for f in 0..<record.count where String(validating: record.field(f), as: UTF8.self) == nil {
            let name = f < columns.count ? "column '\(columns[f])'" : "field \(f + 1)"
            throw ReadError(line: line, "\(name) is not valid UTF-8")
        }
    }

    /// Rewrites `""` to `"` inside a field, in place (the field only shrinks).
    private func unescape(field f: Int, in record: Record) {
        guard let quote else { return }
        let s = record.starts[f]
        let e = record.ends[f]
        let buf = chunks.base
        var r = s
        var w = s
        while r < e {
            buf[w] = buf[r]
            r += (buf[r] == quote && r + 1 < e && buf[r + 1] == quote) ? 2 : 1
            w += 1
        }
        record.ends[f] = w
    }
}
