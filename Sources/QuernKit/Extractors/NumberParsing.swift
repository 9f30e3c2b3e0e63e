#if canImport(Glibc)
    import Glibc
#endif

/// Parses numbers straight from field bytes. Hand-written because parsing floats is most of the
/// work of extraction: the common case (up to 19 significant digits, a small exponent) is exact
/// with one multiply or divide of two exactly representable doubles (Clinger's fast path); the
/// rest goes to `strtod`. `Tests/QuernCoreTests/Extract/NumberParsingTests` compares it with
/// `Double(String)` on many values.
///
/// One rule for what a number is (docs/formats.md): spaces and tabs around it are trimmed, on
/// both sides; then it is a decimal (`-12`, `+3.5`, `.5`, `5.`, `1e-7`) or `inf`, `infinity`,
/// `nan` in any case, with an optional sign. Hexadecimal (`0x10`) is not a number: only text that
/// has passed the decimal grammar ever reaches `strtod`, which would read it.
public enum NumberParsing {
    @usableFromInline static let powers: [Double] = (0...22).map { pow(10.0, Double($0)) }

    /// `bytes` without the spaces and tabs around it.
    @inlinable static func trimmed(_ bytes: UnsafeBufferPointer<UInt8>) -> UnsafeBufferPointer<UInt8> {
        guard let p = bytes.baseAddress else { return bytes }
        var s = 0
        var e = bytes.count
        while s < e, p[s] == 32 || p[s] == 9 { s += 1 }
        while e > s, p[e - 1] == 32 || p[e - 1] == 9 { e -= 1 }
        return UnsafeBufferPointer(start: p + s, count: e - s)
    }

    /// The value of `bytes` as a Double, or nil when it is not a number.
    @inlinable @inline(__always) public static func double(_ field: UnsafeBufferPointer<UInt8>) -> Double? {
        var bytes = field
        if let p = field.baseAddress, field.count > 0,
            p[0] == 32 || p[0] == 9 || p[field.count - 1] == 32 || p[field.count - 1] == 9
        {
            bytes = trimmed(field)
        }
        let n = bytes.count
        guard n > 0, let p = bytes.baseAddress else { return nil }
        var i = 0
        var negative = false
        if p[0] == UInt8(ascii: "-") || p[0] == UInt8(ascii: "+") {
            negative = p[0] == UInt8(ascii: "-")
            i = 1
        }
        let start = i
        // The common case first, in one pass: digits, an optional point and digits, nothing else,
        // at most 19 digits (exact in UInt64) and below 2^53 (exact as a Double). Its value is one
        // correctly rounded division by an exact power of ten (Clinger's fast path), the same
        // double as the general loop below or strtod would give.
        var m: UInt64 = 0
        var j = start
        while j < n, p[j] &- 48 < 10 {
            m = m &* 10 &+ UInt64(p[j] &- 48)
            j &+= 1
        }
        var count = j &- start
        var fraction = 0
        if j < n, p[j] == UInt8(ascii: ".") {
            j &+= 1
            let f = j
            while j < n, p[j] &- 48 < 10 {
                m = m &* 10 &+ UInt64(p[j] &- 48)
                j &+= 1
            }
            fraction = j &- f
            count &+= fraction
        }
        if j == n, count > 0, count <= 19, m < (1 << 53) {
            let v = fraction == 0 ? Double(m) : Double(m) / power(fraction)
            return negative ? -v : v
        }
        var mantissa: UInt64 = 0
        var digits = 0
        var exponent = 0
        var sawDigit = false
        while i < n, p[i] &- 48 < 10 {
            if digits < 19 {
                mantissa = mantissa &* 10 &+ UInt64(p[i] &- 48)
                if mantissa > 0 { digits += 1 }
            } else {
                exponent += 1
            }
            sawDigit = true
            i += 1
        }
        if i < n, p[i] == UInt8(ascii: ".") {
            i += 1
            while i < n, p[i] &- 48 < 10 {
                if digits < 19 {
                    mantissa = mantissa &* 10 &+ UInt64(p[i] &- 48)
                    exponent -= 1
                    if mantissa > 0 { digits += 1 }
                }
                sawDigit = true
                i += 1
            }
        }
        guard sawDigit else { return i == start ? special(bytes, from: start, negative: negative) : nil }
        if i < n {
            guard p[i] | 0x20 == UInt8(ascii: "e") else { return nil }
            i += 1
            var expNegative = false
            if i < n, p[i] == UInt8(ascii: "-") || p[i] == UInt8(ascii: "+") {
                expNegative = p[i] == UInt8(ascii: "-")
                i += 1
            }
            var e = 0
            var expDigits = 0
            while i < n, p[i] &- 48 < 10 {
                if e < 100_000 { e = e * 10 + Int(p[i] &- 48) }
                expDigits += 1
                i += 1
            }
            guard expDigits > 0, i == n else { return nil }
            exponent += expNegative ? -e : e
        }
        if mantissa < (1 << 53) && digits <= 15 && exponent >= -22 && exponent <= 22 {
            var v = Double(mantissa)
            v = exponent < 0 ? v / powers[-exponent] : v * powers[exponent]
            return negative ? -v : v
        }
        return slow(bytes)
    }

