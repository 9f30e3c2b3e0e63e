import Foundation
import QuernCore
import QuernTestSupport
import Testing

/// The `command` extractor and the `jsonl` writer through the real `quern`, with the example
/// worker (docs/examples/slugs_worker.py, run by /usr/bin/python3): results, a worker that dies,
/// a record that times out, retries, the budget and its resume, and a SIGKILL of quern itself.
/// The worker appends the URL of every record it is sent to a log, so "never paid twice" is a
/// count of that log.
@Suite("API jobs: the command extractor, end to end", .serialized)
struct CommandExtractorTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path
    static let worker = "\(root)/docs/examples/slugs_worker.py"
    static let python = "/usr/bin/python3"

    /// `files` CSV files of `rows` records each (url `https://e.com/F/R`, title `Title F R`),
    /// with `special` titles at (file, row).
    func inputs(_ ws: TempWorkspace, files: Int, rows: Int, special: [String: String] = [:]) -> [String] {
        var urls: [String] = []
        for f in 0..<files {
            var text = "url,title\n"
            for r in 0..<rows {
                let url = "https://e.com/\(f)/\(r)"
                text += "\(url),\(special["\(f)/\(r)"] ?? "Title \(f) \(r)")\n"
                urls.append(url)
            }
            ws.write("urls/part_\(f).csv", text)
        }
        return urls
    }

    /// A config running the worker with `workerArgs` (its log in the workspace), `extractor`
    /// options appended under `extractor:`.
    func config(_ ws: TempWorkspace, _ workerArgs: [String] = [], extractor: String = "", budget: Double? = nil)
        -> String
    {
        let args = ([Self.python, Self.worker, "--log", "\(ws.path)/sent.log"] + workerArgs).map {
            "\"\($0)\""
        }.joined(separator: ", ")
        return ws.write(
            "quern.yaml",
            """
            paths: {input: \(ws.path)/urls, intermediate: \(ws.path)/batches, output: \(ws.path)/out}
            extractor:
              name: command
              command: [\(args)]
              columns: [url, title]
            \(extractor.split(separator: "\n").map { "  \($0)" }.joined(separator: "\n"))
            batch: {files_per_batch: 1, codec: zlib}
            split: {fractions: [1, 0, 0]}
            normalize: {method: none}
            save: {writer: jsonl}
            \(budget.map { "extract: {budget: \($0)}" } ?? "")
            """)
    }

    func run(_ ws: TempWorkspace, _ extra: [String] = [], env: [String: String] = [:]) throws -> QuernProcess.Result {
        try QuernProcess.run(["run", "--config", "\(ws.path)/quern.yaml", "-q"] + extra, env: env)
    }

    /// The records the worker was sent, by URL, with how many times.
    func sent(_ ws: TempWorkspace) -> [String: Int] {
        ws.text("sent.log").split(separator: "\n").reduce(into: [:]) { $0[String($1), default: 0] += 1 }
    }

    /// The lines of a results file, each parsed.
    func results(_ ws: TempWorkspace, _ file: String = "out/results.jsonl") throws -> [[String: String]] {
        let text = ws.text(file)
        #expect(text.isEmpty || text.hasSuffix("\n"), "every line is newline-terminated")
        return try text.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map {
            try #require(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: String])
        }
    }

    @Test func theSlugsExampleRunsEndToEndAndEveryRecordIsInResultsOnce() throws {
        let ws = TempWorkspace("quern-slugs")
        let urls = inputs(ws, files: 3, rows: 4, special: ["1/2": "  ", "2/0": "Ça marche: déjà vu!"])
        // The example as shipped, from the repository folder (its worker path is relative), on
        // this workspace's folders.
        let r = try QuernProcess.run(
            [
                "run", "--config", "docs/examples/slugs.yaml", "-q", "--input-dir", "\(ws.path)/urls",
                "--intermediate-dir", "\(ws.path)/batches", "--output-dir", "\(ws.path)/out",
            ], cwd: Self.root)
        #expect(r.status == 0, "\(r.stderr)")
        let lines = try results(ws)
        #expect(lines.count == urls.count - 1, "every record once but the one without a title (skipped)")
        #expect(Set(lines.compactMap { $0["url"] }) == Set(urls).subtracting(["https://e.com/1/2"]))
        #expect(lines.first == ["url": "https://e.com/0/0", "slug": "title-0-0"], "in input order (concat)")
        #expect(lines.contains(["url": "https://e.com/2/0", "slug": "ca-marche-deja-vu"]))
        let journal = ws.text("batches/journal.jsonl")
        #expect(journal.contains("\"spent\":0.006"), "3 records of 0.002 in batch 0: \(journal)")
        #expect(ws.text("out/checksums.json").contains("results.jsonl"), "the results are checksummed")
    }

    @Test func splitsGiveOneResultsFilePerSplitWithTheArraysRows() throws {
        let ws = TempWorkspace("quern-slugs-split")
        let urls = inputs(ws, files: 4, rows: 10)
        _ = config(ws)
        let r = try run(ws, ["--split", "0.6,0.2,0.2"])
        #expect(r.status == 0, "\(r.stderr)")
        var all: [String] = []
        let stats = ws.text("out/preprocessing_stats.json")
        for split in ["train", "val", "test"] {
            let lines = try results(ws, "out/results_\(split).jsonl")
            all += lines.compactMap { $0["url"] }
            #expect(stats.contains("\"\(split)\" : \(lines.count)"), "\(split): as many lines as rows\n\(stats)")
        }
        #expect(all.sorted() == urls.sorted())
    }

    @Test func aWorkerThatDiesIsStartedAgainOnceAFileAndTheFileGoesOn() throws {
        let ws = TempWorkspace("quern-slugs-die")
        let urls = inputs(
            ws, files: 3, rows: 5,
            special: ["0/2": "Title ONCE-a", "1/3": "Title FATAL", "2/1": "Title ONCE-b", "2/3": "Title ONCE-c"])
        _ = config(ws, ["--die-once-on", "ONCE", "--marker", "\(ws.path)/died", "--die-on", "FATAL"])
        let r = try run(ws)
        #expect(r.status == 3, "files failed: exit 3\n\(r.stderr)")
        // File 0: the worker died once on its record 2, was started again, and the file went on
        // from that record: the records before it were not sent again.
        let log = sent(ws)
        #expect(log["https://e.com/0/2"] == 2, "the record it died on was sent again: \(log)")
        #expect(log["https://e.com/0/0"] == 1 && log["https://e.com/0/1"] == 1 && log["https://e.com/0/4"] == 1)
        // File 1 dies twice on record 3, file 2 once on record 1 and once on record 3: both fail,
        // with the worker's exit status and stderr.
        #expect(log["https://e.com/1/3"] == 2 && log["https://e.com/2/1"] == 2 && log["https://e.com/2/3"] == 1)
        let failed = ws.text("batches/failed.jsonl")
        #expect(failed.contains("part_1.csv") && failed.contains("exited with status 3"), "\(failed)")
        #expect(failed.contains("slugs_worker: cannot handle"), "the stderr tail names the cause: \(failed)")
        #expect(failed.contains("part_2.csv") && failed.contains("it had ended on line 3 of this file"), "\(failed)")
        let kept = try results(ws).compactMap { $0["url"] }
        #expect(kept == Array(urls.prefix(5)), "file 0 whole and in order; none of files 1 and 2")
    }

    @Test func aRecordThatTimesOutFailsAndTheProgramIsStartedAgain() throws {
        let ws = TempWorkspace("quern-slugs-timeout")
        let urls = inputs(ws, files: 1, rows: 4, special: ["0/1": "Title SLOW"])
        _ = config(ws, ["--sleep-on", "SLOW", "--sleep", "30"], extractor: "timeout: 1")
        let r = try run(ws)
        #expect(r.status == 3, "a failed record: exit 3\n\(r.stderr)")
        let failed = ws.text("batches/failed.jsonl")
        #expect(failed.contains(#""line":3"#) && failed.contains("no reply within 1.0 seconds"), "\(failed)")
        let kept = try results(ws).compactMap { $0["url"] }
        #expect(kept == [urls[0], urls[2], urls[3]], "the records after it went to a new program")
    }

    @Test func aStrayLineOnStdoutFailsItsRecordAndANewProgramAnswersTheRest() throws {
        let ws = TempWorkspace("quern-slugs-chatter")
        let urls = inputs(ws, files: 1, rows: 5, special: ["0/1": "Title CHATTY"])
        _ = config(ws, ["--chatter-on", "CHATTY"])
        let r = try run(ws)
        #expect(r.status == 3, "a failed record: exit 3\n\(r.stderr)")
        #expect(ws.text("batches/failed.jsonl").contains("write logs to stderr, not stdout"))
        let kept = try results(ws)
        #expect(kept.compactMap { $0["url"] } == [urls[0], urls[2], urls[3], urls[4]])
        #expect(
            kept.allSatisfy { $0["slug"] == "title-0-\($0["url"]!.split(separator: "/").last!)" },
            "each reply on its record")
    }

    @Test func retryableRecordsAreRetriedWithBackoffUpToTheLimit() throws {
        let ws = TempWorkspace("quern-slugs-retry")
        let urls = inputs(ws, files: 1, rows: 4, special: ["0/0": "Title BUSY", "0/2": "Title BUSIER"])
        // BUSY answers on the third try; BUSIER keeps asking (5 > retries 2).
        _ = config(ws, ["--retry-on", "BUSY", "--retry-times", "2"], extractor: "retries: 2\nbackoff: 0.01")
        let r = try run(ws)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(sent(ws)["https://e.com/0/0"] == 3, "two retries, then the answer")
        #expect(try results(ws).count == urls.count)

        let ws2 = TempWorkspace("quern-slugs-retry-out")
        _ = inputs(ws2, files: 1, rows: 2, special: ["0/1": "Title BUSY"])
        _ = config(ws2, ["--retry-on", "BUSY", "--retry-times", "5"], extractor: "retries: 2\nbackoff: 0.01")
        let r2 = try run(ws2)
        #expect(r2.status == 3, "\(r2.stderr)")
        #expect(sent(ws2)["https://e.com/0/1"] == 3, "sent once and retried twice")
        #expect(ws2.text("batches/failed.jsonl").contains("the model is busy (still asking to retry after 2 retries)"))
    }

    @Test func aBudgetThatRunsOutStopsTheRunAndARaisedOneResumesWithoutPayingTwice() throws {
        let ws = TempWorkspace("quern-slugs-budget")
        let urls = inputs(ws, files: 4, rows: 5)
        // 5 records of 0.002: each batch (one file) costs 0.01; 0.025 pays for two.
        _ = config(ws, ["--cost", "0.002"], budget: 0.025)
        let r = try run(ws)
        #expect(r.status == 4, "stopped at the budget: exit 4\n\(r.stderr)")
        #expect(r.stderr.contains("budget reached") && r.stderr.contains("2 of 4 batches are not made"), "\(r.stderr)")
        #expect(r.stderr.contains("--budget 0.04"), "it says what budget covers the rest: \(r.stderr)")
        #expect(sent(ws).count == 10, "two batches' records were sent: \(sent(ws))")
        #expect(!FileManager.default.fileExists(atPath: "\(ws.path)/out/results.jsonl"), "nothing published")

        let more = try run(ws, ["--budget", "1"])
        #expect(more.status == 0, "\(more.stderr)")
        let log = sent(ws)
        #expect(log.count == urls.count && log.values.allSatisfy { $0 == 1 }, "no record sent twice: \(log)")
        #expect(try results(ws).compactMap { $0["url"] } == urls)
        let spent = ws.text("batches/journal.jsonl").split(separator: "\n").filter { $0.contains("\"spent\":0.01") }
        #expect(spent.count == 4, "each batch's cost is journaled")
    }

    @Test func afterASIGKILLOfQuernAndAResumeEveryRecordIsInResultsExactlyOnce() throws {
        for point in ["batch-journaled#2", "output-moved"] {
            let ws = TempWorkspace("quern-slugs-crash")
            let urls = inputs(ws, files: 4, rows: 3)
            _ = config(ws)
            let killed = try run(ws, ["--workers", "1"], env: ["QUERN_CRASH_AT": point])
            #expect(killed.signal == SIGKILL, "\(point): killed there (\(killed.status), \(killed.stderr))")
            let resumed = try run(ws, ["--workers", "1"])
            #expect(resumed.status == 0, "\(point): \(resumed.stderr)")
            #expect(try results(ws).compactMap { $0["url"] } == urls, "\(point): every record once, in order")
            let log = sent(ws)
            #expect(
                log.count == urls.count && log.values.allSatisfy { $0 == 1 },
                "\(point): no record of a journaled batch was sent again: \(log)")
        }
    }
}
