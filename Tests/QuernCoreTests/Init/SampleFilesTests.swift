import QuernCore
import QuernTestSupport
import Testing

/// `quern init` reads files from the whole folder, spread over names and sizes.
struct SampleFilesTests {
    static func files(_ n: Int, largest: Int? = nil) -> [InputFile] {
        (0..<n).map {
            InputFile(name: "f\(String($0).leftPad(3)).csv", size: $0 == largest ? 1 << 30 : 100 + $0 % 7, mtimeNs: 0)
        }
    }

    @Test func initSpreadsItsSampleOverTheWholeFolderAndOverFileSizes() {
        let chosen = SampleFiles.choose(Self.files(50, largest: 7), count: 5).map(\.name)
        #expect(chosen.count == 5)
        #expect(chosen.contains("f000.csv") && chosen.contains("f049.csv"), "first and last: \(chosen)")
        #expect(chosen.contains("f007.csv"), "the largest file: \(chosen)")
        #expect(chosen == chosen.sorted(), "in name order")
    }

    @Test(arguments: [(1, 1), (3, 20), (20, 20), (21, 20), (50, 20), (1000, 20), (7, 6), (2, 1), (10, 2)])
    func initTakesTheAskedNumberOfDistinctFiles(_ n: Int, _ count: Int) {
        let chosen = SampleFiles.choose(Self.files(n), count: count)
        #expect(chosen.count == min(n, count))
        #expect(Set(chosen.map(\.name)).count == chosen.count)
        if n > 1 && count > 1 { #expect(chosen.last?.name == Self.files(n).last?.name, "the last file is read") }
        // No tenth of the folder is left out when at least ten files are read.
        if count >= 10 && n >= count {
            for tenth in 0..<10 {
                #expect(
                    chosen.contains { Int($0.name.dropFirst().prefix(3))! * 10 / n == tenth },
                    "tenth \(tenth) of \(n): \(chosen.map(\.name))")
            }
        }
    }
}
