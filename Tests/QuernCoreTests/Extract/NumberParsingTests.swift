import Foundation
import QuernCore
import QuernKit
import QuernTestSupport
import Testing

@Suite("Number parsing from bytes")
struct NumberParsingTests {
    func parse(_ s: String) -> Double? {
        Array(s.utf8).withUnsafeBufferPointer { NumberParsing.double($0) }
    }

    @Test(arguments: [
        "0", "1", "-1", "3.25", "-0.0001", "12345.6789", ".5", "5.", "1e10", "1.5E-7", "+2", "123456789012345678901234",
        "0.1", "2.2250738585072014e-308", "1e400", "inf", "-inf", "9007199254740993", "1.7976931348623157e308",
        "00012.50",
    ])
    func matchesTheStandardLibrary(_ s: String) {
        #expect(parse(s) == Double(s))
    }

    @Test(arguments: ["", "-", ".", "abc", "1.2.3", "1e", "1e+", "seven", "1,5", "0x10", "--1"])
    func rejectsWhatIsNotANumber(_ s: String) {
        #expect(parse(s) == nil)
    }

    /// One rule for spaces: surrounding spaces and tabs are trimmed on both sides, whatever the
    /// path (the fast one, or the slow one for long mantissas and big exponents).
    @Test(arguments: [" 5", "5 ", "  5  ", "\t5", "5\t", " -2.5e3 ", " 123456789012345678901234 ", "1e400 ", " inf"])
    func surroundingSpacesAreTrimmedOnBothSides(_ s: String) {
        let bare = s.trimmingCharacters(in: .whitespaces)
        #expect(parse(s) != nil, "\(s)")
        #expect(parse(s) == Double(bare), "\(s)")
        func int(_ s: String) -> Int? { Array(s.utf8).withUnsafeBufferPointer { NumberParsing.int($0) } }
        if let i = Int(bare) { #expect(int(s) == i, "\(s)") }
    }

    /// Hexadecimal is not a number, with or without spaces around it (strtod reads it, so the slow
    /// path never sees such text), and neither are strtod's other extras.
    @Test(arguments: [
        "0x10", " 0x10", "0x10 ", "-0x1p3", "0X1A", " ", "  ", "5 5", "nan(1)", "infx", "in", " - 1", "\n5", "5\r",
    ])
    func hexadecimalAndOtherNonNumbersAreRejected(_ s: String) {
        #expect(parse(s) == nil, "\(s)")
        #expect(Array(s.utf8).withUnsafeBufferPointer { NumberParsing.int($0) } == nil, "\(s)")
    }

    /// Padding never changes a value: random decimals with random spaces around them parse as
    /// they do bare, and as Float(String) of the bare text for a feature.
    @Test func paddedDecimalsParseAsBareOnes() {
        var rng = SplitMix64(seed: 11)
        for _ in 0..<20_000 {
            let text = Self.decimal(&rng, maxDigits: 12, negativeOneIn: 3, exponentOneIn: 5)
            let padded =
                String(repeating: " ", count: Int(rng.next() % 3)) + text
                + String(repeating: rng.next() % 2 == 0 ? " " : "\t", count: Int(rng.next() % 3))
            #expect(parse(padded) == Double(text), "'\(padded)'")
            #expect(parse(padded).map { Float($0) } == Float(text), "'\(padded)'")
        }
    }

    @Test func nanParsesAsNaN() {
        #expect(parse("nan")?.isNaN == true)
    }

    /// A random decimal of up to `maxDigits` digits, the point anywhere, negative one time in
    /// `negativeOneIn`, with an exponent one time in `exponentOneIn` (0: never).
    static func decimal(_ rng: inout SplitMix64, maxDigits: Int, negativeOneIn: UInt64, exponentOneIn: UInt64 = 0)
        -> String
    {
        let digits = Int(rng.next() % UInt64(maxDigits)) + 1
        let mantissa = rng.next() % UInt64(pow(10.0, Double(digits)))
        let point = Int(rng.next() % UInt64(digits + 1))
        var text = String(mantissa).leftPad(digits)
        text.insert(".", at: text.index(text.startIndex, offsetBy: point))
        if rng.next() % negativeOneIn == 0 { text = "-" + text }
        if exponentOneIn > 0, rng.next() % exponentOneIn == 0 { text += "e\(Int(rng.next() % 40) - 20)" }
        return text
    }

    /// The fast path against Double(String) on many random decimals of the shapes data files hold.
    @Test func randomDecimalsAgree() {
        var rng = SplitMix64(seed: 42)
        for _ in 0..<20_000 {
            let text = Self.decimal(&rng, maxDigits: 12, negativeOneIn: 3, exponentOneIn: 5)
            #expect(parse(text) == Double(text), "\(text)")
        }
    }

    /// Decimals of 16 to 19 digits below 2^53 take the one-division path too: the same double as
    /// Double(String) (both correctly rounded), and so the same float32.
    @Test func longDecimalsBelowTwoToThe53Agree() {
        var rng = SplitMix64(seed: 53)
        for _ in 0..<20_000 {
            let text = Self.decimal(&rng, maxDigits: 19, negativeOneIn: 2)
            #expect(parse(text) == Double(text), "\(text)")
            #expect(parse(text).map { Float($0) } == Float(text), "\(text)")
        }
        for text in [
            "9007199254740991", "900719925474099.1", "0.9007199254740991", "-0", "-0.0", "1234567890123456789",
        ] {
            #expect(parse(text) == Double(text), "\(text)")
            #expect(parse(text)?.sign == Double(text)?.sign, "\(text)")
        }
    }

    /// A feature is stored as `Float(the parsed double)`: float64, then float32, as the pandas and
    /// polars peers do. For the decimals data files hold (here up to 8 significant digits, any
    /// sign and point position), that is the value `Float(String)` gives too.
    @Test func featuresRoundTripLikeFloatOfString() {
        var rng = SplitMix64(seed: 7)
        for _ in 0..<100_000 {
            let text = Self.decimal(&rng, maxDigits: 8, negativeOneIn: 2)
            guard let parsed = parse(text) else {
                Issue.record("\(text) did not parse")
                continue
            }
            #expect(Float(parsed) == Float(text), "\(text)")
        }
    }

    /// `shortDecimal` reads `text` placed after `before` bytes of `fill` in one buffer, as a
    /// record's field lies in its reader's buffer.
    func short(_ text: String, before: Int = 8, fill: UInt8 = UInt8(ascii: "9")) -> Float? {
        let bytes = [UInt8](repeating: fill, count: before) + Array(text.utf8) + [UInt8(ascii: "7")]
        return bytes.withUnsafeBufferPointer { b in
            NumberParsing.shortDecimal(
                UnsafeBufferPointer(rebasing: b[before..<(before + text.utf8.count)]), readableFrom: b.baseAddress!)
        }
    }

    /// The word-at-a-time path reads every plain decimal of up to 8 bytes after its sign (8
    /// digits, or 7 and a point anywhere) as the float32 of the byte loop's double, bit for bit,
    /// whatever bytes surround it in the buffer.
    @Test func shortDecimalsReadAsTheByteLoopDoes() {
        var rng = SplitMix64(seed: 8)
        let fills: [UInt8] = [UInt8(ascii: "9"), UInt8(ascii: "."), UInt8(ascii: "-"), 0, 0xFF, UInt8(ascii: ",")]
        for _ in 0..<50_000 {
            var text = Self.decimal(&rng, maxDigits: 7, negativeOneIn: 2)
            if rng.next() % 10 == 0 { text = "+" + String(text.drop { $0 == "-" }) }
            let fill = fills[Int(rng.next() % UInt64(fills.count))]
            let got = short(text, before: 8 + Int(rng.next() % 8), fill: fill)
            #expect(got != nil, "\(text) was not read")
            #expect(got?.bitPattern == parse(text).map { Float($0).bitPattern }, "\(text)")
            #expect(got == Float(text), "\(text)")
        }
        for text in ["0", "-0", "+0", "5.", ".5", "-.5", "00012.50", "99999999", "-999.9999", "1.000000", "+12"] {
            #expect(short(text)?.bitPattern == parse(text).map { Float($0).bitPattern }, "\(text)")
            #expect(short(text) != nil, "\(text)")
        }
    }

    /// The multiply that replaces the division (digits below 2^24) and the division kept above
    /// it give `Float(Double(text))` on random digits of every length and point position.
    @Test func shortDecimalsWithoutADivisionRoundAsWithOne() {
        var rng = SplitMix64(seed: 24)
        for _ in 0..<200_000 {
            let fraction = Int(rng.next() % 8)
            let v = rng.next() % (fraction == 0 ? 100_000_000 : 10_000_000)
            var text = String(v)
            if fraction > 0 {
                text = String(repeating: "0", count: max(0, fraction - text.count)) + text
                text.insert(".", at: text.index(text.endIndex, offsetBy: -fraction))
            }
            #expect(short(text) == Float(Double(text)!), "\(text)")
            #expect(short("-" + text)?.bitPattern == Float(Double("-" + text)!).bitPattern, "-\(text)")
        }
    }

    /// Anything else is left to the byte loop (nil): more than 8 bytes after the sign, exponents, spaces, a
    /// second point or sign, special words, bytes that are not digits; and a field with fewer
    /// than 8 readable bytes before its end.
    @Test func shortDecimalLeavesTheRestToTheByteLoop() {
        for text in [
            "", "-", "+", ".", "-.", "123456789", "1.2345678", "-1234.5678", "1e5", "1E5", " 5", "5 ", "1.2.3", "--1",
            "+-1", "inf",
            "nan", "NA", "0x10", "1,5", "12a", "/", ":", "5\t", "\u{00}1", "1-", "1+", "-1.-", "1..",
        ] {
            #expect(short(text) == nil, "'\(text)'")
        }
        let text = "-1.25"
        #expect(short(text, before: 3) != nil)  // 3 + 5 bytes: the word starts at the buffer
        #expect(short(text, before: 2) == nil)  // it would start before the buffer
        #expect(short("7", before: 7) != nil)
        #expect(short("7", before: 6) == nil)
    }

    @Test func integers() {
        func int(_ s: String) -> Int? { Array(s.utf8).withUnsafeBufferPointer { NumberParsing.int($0) } }
        #expect(int("42") == 42)
        #expect(int("-7") == -7)
        #expect(int("3.0") == nil)
        #expect(int("") == nil)
        #expect(int("-") == nil)
        #expect(int("12a") == nil)
    }

    @Test func missingValuesMatchWholeTokensOnly() {
        let m = MissingValues()
        func missing(_ s: String) -> Bool { Array(s.utf8).withUnsafeBufferPointer { m.isMissing($0) } }
        #expect(missing(""))
        #expect(missing("NA"))
        #expect(missing("NaN"))
        #expect(missing("null"))
        #expect(!missing("NAN"))
        #expect(!missing("0"))
        #expect(!missing("NA "))
        #expect(!MissingValues(["?"]).tokens.contains([]))
    }
}
