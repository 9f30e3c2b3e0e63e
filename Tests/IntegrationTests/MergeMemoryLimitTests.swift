import Foundation
import QuernCore
import QuernTestSupport
import Testing

/// `--memory-limit` and what a merge strategy keeps besides the batch parts (issue 13 item 6):
/// dedupe's table of hashes grows with the rows, shuffle sorts buckets of spilled rows, balance
/// and dedupe copy the rows they keep. The merge holds the limit, or refuses it before it reads a
/// row, naming the smallest limit that works for that strategy and that many rows.
@Suite("merge memory limit with each strategy's state", .serialized)
struct MergeMemoryLimitTests {
    static let config = ExtractEndToEndTests.config

    func quern(_ ws: TempWorkspace, _ args: [String]) throws -> QuernProcess.Result {
        try QuernProcess.run(args + ["--config", Self.config, "-q"], cwd: ws.path)
    }

    /// What the merge needed when it refused, in MiB (rounded down): the figure it names has a
    /// margin above it, for what a process holds varies from run to run.
    func need(_ r: QuernProcess.Result) throws -> Int {
        let said = try #require(
            r.stderr.range(of: #"the merge needs ([0-9.]+) MiB now"#, options: .regularExpression).map {
                String(r.stderr[$0])
            }, "\(r.stderr)")
        let mib = try #require(Double(said.dropFirst("the merge needs ".count).dropLast(" MiB now".count)))
        return Int(mib.rounded(.down))
    }

    /// The limit a refusal names, in MiB.
    func minimum(_ r: QuernProcess.Result) throws -> Int {
        let said = try #require(
            r.stderr.range(of: #"at least ([0-9.]+) MiB"#, options: .regularExpression).map { String(r.stderr[$0]) },
            "\(r.stderr)")
        let mib = try #require(Double(said.dropFirst("at least ".count).dropLast(" MiB".count)))
        return Int(mib.rounded(.up))
    }

    /// 240,000 rows in small parts (extracted under a limit), so the strategies' state, not the
    /// parts, decides the minimum: dedupe's table alone is 8 MiB, and it was 12 MiB while it grew.
    /// Each strategy is refused below what it needs, before any work; at the limit it names (the need
    /// plus a margin) it succeeds with every stage's recorded peak under it.
    @Test func eachStrategyHoldsTheLimitItNamesAndIsRefusedBelowIt() throws {
        let ws = TempWorkspace()
        var r = try QuernProcess.run(["generate", "--files", "400", "--rows", "600", "--out", "\(ws.path)/in"])
        #expect(r.status == 0, "\(r.stderr)")
        r = try quern(ws, ["extract", "--input-dir", "in", "--memory-limit", "64MiB"])
        #expect(r.status == 0, "\(r.stderr)")
        r = try quern(ws, ["merge", "--merge-strategy", "dedupe", "--output-dir", "ref"])
        #expect(r.status == 0, "\(r.stderr)")
        for strategy in ["dedupe", "shuffle", "balance:mode=min"] {
            let name = String(strategy.prefix { $0 != ":" })
            r = try quern(
                ws, ["merge", "--merge-strategy", strategy, "--output-dir", "low-\(name)", "--memory-limit", "16MiB"])
            #expect(r.status == 1, "\(strategy): \(r.stderr)")
            #expect(
                r.stderr.contains("strategy \(name) needs") && r.stderr.contains("240,000 rows"),
                "\(strategy) says what its state needs: \(r.stderr)")
            let mib = try minimum(r)
            let needed = try need(r)
            #expect(mib > needed, "the figure named leaves a margin above the need")
            // A tenth below what the merge needed is refused (what a process holds varies by less).
            let below = needed - max(2, needed / 10)
            r = try quern(
                ws,
                [
                    "merge", "--merge-strategy", strategy, "--output-dir", "below-\(name)", "--memory-limit",
                    "\(below)MiB",
                ])
            #expect(
                r.status == 1 && r.stderr.contains("strategy \(name) needs"),
                "\(strategy) under \(below) MiB is refused: \(r.stderr)")
            #expect(
                !FileManager.default.fileExists(atPath: "\(ws.path)/below-\(name)"),
                "\(strategy): nothing written below the minimum")
            r = try quern(
                ws,
                [
                    "merge", "--merge-strategy", strategy, "--output-dir", "at-\(name)", "--log-dir", "logs-\(name)",
                    "--memory-limit", "\(mib)MiB",
                ])
            #expect(r.status == 0, "\(strategy) under the \(mib) MiB it named: \(r.stderr)")
            let summary = try #require(
                try JSONSerialization.jsonObject(
                    with: Data(contentsOf: URL(fileURLWithPath: "\(ws.path)/logs-\(name)/summary.json")))
                    as? [String: Any])
            let stages = try #require(summary["stages"] as? [String: [String: Any]])
            #expect(stages["merge"] != nil, "\(stages.keys)")
            for (stage, record) in stages {
                let peak = record["peak_rss_bytes"] as? Int ?? 0
                #expect(
                    peak > 0 && peak <= mib << 20,
                    "\(strategy): \(stage) peaked at \(Human.bytes(peak)), over the \(mib) MiB it named")
            }
        }
        for file in ["X_train.npy", "X_val.npy", "X_test.npy", "labels_train.npz", "masks_test.npz"] {
            let same =
                FileManager.default.contents(atPath: "\(ws.path)/ref/\(file)")
                == FileManager.default.contents(atPath: "\(ws.path)/at-dedupe/\(file)")
            #expect(same, "dedupe: \(file) is the same with and without --memory-limit")
        }
    }
}
