import QuernCore
import Testing

/// How `quern init` reads a sampled column: numbers with a stray typo stay numeric.
struct ColumnProfileTests {
    func profile(_ cells: [String]) -> ColumnProfile {
        var p = ColumnProfile(name: "c")
        for cell in cells {
            var bytes = Array(cell.utf8)
            bytes.withUnsafeMutableBufferPointer { p.add(UnsafeBufferPointer($0)) }
        }
        return p
    }

    /// One typo among a small sample of numbers made the column an 11-value one-hot.
    @Test func oneTypoAmongNumbersKeepsTheColumnNumeric() {
        let typo = profile(["1", "3", "seven", "6", "8", "10", "12", "14", "15", "17", "19"])
        #expect(typo.numeric)
        #expect(typo.nonNumericExample == "seven")
        #expect(!profile(["a", "b", "1", "2"]).numeric, "half numbers, half words: not numeric")
        #expect(!profile(["red", "green", "blue"]).numeric)
        #expect(profile((0..<300).map(String.init) + ["x", "y", "z"]).numeric, "1% of strays")
    }
}
