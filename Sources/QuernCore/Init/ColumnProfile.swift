import QuernKit

/// What a sample of one column looked like: how many cells were missing (and which missing
/// tokens appeared), whether every other cell was a number or an integer, its distinct values
/// (up to a cap), and whether it looks like a fixed-width 0/1 mask.
public struct ColumnProfile: Sendable {
    public var name: String
    public var cells = 0
    public var missing = 0
    public var missingTokens: Set<String> = []
    /// Present cells that are not numbers, and the first of them.
    public var nonNumeric = 0
    public var nonNumericExample: String? = nil
    /// Numbers that are not integers.
    public var nonInteger = 0
    public var minInt = Int.max
    public var maxInt = Int.min
    /// Distinct values, until there are more than ``distinctCap``.
    public var distinct: Set<String> = []
    public var distinctOverflow = false
    /// The common length of every value when all are 0/1 strings, else nil.
    public var bitWidth: Int? = nil
    var bitsPossible = true

    public static let distinctCap = 1000
    /// Cell texts recognised as missing while sampling (those seen go into `input.missing_values`).
    public static let missingCandidates: Set<String> = [
        "", "NA", "N/A", "n/a", "na", "NaN", "nan", "null", "NULL", "None", "none", "?", "#N/A", "-",
    ]

    public init(name: String) { self.name = name }

    public var present: Int { cells - missing }
    public var distinctCount: Int { distinct.count }

    /// Counts one cell, given as its bytes.
    public mutating func add(_ field: UnsafeBufferPointer<UInt8>) {
        cells += 1
        let text = String(decoding: field, as: UTF8.self)
        if Self.missingCandidates.contains(text) {
            missing += 1
            missingTokens.insert(text)
            return
        }
        if NumberParsing.double(field) == nil {
            nonNumeric += 1
            if nonNumericExample == nil { nonNumericExample = String(text.prefix(40)) }
        } else if let i = NumberParsing.int(field) {
            minInt = min(minInt, i)
            maxInt = max(maxInt, i)
        } else {
            nonInteger += 1
        }
        if bitsPossible {
            if field.count >= 8, field.allSatisfy({ $0 == UInt8(ascii: "0") || $0 == UInt8(ascii: "1") }),
                bitWidth == nil || bitWidth == field.count
            {
                bitWidth = field.count
            } else {
                bitsPossible = false
                bitWidth = nil
            }
        }
        if !distinctOverflow {
            distinct.insert(text)
            if distinct.count > Self.distinctCap { distinctOverflow = true }
        }
    }

    /// Numbers, but for at most 1% of stray values, or for one or two stray cells among at least
    /// three numbers each (a small sample's typo, `seven` among numbers). A malformed cell in the
    /// sample must not turn a numeric column into a one-hot of its values: files with such values
    /// fail and are listed, as they should, and the starter config names the stray value.
    public var numeric: Bool {
        present > 0 && (nonNumeric * 100 <= present || (nonNumeric <= 2 && nonNumeric * 4 <= present))
    }
    public var integer: Bool { numeric && nonInteger == 0 && minInt <= maxInt }

    /// Adds another sample of the same column (one more file).
    public mutating func merge(_ o: ColumnProfile) {
        cells += o.cells
        missing += o.missing
        missingTokens.formUnion(o.missingTokens)
        nonNumeric += o.nonNumeric
        nonNumericExample = nonNumericExample ?? o.nonNumericExample
        nonInteger += o.nonInteger
        minInt = min(minInt, o.minInt)
        maxInt = max(maxInt, o.maxInt)
        if bitsPossible {
            if !o.bitsPossible || (o.bitWidth != nil && bitWidth != nil && o.bitWidth != bitWidth) {
                bitsPossible = false
                bitWidth = nil
            } else {
                bitWidth = bitWidth ?? o.bitWidth
            }
        }
        if !distinctOverflow {
            distinct.formUnion(o.distinct)
            if o.distinctOverflow || distinct.count > Self.distinctCap { distinctOverflow = true }
        }
    }

    /// A 0/1 string of one fixed width in every present cell: a mask column.
    public var isBitstring: Bool { bitsPossible && bitWidth != nil && present > 0 }

    /// Few enough distinct text values to one-hot (at most 20, and repeated: not an id column).
    public var isLowCardinality: Bool {
        !distinctOverflow && distinctCount <= 20 && (present < 20 || distinctCount * 2 <= present)
    }
}
