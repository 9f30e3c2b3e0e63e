/// Splits the common delimited record: no quote in it, wholly in the buffer, ended by a newline,
/// at most `capacity` fields. `DelimitedReader` tries it first and scans byte by byte (quotes,
/// a record cut by the buffer's end, too many fields, errors) whenever it declines.
///
/// Eight bytes at a time (SWAR): the bytes of a word equal to the delimiter, the newline or the
/// quote are found with a few integer operations, and only those positions are visited, so the
/// cost is per word and per field rather than a table lookup and a branch per byte (the byte loop
/// was the largest part of the tokenizer's time on wide rows of short numbers).
final class PlainRecordSplitter {
    let delimiter: UInt8
    let quote: UInt8?
    let capacity: Int
    /// Field `k` of the last record split is `starts[k]..<ends[k]` (buffer offsets).
    let starts: UnsafeMutablePointer<Int>
    let ends: UnsafeMutablePointer<Int>

    init(delimiter: UInt8, quote: UInt8?, capacity: Int) {
        self.delimiter = delimiter
        self.quote = quote
        self.capacity = max(capacity, 1)
        starts = .allocate(capacity: self.capacity)
        ends = .allocate(capacity: self.capacity)
    }

    deinit {
        starts.deallocate()
        ends.deallocate()
    }

    /// 0x80 in each byte of `v` that is zero, and nothing else (exact, no false positives).
    @inline(__always) static func zeroBytes(_ v: UInt64) -> UInt64 {
        let low7: UInt64 = 0x7F7F_7F7F_7F7F_7F7F
        return ~(((v & low7) &+ low7) | v | low7)
    }

    /// Splits the record at `pos`: returns its field count, the offset after its newline and
    /// whether any byte read may be non-ASCII (then its fields must be checked for UTF-8; the flag
    /// may also be set by the next record's first bytes), or nil to leave the record to the byte
    /// loop. A CR before the newline is not part of the last field.
    @inline(__always)
    func split(_ buf: UnsafePointer<UInt8>, from pos: Int, to end: Int) -> (count: Int, next: Int, high: Bool)? {
        let newline = UInt8(ascii: "\n")
        let ones: UInt64 = 0x0101_0101_0101_0101
        let d = ones &* UInt64(delimiter)
        let nl = ones &* UInt64(newline)
        let q = ones &* UInt64(quote ?? newline)
        let starts = self.starts
        let ends = self.ends
        var n = 0
        var fieldStart = pos
        var seen: UInt64 = 0
        var i = pos
        var stop = -1
        words: while i &+ 8 <= end {
            let x = UInt64(littleEndian: UnsafeRawPointer(buf + i).loadUnaligned(as: UInt64.self))
            var m = Self.zeroBytes(x ^ d) | Self.zeroBytes(x ^ nl) | Self.zeroBytes(x ^ q)
            seen |= x
            while m != 0 {
                let k = i &+ (m.trailingZeroBitCount &>> 3)
                let c = buf[k]
                if c == delimiter {
                    guard n < capacity else { return nil }
                    starts[n] = fieldStart
                    ends[n] = k
                    n &+= 1
                    fieldStart = k &+ 1
                } else if c == newline {
                    stop = k
                    break words
                } else {
                    return nil  // a quote: the byte loop knows what it means
                }
                m &= m &- 1
            }
            i &+= 8
        }
        if stop < 0 {
            while i < end {
                let c = buf[i]
                if c == delimiter {
                    guard n < capacity else { return nil }
                    starts[n] = fieldStart
                    ends[n] = i
                    n &+= 1
                    fieldStart = i &+ 1
                } else if c == newline {
                    stop = i
                    break
                } else if c == quote {
                    return nil
                }
                seen |= UInt64(c)
                i &+= 1
            }
            guard stop >= 0 else { return nil }  // cut by the buffer's end: the byte loop reads more
        }
        guard n < capacity else { return nil }
        var e = stop
        if e > fieldStart && buf[e &- 1] == UInt8(ascii: "\r") { e &-= 1 }
        starts[n] = fieldStart
        ends[n] = e
        return (n &+ 1, stop &+ 1, seen & 0x8080_8080_8080_8080 != 0)
    }
}
