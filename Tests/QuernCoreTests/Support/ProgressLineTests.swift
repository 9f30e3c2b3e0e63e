import Testing

@testable import QuernCore

@Suite("Progress line")
struct ProgressLineTests {
    static let stats = "1,234/5,678 files  123,456 rows  9,876 rows/s  ETA 3 min"

    /// A line as long as the terminal wraps on some terminals, leaving a stale line per redraw.
    @Test(arguments: [1, 2, 10, 20, 40, 60, 79, 80, 120, 300])
    func neverReachesTheLastColumn(columns: Int) {
        for fraction in [0, 0.5, 1] {
            let line = ProgressLine.render(label: "extract", fraction: fraction, stats: Self.stats, columns: columns)
            #expect(line.count <= max(columns - 1, 1), "\(columns): \(line)")
        }
    }

    @Test func wideTerminalsGetTheWholeBarAndStats() {
        let line = ProgressLine.render(label: "merge", fraction: 0.5, stats: Self.stats, columns: 200)
        #expect(line == "merge [##############..............]  50%  \(Self.stats)")
    }

    @Test func narrowTerminalsDropTheBarBeforeCuttingTheStats() {
        let line = ProgressLine.render(label: "merge", fraction: 0.25, stats: "10/40 rows", columns: 50)
        #expect(line == "merge [######..................]  25%  10/40 rows")
        let tight = ProgressLine.render(label: "merge", fraction: 0.25, stats: Self.stats, columns: 40)
        #expect(tight == String("merge  25%  \(Self.stats)".prefix(39)))
    }

    @Test func widthComesFromColumnsWhenNotATerminal() {
        // fd -1 is no terminal, so $COLUMNS decides, and a missing or bad one gives 80.
        #expect(TerminalWidth.columns(fd: -1, environment: ["COLUMNS": "57"]) == 57)
        #expect(TerminalWidth.columns(fd: -1, environment: ["COLUMNS": "wide"]) == 80)
        #expect(TerminalWidth.columns(fd: -1, environment: [:]) == 80)
    }

    @Test func mergeEtaIsTheRemainingRowsAtTheRateSoFar() {
        #expect(MergeStage.eta(done: 0, total: 100, elapsed: 5) == nil)
        #expect(MergeStage.eta(done: 25, total: 100, elapsed: 5) == 15)
        #expect(MergeStage.eta(done: 100, total: 100, elapsed: 5) == 0)
    }
}
