#if canImport(Glibc)
    import Glibc
#endif

/// How a format's records can be found in the middle of a file, so the host can read one big file
/// in byte ranges on every worker: the first record is a header, every record ends at a line feed
/// outside quotes, and a quote opens a quoted field only at a field's start (``DelimitedReader``'s
/// rules). A format that declares it (``InputFormat/recordSplitting``) promises that reading the
/// header followed by the records of a range gives the same records, with the same fields, as
/// reading the whole file; the host adds the lines before the range to every line the reader
/// names.
public struct RecordSplitting: Sendable, Equatable {
    public var delimiter: UInt8
    /// The quote byte, or nil when fields are never quoted (TSV without `quoting`).
    public var quote: UInt8?

    public init(delimiter: UInt8, quote: UInt8?) {
        self.delimiter = delimiter
        self.quote = quote
    }

    /// A scanner at the start of a file (after its byte-order mark).
    public func scanner() -> RecordBoundaryScanner { RecordBoundaryScanner(delimiter: delimiter, quote: quote) }
}

extension InputFormat {
    /// Nil: the format's files are read whole, by one worker.
    public var recordSplitting: RecordSplitting? { nil }
}

/// Finds record ends in a stream of bytes with the quoting rules of ``DelimitedReader``, counting
/// line feeds as it goes (the reader's line numbers count every line feed, inside quotes too).
/// Hand-written because it reads every byte of a big file once, on one thread, ahead of the
/// workers: runs without a quote are searched with `memchr` and their line feeds counted in a
/// tight loop. `FileRangesTests` checks it against the reader on random tables.
///
/// Input the reader refuses (a quote inside an unquoted field, text after a closing quote) stops
/// the scanner (``isBroken``): the rest of the file is then one range, and the reader names the
/// error there.
public struct RecordBoundaryScanner: Sendable {
    enum State: UInt8 { case fieldStart, unquoted, quoted, quoteSeen, crAfterQuote, broken }

    let delimiter: UInt8
    let quote: UInt8?
    var state = State.fieldStart
    /// Line feeds scanned so far.
    public private(set) var lineFeeds = 0

    init(delimiter: UInt8, quote: UInt8?) {
        self.delimiter = delimiter
        self.quote = quote
    }

    /// Whether the bytes scanned break the reader's rules: no record end is found after that.
    public var isBroken: Bool { state == .broken }

    /// Scans `bytes` (the next bytes of the file) and returns the index just past the first record
    /// end at an index of `from` or more (a record end is a line feed outside quotes; the index
    /// past it is where the next record starts). Scanning stops there: `lineFeeds` then counts the
    /// line feeds up to that index, and the next call must pass the bytes from it. Nil when there
    /// is none in `bytes` (all of them are scanned) or the input is broken.
    public mutating func scan(_ bytes: UnsafeRawBufferPointer, boundaryFrom from: Int) -> Int? {
        guard let base = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return nil }
        let n = bytes.count
        let lf = UInt8(ascii: "\n")
        var i = 0
        while i < n {
            switch state {
            case .fieldStart, .unquoted:
                // A run with no quote: only line feeds and the last byte matter.
                let q = quote.flatMap { Self.find($0, base, i, n) } ?? n
                let searchFrom = max(i, from - 1)
                if searchFrom < q, let end = Self.find(lf, base, searchFrom, q) {
                    lineFeeds += Self.count(lf, base, i, end + 1)
                    state = .fieldStart
                    return end + 1
                }
                if q > i {
                    lineFeeds += Self.count(lf, base, i, q)
                    let last = base[q - 1]
                    state = last == lf || last == delimiter ? .fieldStart : .unquoted
                }
                i = q
                if i < n {
                    // A quote: it opens a field only at the field's start.
                    state = state == .fieldStart ? .quoted : .broken
                    i += 1
                }
            case .quoted:
                let q = quote.flatMap { Self.find($0, base, i, n) } ?? n
                lineFeeds += Self.count(lf, base, i, q)
                i = q
                if i < n {
                    state = .quoteSeen
                    i += 1
                }
            case .quoteSeen, .crAfterQuote:
                let b = base[i]
                i += 1
                if state == .quoteSeen && b == quote {
                    state = .quoted
                } else if state == .quoteSeen && b == delimiter {
                    state = .fieldStart
                } else if state == .quoteSeen && b == UInt8(ascii: "\r") {
                    state = .crAfterQuote
                } else if b == lf {
                    lineFeeds += 1
                    state = .fieldStart
                    if i >= from { return i }
                } else {
                    state = .broken
                }
            case .broken:
                return nil
            }
        }
        return nil
    }

    /// The index of the first `byte` in `base[from..<to]`, or nil.
    @inline(__always)
    static func find(_ byte: UInt8, _ base: UnsafePointer<UInt8>, _ from: Int, _ to: Int) -> Int? {
        guard from < to, let p = memchr(base + from, Int32(byte), to - from) else { return nil }
        return base.distance(to: p.assumingMemoryBound(to: UInt8.self))
    }

    /// How many `byte`s `base[from..<to]` holds, 8 bytes at a time: the byte loop compiled to SSE
    /// that widened every byte to 64 bits, 4 bytes an iteration (half of the scan's samples).
    @inline(__always)
    static func count(_ byte: UInt8, _ base: UnsafePointer<UInt8>, _ from: Int, _ to: Int) -> Int {
        var c = 0
        var i = from
        let pattern = UInt64(byte) &* 0x0101_0101_0101_0101
        let low7: UInt64 = 0x7F7F_7F7F_7F7F_7F7F
        while i &+ 8 <= to {
            // A byte of `w` is zero exactly where the input holds `byte`. Adding 0x7F to a byte's
            // low 7 bits sets its high bit unless they are all zero, and never carries into the
            // next byte; or-ing `w` back sets it for 0x80. So the high bits left clear in `t` are
            // exactly the zero bytes.
            let w = UnsafeRawPointer(base + i).loadUnaligned(as: UInt64.self) ^ pattern
            let t = ((w & low7) &+ low7) | w
            c &+= (~t & ~low7).nonzeroBitCount
            i &+= 8
        }
        while i < to {
            c &+= base[i] == byte ? 1 : 0
            i &+= 1
        }
        return c
    }
}
