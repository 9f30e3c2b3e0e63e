import Foundation
import QuernCore
import QuernTestSupport
import Testing

/// One rule set for the bookkeeping of an intermediate folder (plan, journals, cleanup record):
/// what `quern verify` reports, `quern merge` refuses and `quern extract` repairs. Each test damages
/// a finished run of 20 games (4 batches of 5 files, 100 rows) as a user or a crash could.
@Suite("plan, journal and cleanup rules", .serialized)
struct IntermediateRulesTests {
    static let config = ExtractEndToEndTests.config

    func finishedRun(_ extra: [String] = []) throws -> TempWorkspace {
        let ws = TempWorkspace()
        #expect(
            try QuernProcess.run(["generate", "--files", "20", "--rows", "5", "--out", "\(ws.path)/in"]).status == 0)
        let r = try QuernProcess.run(
            ["run", "--config", Self.config, "--input-dir", "in", "--files-per-batch", "5", "-q"] + extra, cwd: ws.path)
        #expect(r.status == 0, "\(r.stderr)")
        return ws
    }

    func quern(_ ws: TempWorkspace, _ args: [String]) throws -> QuernProcess.Result {
        try QuernProcess.run(args + ["--config", Self.config], cwd: ws.path)
    }

    func verify(_ ws: TempWorkspace) throws -> QuernProcess.Result { try quern(ws, ["verify"]) }

    func extract(_ ws: TempWorkspace) throws -> QuernProcess.Result {
        try quern(ws, ["extract", "--input-dir", "in", "--files-per-batch", "5"])
    }

    func merge(_ ws: TempWorkspace) throws -> QuernProcess.Result { try quern(ws, ["merge", "-q"]) }

    /// Rows in the published outputs, from preprocessing_stats.json.
    func outputRows(_ ws: TempWorkspace) throws -> Int {
        let data = try #require(
            FileManager.default.contents(atPath: "\(ws.path)/data/processed/preprocessing_stats.json"))
        let stats = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        return try #require(stats["total_samples"] as? Int)
    }

    func lines(_ ws: TempWorkspace, _ file: String) -> [String] {
        let text = String(
            decoding: FileManager.default.contents(atPath: "\(ws.path)/data/intermediate/\(file)") ?? Data(),
            as: UTF8.self)
        return text.split(separator: "\n").map(String.init)
    }

    func write(_ ws: TempWorkspace, _ file: String, lines: [String]) {
        ws.write("data/intermediate/\(file)", lines.joined(separator: "\n") + "\n")
    }

    // Item 23: a damaged plan line made the next run re-plan that batch's files into a new batch
    // while the old one stayed journaled, and the merge took those rows twice.
    @Test func aDamagedPlanLineNeverDoublesRows() throws {
        let ws = try finishedRun()
        var plan = lines(ws, "plan.jsonl")
        #expect(plan.count == 5)
        plan[2] = String(plan[2].prefix(20)) + "#"  // batch 1's line, damaged in place
        write(ws, "plan.jsonl", lines: plan)

        let v = try verify(ws)
        #expect(v.status == 2, "verify reports the damaged plan: \(v.stdout)")
        #expect(v.stdout.contains("plan.jsonl") && v.stdout.contains("line 3"), "\(v.stdout)")
        let m = try merge(ws)
        #expect(m.status == 1 && m.stderr.contains("plan.jsonl"), "the merge refuses a damaged plan: \(m.stderr)")

        let r = try quern(ws, ["run", "--input-dir", "in", "--files-per-batch", "5", "-q"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.contains("rebuilt from the journal"), "\(r.stderr)")
        #expect(try outputRows(ws) == 100, "each file's rows are taken once")
        #expect(lines(ws, "plan.jsonl").count == 5, "no batch was planned twice")
        let after = try verify(ws)
        #expect(after.status == 0, "\(after.stdout)")
    }

    // Item 23: a file recorded in two journaled batches (an older version's re-plan, or an edit).
    @Test func aFileInTwoJournaledBatchesIsRefusedThenRepaired() throws {
        let ws = try finishedRun()
        var journal = lines(ws, "journal.jsonl")
        let batch1 = try #require(journal.first { $0.contains("\"batch\":1,") })
        let batch0 = try #require(journal.first { $0.contains("\"batch\":0,") })
        // Batch 0's latest line also claims batch 1's first file.
        let object1 = try #require(try JSONSerialization.jsonObject(with: Data(batch1.utf8)) as? [String: Any])
        var object0 = try #require(try JSONSerialization.jsonObject(with: Data(batch0.utf8)) as? [String: Any])
        let stolen = try #require((object1["files"] as? [[String: Any]])?.first)
        object0["files"] = ((object0["files"] as? [[String: Any]]) ?? []) + [stolen]
        journal.append(
            String(decoding: try JSONSerialization.data(withJSONObject: object0, options: [.sortedKeys]), as: UTF8.self)
        )
        write(ws, "journal.jsonl", lines: journal)

        let v = try verify(ws)
        #expect(v.status == 2 && v.stdout.contains("in batches 0 and 1"), "\(v.stdout)")
        let m = try merge(ws)
        #expect(
            m.status == 1 && m.stderr.contains("in batches 0 and 1"),
            "the merge refuses a file in two batches: \(m.stderr)")
        let e = try extract(ws)
        #expect(e.status == 0, "\(e.stderr)")
        #expect(try verify(ws).status == 0)
        #expect(try merge(ws).status == 0)
        #expect(try outputRows(ws) == 100)
    }

    // Item 36: verify, extract and merge disagreed on these; now verify reports each, the merge
    // refuses it, and extract repairs it.
    @Test(arguments: ["journal-garbage", "journal-rows", "plan-deleted", "swapped"])
    func verifyMergeAndExtractApplyOneRuleSet(_ damage: String) throws {
        let ws = try finishedRun()
        let dir = "\(ws.path)/data/intermediate"
        switch damage {
        case "journal-garbage":
            write(ws, "journal.jsonl", lines: lines(ws, "journal.jsonl") + ["garbage"])
        case "journal-rows":
            var journal = lines(ws, "journal.jsonl")
            let i = try #require(journal.firstIndex { $0.contains("\"batch\":2,") })
            let rows = try #require(journal[i].range(of: "\"rows\":25}"), "\(journal[i])")
            journal[i].replaceSubrange(rows, with: "\"rows\":26}")
            write(ws, "journal.jsonl", lines: journal)
        case "plan-deleted":
            try FileManager.default.removeItem(atPath: "\(dir)/plan.jsonl")
        default:
            // Both files and their journal records swapped: each file still matches a journal line.
            try FileManager.default.moveItem(atPath: "\(dir)/batch_000001.npz", toPath: "\(dir)/swap")
            try FileManager.default.moveItem(atPath: "\(dir)/batch_000002.npz", toPath: "\(dir)/batch_000001.npz")
            try FileManager.default.moveItem(atPath: "\(dir)/swap", toPath: "\(dir)/batch_000002.npz")
            var journal = lines(ws, "journal.jsonl")
            let i = try #require(journal.firstIndex { $0.contains("\"batch\":1,") })
            let j = try #require(journal.firstIndex { $0.contains("\"batch\":2,") })
            func parts(_ line: String) throws -> String {
                let start = try #require(line.range(of: "\"parts\":["))
                let end = try #require(line[start.upperBound...].range(of: "]"))
                return String(line[start.lowerBound..<end.upperBound])
            }
            let (p1, p2) = (try parts(journal[i]), try parts(journal[j]))
            journal[i] = journal[i].replacingOccurrences(
                of: p1, with: p2.replacingOccurrences(of: "batch_000002", with: "batch_000001"))
            journal[j] = journal[j].replacingOccurrences(
                of: p2, with: p1.replacingOccurrences(of: "batch_000001", with: "batch_000002"))
            write(ws, "journal.jsonl", lines: journal)
        }
        let v = try verify(ws)
        #expect(v.status == 2, "verify reports it: \(v.stdout)")
        let m = try merge(ws)
        #expect(m.status == 1, "the merge refuses what verify reports: \(m.stdout)\(m.stderr)")
        #expect(!m.stderr.contains("Fatal error"))
        let e = try extract(ws)
        #expect(e.status == 0, "\(e.stderr)")
        let again = try verify(ws)
        #expect(again.status == 0, "extract repaired it: \(again.stdout)")
        #expect(try merge(ws).status == 0)
        #expect(try outputRows(ws) == 100)
    }

    // Item 35: a merge with a config whose extractor differs from the batches' used them silently.
    @Test func mergeRefusesBatchesMadeWithAnotherConfig() throws {
        let ws = try finishedRun()
        let original = try String(contentsOfFile: Self.config, encoding: .utf8)
        let changed = original.replacingOccurrences(of: "numeric: [\"f*\", turn]", with: "numeric: [\"f*\"]")
        #expect(changed != original)
        ws.write("fewer.yaml", changed)
        let m = try QuernProcess.run(["merge", "--config", "fewer.yaml", "-q"], cwd: ws.path)
        #expect(m.status != 0, "\(m.stderr)")
        #expect(
            m.stderr.contains("numeric") && m.stderr.contains("--restart"),
            "says what changed and what to do: \(m.stderr)")
        let again = try merge(ws)
        #expect(again.status == 0, "the original config still merges: \(again.stderr)")
    }

    // Item 15: `run --cleanup && verify` always failed, and the next run warned of damage.
    @Test func aCleanupIsRecordedSoVerifyAndTheNextRunStayCalm() throws {
        let ws = try finishedRun(["--cleanup"])
        #expect(!ws.files(in: "data/intermediate").contains { $0.hasPrefix("batch_") }, "the batches were deleted")
        let v = try verify(ws)
        #expect(v.status == 0, "\(v.stdout)")
        #expect(v.stdout.contains("deleted by --cleanup"), "\(v.stdout)")

        let m = try merge(ws)
        #expect(
            m.status == 1 && m.stderr.contains("deleted by --cleanup") && m.stderr.contains("quern extract"),
            "\(m.stderr)")

        let r = try quern(ws, ["run", "--input-dir", "in", "--files-per-batch", "5"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(!r.stderr.contains("missing or damaged") && !r.stderr.contains("warning"), "\(r.stderr)")
        #expect(r.stderr.contains("deleted by --cleanup"), "says calmly why the batches are made again: \(r.stderr)")
        #expect(try outputRows(ws) == 100)
        #expect(try verify(ws).status == 0)
    }

    // Item 5: after a 20-file run, --max-files 10 was shown as 10 files by --dry-run but the run
    // took all 20.
    @Test func maxFilesHoldsWhenTheFolderHoldsABiggerPlan() throws {
        let ws = try finishedRun()
        let args = ["run", "--input-dir", "in", "--files-per-batch", "5", "--max-files", "10", "-q"]
        let dry = try quern(ws, args + ["--dry-run"])
        let real = try quern(ws, args)
        #expect(dry.status == real.status, "dry run and run agree: \(dry.stderr) / \(real.stderr)")
        #expect(real.status != 0, "\(real.stderr)")
        #expect(real.stderr.contains("--max-files 10") && real.stderr.contains("20 files"), "\(real.stderr)")
        #expect(try outputRows(ws) == 100, "the outputs were not replaced")

        let restart = try quern(ws, args + ["--restart"])
        #expect(restart.status == 0, "\(restart.stderr)")
        #expect(try outputRows(ws) == 50, "10 files of 5 rows")
    }
}
