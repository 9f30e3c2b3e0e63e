import Foundation
import QuernCore
import QuernTestSupport
import Testing

/// The run's JSON Lines log, its human log, and the console switches.
@Suite("Run logs", .serialized)
struct LogTests {
    static let config = ExtractEndToEndTests.config

    func workspace() throws -> TempWorkspace {
        let ws = TempWorkspace("quern-logs")
        #expect(
            try QuernProcess.run(["generate", "--files", "6", "--rows", "8", "--out", "\(ws.path)/in"]).status == 0)
        return ws
    }

    /// Each line is one JSON object; the file ends in a newline.
    func events(_ text: String) throws -> [[String: Any]] {
        #expect(text.hasSuffix("\n"))
        return try text.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map { line in
            #expect(!line.isEmpty)
            return try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "\(line)")
        }
    }

    @Test func theJSONLogParsesLineByLineAndEveryLineEndsInANewline() throws {
        let ws = try workspace()
        for _ in 0..<2 {
            let r = try QuernProcess.run(
                ["run", "--config", Self.config, "--input-dir", "in", "--files-per-batch", "2", "--log-dir", "logs"],
                cwd: ws.path)
            #expect(r.status == 0, "\(r.stderr)")
            #expect(r.stdout.contains("stages: discover ") && r.stdout.contains("(total "), "\(r.stdout)")
        }
        let data = try Data(contentsOf: URL(fileURLWithPath: "\(ws.path)/logs/events.jsonl"))
        #expect(data.last == UInt8(ascii: "\n"))
        let all = try events(String(decoding: data, as: UTF8.self))
        #expect(Set(all.compactMap { $0["run_id"] as? String }).count == 2)
        for e in all {
            #expect(e["ts"] is String && e["event"] is String && e["dataset"] as? String == "default")
        }
        let names = all.compactMap { $0["event"] as? String }
        for expected in [
            "run_started", "preflight", "stage_started", "stage_finished", "batch_published", "message", "summary",
            "run_finished",
        ] {
            #expect(names.contains(expected), "\(expected)")
        }
        let extract = try #require(
            all.first { $0["event"] as? String == "stage_finished" && $0["stage"] as? String == "extract" })
        #expect(
            extract["status"] as? String == "ok" && extract["seconds"] is Double
                && (extract["peak_rss_bytes"] as? Int ?? 0) > 0)
        // first run only: the second keeps them
        #expect(all.filter { $0["event"] as? String == "batch_published" }.count == 3)
        let extractCounts = try #require(
            all.first { $0["event"] as? String == "summary" && $0["kind"] as? String == "extract" })
        #expect(
            extractCounts["rows"] as? Int == 48 && extractCounts["files_ok"] as? Int == 6
                && extractCounts["batches"] as? Int == 3)
        let mergeCounts = try #require(
            all.first { $0["event"] as? String == "summary" && $0["kind"] as? String == "merge" })
        #expect(mergeCounts["rows_out"] as? Int == 48)
        let finished = try #require(all.last)
        #expect(finished["event"] as? String == "run_finished" && finished["rows"] as? Int == 48)
        #expect(
            (finished["stages"] as? [String: Any])?.keys.sorted() == [
                "discover", "extract", "merge", "normalize", "run", "save", "split",
            ])

        let human = try String(contentsOfFile: "\(ws.path)/logs/quern.log", encoding: .utf8)
        #expect(human.contains("extract: ok in ") && human.contains("peak memory"))
        let summary = try #require(
            try JSONSerialization.jsonObject(
                with: Data(contentsOf: URL(fileURLWithPath: "\(ws.path)/logs/summary.json"))) as? [String: Any])
        #expect(
            summary["status"] as? String == "ok" && summary["rows_out"] as? Int == 48
                && (summary["peak_rss_bytes"] as? Int ?? 0) > 0)
        // Each stage's own peak: none above the run's, and the run's is some stage's.
        let runPeak = summary["peak_rss_bytes"] as? Int ?? 0
        let stagePeaks = ((summary["stages"] as? [String: [String: Any]]) ?? [:]).compactMapValues {
            $0["peak_rss_bytes"] as? Int
        }
        #expect(
            stagePeaks.keys.sorted() == ["discover", "extract", "merge", "normalize", "run", "save", "split"],
            "\(stagePeaks)")
        #expect(stagePeaks.values.allSatisfy { $0 > 0 && $0 <= runPeak }, "\(stagePeaks) within \(runPeak)")
        #expect((stagePeaks.values.max() ?? 0) >= runPeak - (4 << 20), "\(stagePeaks) \(runPeak)")
        #expect(((finished["stages"] as? [String: [String: Any]])?["merge"]?["peak_rss_bytes"] as? Int ?? 0) > 0)
    }

    @Test func logFormatJSONPutsOnlyEventsOnStderr() throws {
        let ws = try workspace()
        let r = try QuernProcess.run(
            ["extract", "--config", Self.config, "--input-dir", "in", "--log-format", "json"], cwd: ws.path)
        #expect(r.status == 0, "\(r.stderr)")
        let all = try events(r.stderr)
        #expect(all.contains { $0["event"] as? String == "stage_finished" && $0["stage"] as? String == "extract" })
        #expect(all.contains { $0["event"] as? String == "message" })
        // The default log folder got the same events.
        #expect(FileManager.default.fileExists(atPath: "\(ws.path)/data/logs/events.jsonl"))
    }

    @Test func quietHidesNotesFromTheConsoleButNotFromTheLog() throws {
        let ws = try workspace()
        let r = try QuernProcess.run(
            ["extract", "--config", Self.config, "--input-dir", "in", "--quiet"], cwd: ws.path)
        #expect(r.status == 0)
        #expect(!r.stderr.contains("batches to make"), "\(r.stderr)")
        let human = try String(contentsOfFile: "\(ws.path)/data/logs/quern.log", encoding: .utf8)
        #expect(human.contains("batches to make"))
        let verbose = try QuernProcess.run(
            ["extract", "--config", Self.config, "--input-dir", "in", "--verbose"], cwd: ws.path)
        #expect(verbose.stderr.contains("== extract ok; peak memory"), "\(verbose.stderr)")
    }
}
