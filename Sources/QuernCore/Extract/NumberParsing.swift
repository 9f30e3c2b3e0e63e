#if canImport(Glibc)
import Glibc
#endif

/// Parses numbers straight from field bytes. Hand-written because parsing floats is most of the
/// work of extraction: the common case (up to 19 significant digits, a small exponent) is exact
/// with one multiply or divide of two exactly representable doubles (Clinger's fast path); the
/// rest goes to `strtod`. `Tests/QuernCoreTests/Extract/NumberParsingTests` compares it with
/// `Double(String)` on many values.
public enum NumberParsing {
    @usableFromInline static let powers: [Double] = (0...22).map { pow(10.0, Double($0)) }

    /// The value of `bytes` as a Double, or nil when it is not a number.
    @inlinable public static func double(_ bytes: UnsafeBufferPointer<UInt8>) -> Double? {
        let n = bytes.count
        guard n > 0, let p = bytes.baseAddress else { return nil }
        var i = 0
        var negative = false
        if p[0] == UInt8(ascii: "-") || p[0] == UInt8(ascii: "+") {
            negative = p[0] == UInt8(ascii: "-")
            i = 1
        }
        var mantissa: UInt64 = 0
        var digits = 0
        var exponent = 0
        var sawDigit = false
        while i < n, p[i] &- 48 < 10 {
            if digits < 19 { mantissa = mantissa &* 10 &+ UInt64(p[i] &- 48); if mantissa > 0 { digits += 1 } } else { exponent += 1 }
            sawDigit = true
            i += 1
        }
        if i < n, p[i] == UInt8(ascii: ".") {
            i += 1
            while i < n, p[i] &- 48 < 10 {
                if digits < 19 { mantissa = mantissa &* 10 &+ UInt64(p[i] &- 48); exponent -= 1; if mantissa > 0 { digits += 1 } }
                sawDigit = true
                i += 1
            }
        }
        guard sawDigit else { return slow(bytes) }
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

    /// `strtod` on a NUL-terminated copy: for long mantissas, big exponents, `inf` and `nan`.
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

    /// A decimal integer (optional sign, digits only), or nil.
    @inlinable public static func int(_ bytes: UnsafeBufferPointer<UInt8>) -> Int? {
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