    /// The float32 of a short plain decimal (an optional sign, then at most 8 bytes of digits with
    /// at most one point among them: `-1.1169`, `42`, `.5`, `1234.567`), read as one 8-byte word
    /// with no branch on its bytes; nil for anything else, which ``double(_:)`` then reads.
    /// `readableFrom` is the start of the buffer `field` lies in: the word is the 8 bytes that end
    /// where the field ends, so at least 8 bytes must lie between `readableFrom` and the field's
    /// end (nil otherwise).
    ///
    /// The result is `Float(double(field))`, bit for bit (`NumberParsingTests` checks it). With
    /// digits `v` below 2^24 and `f` of them after the point, `Float(Double(v) * 10^-f)` is that
    /// value with no division: the product is within 2^-52 (relative) of v / 10^f, and v / 10^f
    /// is either a float32 or at least 2^-51.5 from any midpoint between two float32s (it would
    /// otherwise be m / 2^k with m of 25 bits and `10^f * m` below 2^52), so both round alike.
    /// Larger digits divide, as ``double(_:)`` does. (Checked exhaustively too, outside the tests:
    /// every v below 2^24 with every f up to 7 rounds alike both ways.)
    ///
    /// Hand-written because such fields are most cells of a typical table: ``double(_:)``'s byte
    /// loop mispredicts where a field's digits end, and its division by a power chosen by a jump
    /// stalled the loop of ``BoundColumns/readNumeric(_:into:)`` (a third of its samples).
    @inlinable @inline(__always)
    public static func shortDecimal(_ field: UnsafeBufferPointer<UInt8>, readableFrom: UnsafePointer<UInt8>) -> Float? {
        guard let p = field.baseAddress else { return nil }
        let n = field.count
        let end = p + n
        guard n >= 1, n <= 9, end - readableFrom >= 8 else { return nil }
        let first = p[0]
        let negative = first == UInt8(ascii: "-")
        let signed = negative || first == UInt8(ascii: "+")
        let width = n &- (signed ? 1 : 0)  // the bytes after the sign
        guard width >= 1, width <= 8 else { return nil }
        // The field's last `width` bytes, the first of them in the low byte, zeros above them.
        let word = UInt64(littleEndian: UnsafeRawPointer(end - 8).loadUnaligned(as: UInt64.self))
        let x = word &>> UInt64(8 &* (8 &- width))
        // The first '.': the lowest zero byte of x ^ "........" (the borrow trick is exact for the
        // lowest one), among the field's bytes.
        let ones: UInt64 = 0x0101_0101_0101_0101
        let high: UInt64 = 0x8080_8080_8080_8080
        let dots = x ^ (ones &* 0x2E)
        let found = (dots &- ones) & ~dots & high & lowBytes(width)
        let hasPoint = found != 0
        let point = hasPoint ? found.trailingZeroBitCount &>> 3 : width
        // The digits without the point, in order, in the low `digits` bytes.
        let before = lowBytes(point)
        let packed = (x & before) | ((x &>> 8) & ~before)
        let digits = width &- (hasPoint ? 1 : 0)
        let fraction = hasPoint ? width &- 1 &- point : 0
        let live = lowBytes(digits)
        let zeros = (ones &* 0x30) & live
        // Every live byte is '0'...'9': high nibble 3, and still 3 after adding 6.
        let nibbles = (ones &* 0xF0) & live
        guard digits >= 1, packed & nibbles == zeros, (packed &+ (ones &* 0x06)) & nibbles == zeros else { return nil }
        // Eight digit bytes to an integer, leading zeros in the low bytes (Lemire's SWAR steps).
        var v = (packed & live &- zeros) &<< UInt64(8 &* (8 &- digits))
        v = (v &* 10 &+ (v &>> 8)) & 0x00FF_00FF_00FF_00FF
        v = (v &* 100 &+ (v &>> 16)) & 0x0000_FFFF_0000_FFFF
        v = (v &* 10000 &+ (v &>> 32)) & 0xFFFF_FFFF
        let inverse = SIMD8<Double>(1, 1e-1, 1e-2, 1e-3, 1e-4, 1e-5, 1e-6, 1e-7)
        let value =
            v < 1 << 24
            ? Float(Double(v) * inverse[fraction])
            : Float(fraction == 0 ? Double(v) : Double(v) / power(fraction))
        return negative ? -value : value
    }

