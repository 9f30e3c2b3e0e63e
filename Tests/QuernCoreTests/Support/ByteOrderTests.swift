import Foundation
import QuernKit
import QuernTestSupport
import Testing

@testable import QuernCore

@Suite("Names in byte order")
struct ByteOrderTests {
    @Test func agreesWithComparingTheUTF8BytesOnAwkwardAndRandomNames() {
        let awkward = [
            "", "a", "A", "B", "a b", "a\tb", "a\nb", "ä", "é", "e\u{301}", "日本", "🙂", "a.csv", "a.csv.gz",
            "a.cs", "a0", "a00", "x$(rm)", "\u{7F}", "\u{80}", "'q'",
        ]
        var rng = SplitMix64(seed: 11)
        let alphabet = Array("aAzZ09 ._-äé日🙂\n")
        let random = (0..<400).map { _ in
            String((0..<Int(rng.next() % 7)).map { _ in alphabet[Int(rng.next() % UInt64(alphabet.count))] })
        }
        let names = awkward + random
        var disagreements = 0
        for a in names {
            for b in names {
                let bytes = Array(a.utf8).lexicographicallyPrecedes(Array(b.utf8))
                if a.precedesInByteOrder(b) != bytes { disagreements += 1 }
            }
        }
        #expect(disagreements == 0)
        // The order the input files are read in: bytes, not Unicode or the locale.
        #expect(
            ["b", "B", "ä", "a", "a b", ""].sorted { $0.precedesInByteOrder($1) } == ["", "B", "a", "a b", "b", "ä"])
    }
}
