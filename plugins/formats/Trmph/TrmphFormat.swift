public import QuernKit

/// Hex game records as trmph.com writes them, one game per line:
/// `http://www.trmph.com/hex/board#13,a1b2c3d4 1`. Everything up to `#` is ignored (older files
/// start at `#`, or at the size); then the board size, a comma, the moves (a column letter and a
/// 1-based row number each, `a10` has a two-digit row), and an optional winner token after
/// whitespace. Blank lines are skipped.
///
/// Each game is a record of three fields, as written (the `hex` extractor validates them, so a
/// bad game fails alone, by line, and the file's other games go on): `size` (the text before the
/// comma), `moves` (the text after it, up to whitespace) and `winner` (the rest of the line,
/// trimmed; empty when absent). The columns are `size=N`, `moves`, `winner`, where N is the first
/// game's board size as written (`size` when the file has no readable first game): the schema is
/// made from the first file's columns, so they carry the board size it needs.
public struct TrmphFormat: InputFormat, InputFormatPlugin {
    public static let name = "trmph"
    public static let summary = "Hex game records (trmph.com), one game per line: #13,a1b2c3 1"
    public static let options: [OptionSpec] = []
    public static let fileExtensions = ["trmph"]

    public static func make(_ options: PluginOptions) throws -> any InputFormat { TrmphFormat() }

    public init() {}
    public var name: String { Self.name }

    public func open(_ source: any ByteSource, settings: ReaderSettings) throws(ReadError) -> any RecordReader {
        try TrmphReader(source, settings: settings)
    }
}

/// Reads lines through a ``ChunkBuffer`` and splits each into its three fields; the first game is
/// read ahead to name the columns.
final class TrmphReader: RecordReader {
    private(set) var columns: [String] = ["size", "moves", "winner"]
    private let chunks: ChunkBuffer
    private var pos = 0
    private var line = 0
    /// The first game (line, fields), read ahead to name the columns.
    private var pending: (line: Int, fields: [String])? = nil
    /// Holds the first game's bytes while the caller reads it (a record's base must stay put).
    private var pendingBytes = UnsafeMutableBufferPointer<UInt8>(start: nil, count: 0)

    deinit { pendingBytes.deallocate() }

    init(_ source: any ByteSource, settings: ReaderSettings) throws(ReadError) {
        chunks = ChunkBuffer(source, settings: settings)
        let first = Record()
        if try nextGame(into: first) {
            let size = first.field(0)
            if !size.isEmpty, size.count <= 2, size.allSatisfy({ $0 >= 48 && $0 <= 57 }) {
                columns[0] = "size=\(first.string(0))"
            }
            // The first record points into the chunk buffer, which the next read may move: keep
            // a copy of its fields.
            pending = (first.line, (0..<first.count).map { first.string($0) })
        }
    }

    func next(into record: Record) throws(ReadError) -> Bool {
        if let p = pending {
            pending = nil
            let bytes = Array(p.fields.joined().utf8)
            pendingBytes = .allocate(capacity: max(bytes.count, 1))
            _ = pendingBytes.initialize(from: bytes)
            record.reset(base: UnsafePointer(pendingBytes.baseAddress), line: p.line)
            var start = 0
            for f in p.fields {
                record.append(start: start, end: start + f.utf8.count)
                start += f.utf8.count
            }
            return true
        }
        return try nextGame(into: record)
    }

    /// Finds the next non-blank line and splits it into size, moves and winner.
    private func nextGame(into record: Record) throws(ReadError) -> Bool {
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
            if nl < 0 && !chunks.eof {
                _ = try chunks.refill(keepingFrom: pos, line: line + 1)
                pos = 0
                continue
            }
            if nl < 0 && pos >= chunks.filled { return false }
            let end = nl < 0 ? chunks.filled : nl
            let start = pos
            pos = nl < 0 ? chunks.filled : nl + 1
            line += 1
            if try split(start, end, into: record) { return true }
        }
    }

    /// Fills `record` from bytes `[start, end)` of the chunk; false for a blank line.
    private func split(_ start: Int, _ end: Int, into record: Record) throws(ReadError) -> Bool {
        let b = chunks.base
        // A NUL byte means binary data, not a game file: the whole file is refused.
        for k in start..<end where b[k] == 0 {
            throw ReadError(line: line, "a NUL byte at column \(k - start + 1): this is not a text file of trmph games")
        }
        func isSpace(_ c: UInt8) -> Bool { c == 32 || c == 9 || c == 13 || c == 11 || c == 12 }
        var lo = start
        var hi = end
        while lo < hi, isSpace(b[lo]) { lo += 1 }
        while hi > lo, isSpace(b[hi - 1]) { hi -= 1 }
        if lo == hi { return false }
        record.reset(base: UnsafePointer(b), line: line)
        var body = lo
        var k = lo
        while k < hi {
            if b[k] == UInt8(ascii: "#") { body = k + 1 }
            k += 1
        }
        // size: up to the comma (or, with none, up to whitespace: the extractor says what is wrong).
        var comma = body
        while comma < hi, b[comma] != UInt8(ascii: ","), !isSpace(b[comma]) { comma += 1 }
        record.append(start: body, end: comma)
        var movesStart = comma
        if comma < hi, b[comma] == UInt8(ascii: ",") { movesStart = comma + 1 }
        var movesEnd = movesStart
        while movesEnd < hi, !isSpace(b[movesEnd]) { movesEnd += 1 }
        record.append(start: movesStart, end: movesEnd)
        var w = movesEnd
        while w < hi, isSpace(b[w]) { w += 1 }
        record.append(start: w, end: hi)
        return true
    }
}