    /// A word whose low `k` bytes (0...8) are all ones.
    @inlinable @inline(__always) static func lowBytes(_ k: Int) -> UInt64 {
        k >= 8 ? .max : (1 &<< UInt64(8 &* k)) &- 1
    }

    /// 10^k for k in 1...19, exact (a switch: a table in a `static let` costs a lazy-init check
    /// per call).
    @inlinable @inline(__always) static func power(_ k: Int) -> Double {
        switch k {
        case 1: 1e1
        case 2: 1e2
        case 3: 1e3
        case 4: 1e4
        case 5: 1e5
        case 6: 1e6
        case 7: 1e7
        case 8: 1e8
        case 9: 1e9
        case 10: 1e10
        case 11: 1e11
        case 12: 1e12
        case 13: 1e13
        case 14: 1e14
        case 15: 1e15
        case 16: 1e16
        case 17: 1e17
        case 18: 1e18
        default: 1e19
        }
    }

    /// `inf`, `infinity` or `nan` in any case from `i` to the end (after an optional sign), else nil.
    @usableFromInline static func special(_ bytes: UnsafeBufferPointer<UInt8>, from i: Int, negative: Bool) -> Double? {
        let word = bytes[i...].lazy.map { $0 | 0x20 }  // ASCII lower case; other bytes never match
        if word.elementsEqual("inf".utf8) || word.elementsEqual("infinity".utf8) {
            return negative ? -.infinity : .infinity
        }
        if word.elementsEqual("nan".utf8) { return negative ? -.nan : .nan }
        return nil
    }

    /// `strtod` on a NUL-terminated copy, for long mantissas and big exponents: only ever called
    /// on text that matched the decimal grammar above (strtod alone would also read hexadecimal
    /// and leading white space).
    @usableFromInline static func slow(_ bytes: UnsafeBufferPointer<UInt8>) -> Double? {
        guard bytes.count < 400 else { return nil }
        return withUnsafeTemporaryAllocation(of: CChar.self, capacity: bytes.count + 1) { tmp -> Double? in
            for k in 0..<bytes.count { tmp[k] = CChar(bitPattern: bytes[k]) }
            tmp[bytes.count] = 0
            var end: UnsafeMutablePointer<CChar>? = nil
            let v = strtod(tmp.baseAddress!, &end)
            guard let end, end - tmp.baseAddress! == bytes.count else { return nil }
            return v
        }
    }

    /// A decimal integer (optional sign, digits only, spaces and tabs around it trimmed), or nil.
    @inlinable public static func int(_ field: UnsafeBufferPointer<UInt8>) -> Int? {
        let bytes = trimmed(field)
        let n = bytes.count
        guard n > 0, n < 19, let p = bytes.baseAddress else { return nil }
        var i = 0
        var negative = false
        if p[0] == UInt8(ascii: "-") || p[0] == UInt8(ascii: "+") {
            negative = p[0] == UInt8(ascii: "-")
            i = 1
            guard n > 1 else { return nil }
        }
        var v = 0
        while i < n {
            let d = p[i] &- 48
            guard d < 10 else { return nil }
            v = v * 10 + Int(d)
            i += 1
        }
        return negative ? -v : v
    }
}

/// The texts read as missing values (default: empty, `NA`, `NaN`, `nan`, `null`), matched on bytes.
public struct MissingValues: Sendable, Equatable {
    public let tokens: [[UInt8]]
    @usableFromInline let firstBytes: [Bool]
    @usableFromInline let matchesEmpty: Bool

    public static let defaultTokens = ["", "NA", "NaN", "nan", "null"]

    public init(_ tokens: [String] = MissingValues.defaultTokens) {
        self.tokens = tokens.map { Array($0.utf8) }
        var first = [Bool](repeating: false, count: 256)
        for t in self.tokens where !t.isEmpty { first[Int(t[0])] = true }
        firstBytes = first
        matchesEmpty = tokens.contains("")
    }

    @inlinable public func isMissing(_ field: UnsafeBufferPointer<UInt8>) -> Bool {
        if field.isEmpty { return matchesEmpty }
        guard quickCheck(field[0]) else { return false }
        return tokens.contains { $0.elementsEqual(field) }
    }

    @usableFromInline func quickCheck(_ b: UInt8) -> Bool { firstBytes[Int(b)] }
}
