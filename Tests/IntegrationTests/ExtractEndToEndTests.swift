import Foundation
import QuernCore
import QuernPlugins
import QuernTestSupport
import Testing

/// `quern extract` run as a user runs it, on generated `games` files, checked through the files it
/// writes (with numpy where interop matters).
@Suite("quern extract, end to end", .serialized)
struct ExtractEndToEndTests {
    static let config = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
        .appendingPathComponent("docs/examples/games.yaml").path

    func generate(_ ws: TempWorkspace, files: Int, rows: Int = 20, bad: Int = 0, into dir: String = "in", seed: Int = 1)
        throws
    {
        let r = try QuernProcess.run([
            "generate", "--files", "\(files)", "--rows", "\(rows)", "--bad", "\(bad)", "--seed", "\(seed)", "--out",
            "\(ws.path)/\(dir)",
        ])
        #expect(r.status == 0, "\(r.stderr)")
    }

    func extract(_ ws: TempWorkspace, _ extra: [String] = [], out: String = "mid", input: String = "in") throws
        -> QuernProcess.Result
    {
        try QuernProcess.run(
            [
                "extract", "--config", Self.config, "--input-dir", "\(ws.path)/\(input)", "--intermediate-dir",
                "\(ws.path)/\(out)", "-q",
            ] + extra)
    }

    func batchBytes(_ dir: String) -> [String: Data] {
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).filter {
            BatchName(fileName: $0) != nil
        }
        return Dictionary(
            uniqueKeysWithValues: names.map { ($0, FileManager.default.contents(atPath: "\(dir)/\($0)")!) })
    }

    func journalLines(_ dir: String) -> [JournalEntry] {
        ((try? JSONLines.read("\(dir)/journal.jsonl")) ?? []).compactMap {
            try? JSONDecoder().decode(JournalEntry.self, from: $0)
        }
    }

    @Test func numpyOpensAZlibBatchWithTheExpectedValues() throws {
        let ws = TempWorkspace()
        try generate(ws, files: 12, rows: 6)
        let r = try extract(ws, ["--codec", "zlib", "--files-per-batch", "5"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(Set(batchBytes("\(ws.path)/mid").keys) == ["batch_000000.npz", "batch_000001.npz", "batch_000002.npz"])
        // An independent reference: Python's csv module on the same files, the workload's rules.
        let check = try QuernProcess.python(
            """
            import csv, glob, numpy as np
            files = sorted(glob.glob('in/*.csv'))[5:10]
            X, y, m, g = [], [], [], []
            onehot = [('current_player', ['0','1','2','3']), ('num_players', ['2','3','4']), ('phase', ['early','mid','late']),
                      ('action_type', ['take3','take2','reserve','buy','pass']), ('color', ['white','blue','green','red','black','gold'])]
            for f in files:
                for row in csv.DictReader(open(f)):
                    num = [float(row[f'f{i:02d}']) if row[f'f{i:02d}'] != '' else 0.0 for i in range(40)] + [float(row['turn'])]
                    X.append(num + [1.0 if row[c] == v else 0.0 for c, vals in onehot for v in vals])
                    y.append(int(row['action'])); m.append([int(ch) for ch in row['legal']]); g.append(row['game_id'])
            b = np.load('mid/batch_000001.npz')
            assert b['X'].dtype == np.float32 and b['X'].shape == (len(X), 62), b['X'].shape
            assert np.allclose(b['X'], np.array(X, dtype=np.float32)), 'features differ'
            assert b['label_action'].dtype == np.int32 and (b['label_action'] == np.array(y)).all()
            assert b['mask_legal'].dtype == np.int8 and (b['mask_legal'] == np.array(m)).all()
            assert [k.decode() for k in b['groups'][b['group_index']]] == g
            assert [s.decode() for s in b['sources']] == [f.split('/')[-1] for f in files]
            print(len(X))
            """, cwd: ws.path)
        #expect(check.status == 0, "\(check.stderr)")
        #expect(check.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "30")
    }

    @Test func corruptInputsLandInFailedListWhileTheOthersAreBatched() throws {
        let ws = TempWorkspace()
        try generate(ws, files: 10, rows: 5, bad: 6)
        let r = try extract(ws)
        #expect(r.status == 3, "exit 3 means done, but some files failed: \(r.stderr)")
        let failed = try JSONLines.read("\(ws.path)/mid/failed.jsonl").map {
            try JSONSerialization.jsonObject(with: $0) as! [String: Any]
        }
        let byFile = Dictionary(uniqueKeysWithValues: failed.map { ($0["file"] as! String, $0) })
        #expect(byFile.count == 6)
        #expect(byFile["bad_000_wrong_column_count.csv"]?["line"] as? Int == 4)
        #expect(byFile["bad_001_text_in_float.csv"]?["reason"] as? String == "column 'f07': 'seven' is not a number")
        #expect(byFile["bad_002_empty_file.csv"] != nil)
        #expect(byFile["bad_003_header_only.csv"] != nil)
        #expect(byFile["bad_004_truncated_last_line.csv"]?["line"] as? Int == 6)
        #expect((byFile["bad_005_invalid_utf8.csv"]?["reason"] as? String)?.contains("color") == true)
        #expect(journalLines("\(ws.path)/mid").reduce(0) { $0 + $1.rows } == 50)
        #expect(r.stdout.contains("10 processed, 6 failed"))
    }

    @Test func batchesAreIdenticalWhateverTheWorkerCount() throws {
        let ws = TempWorkspace()
        try generate(ws, files: 40, rows: 10)
        #expect(try extract(ws, ["--workers", "1", "--files-per-batch", "7"], out: "one").status == 0)
        #expect(try extract(ws, ["--workers", "3", "--files-per-batch", "7"], out: "three").status == 0)
        let one = batchBytes("\(ws.path)/one")
        let three = batchBytes("\(ws.path)/three")
        #expect(one.count == 6)
        #expect(one == three)
    }

    @Test func aRunKilledMidwayResumesToTheSameBatches() throws {
        let ws = TempWorkspace()
        try generate(ws, files: 300, rows: 40)
        let args = ["--workers", "1", "--files-per-batch", "5", "--codec", "zlib"]
        #expect(try extract(ws, args, out: "whole").status == 0)
        let expected = batchBytes("\(ws.path)/whole")
        #expect(expected.count == 60)

        let running = try QuernProcess.start(
            [
                "extract", "--config", Self.config, "--input-dir", "\(ws.path)/in", "--intermediate-dir",
                "\(ws.path)/cut", "-q",
            ] + args, quietOutput: true)
        var journaled = 0
        let deadline = Date().addingTimeInterval(60)
        while journaled < 3 && Date() < deadline && running.isRunning {
            journaled = journalLines("\(ws.path)/cut").count
            usleep(2_000)
        }
        kill(running.pid, SIGKILL)
        running.wait()
        let atKill = journalLines("\(ws.path)/cut").count
        #expect(atKill >= 3 && atKill < 60, "the kill must land mid-run (journal had \(atKill) of 60 batches)")

        let resumed = try extract(ws, args, out: "cut")
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(batchBytes("\(ws.path)/cut") == expected)
        let journal = journalLines("\(ws.path)/cut")
        #expect(Set(journal.map(\.batch)).count == 60)
        #expect(journal.count == 60, "no batch is redone after resume: each appears once")
        let leftovers = ws.files(in: "cut").filter { $0.hasPrefix(AtomicFile.tempPrefix) }
        #expect(leftovers.isEmpty)
    }

    @Test func newFilesGoIntoNewBatchesAndChangedOrVanishedFilesRedoOnlyTheirBatch() throws {
        let ws = TempWorkspace()
        try generate(ws, files: 20, rows: 5)
        #expect(try extract(ws, ["--files-per-batch", "10"]).status == 0)
        let first = batchBytes("\(ws.path)/mid")
        #expect(first.count == 2)

        // New files: a third batch; the first two are untouched.
        try generate(ws, files: 25, rows: 5, into: "more")
        for k in 20..<25 {
            let name = "game_\(String(k).leftPad(6)).csv"
            try FileManager.default.copyItem(atPath: "\(ws.path)/more/\(name)", toPath: "\(ws.path)/in/\(name)")
        }
        var r = try extract(ws, ["--files-per-batch", "10"])
        #expect(r.status == 0)
        var now = batchBytes("\(ws.path)/mid")
        #expect(now.count == 3)
        #expect(
            now["batch_000000.npz"] == first["batch_000000.npz"] && now["batch_000001.npz"] == first["batch_000001.npz"]
        )
        #expect(
            journalLines("\(ws.path)/mid").map(\.batch).sorted() == [0, 1, 2], "journal order follows completion order")

        // A touched but unchanged file keeps its batch; a changed one redoes only its batch.
        #expect(try QuernProcess.shell("touch -d '2001-01-01' in/game_000003.csv", cwd: ws.path) == 0)
        r = try extract(ws, ["--files-per-batch", "10"])
        #expect(journalLines("\(ws.path)/mid").count == 3)
        let text = try String(contentsOfFile: "\(ws.path)/in/game_000013.csv", encoding: .utf8)
        try text.replacingOccurrences(of: ",early,", with: ",late,").write(
            toFile: "\(ws.path)/in/game_000013.csv", atomically: true, encoding: .utf8)
        r = try QuernProcess.run([
            "extract", "--config", Self.config, "--input-dir", "\(ws.path)/in", "--intermediate-dir", "\(ws.path)/mid",
            "--files-per-batch", "10",
        ])
        #expect(r.stderr.contains("game_000013.csv changed"))
        #expect(journalLines("\(ws.path)/mid").map(\.batch).sorted() == [0, 1, 1, 2])
        #expect(journalLines("\(ws.path)/mid").last?.batch == 1)
        now = batchBytes("\(ws.path)/mid")
        #expect(now["batch_000000.npz"] == first["batch_000000.npz"])
        #expect(now["batch_000001.npz"] != first["batch_000001.npz"])

        // A vanished file: its batch is redone without it, the rows drop by one file's worth.
        try FileManager.default.removeItem(atPath: "\(ws.path)/in/game_000004.csv")
        r = try QuernProcess.run([
            "extract", "--config", Self.config, "--input-dir", "\(ws.path)/in", "--intermediate-dir", "\(ws.path)/mid",
            "--files-per-batch", "10",
        ])
        #expect(r.stderr.contains("game_000004.csv is gone"))
        let last = try #require(journalLines("\(ws.path)/mid").last)
        #expect(last.batch == 0 && last.rows == 45)
        // And a second run after that has nothing to do.
        r = try QuernProcess.run([
            "extract", "--config", Self.config, "--input-dir", "\(ws.path)/in", "--intermediate-dir", "\(ws.path)/mid",
            "--files-per-batch", "10",
        ])
        #expect(r.stderr.contains("nothing to do"))
        #expect(journalLines("\(ws.path)/mid").count == 5)
    }

    @Test func aDifferentSchemaIsRefusedAndRestartSetsTheOldBatchesAside() throws {
        let ws = TempWorkspace()
        try generate(ws, files: 6, rows: 5)
        #expect(try extract(ws).status == 0)
        ws.write(
            "other.yaml",
            try String(contentsOfFile: Self.config, encoding: .utf8).replacingOccurrences(
                of: "numeric: [\"f*\", turn]", with: "numeric: [turn]"))
        var r = try QuernProcess.run([
            "extract", "--config", "\(ws.path)/other.yaml", "--input-dir", "\(ws.path)/in", "--intermediate-dir",
            "\(ws.path)/mid",
        ])
        #expect(r.status == 1)
        #expect(r.stderr.contains("--restart") && r.stderr.contains("never mixed"))
        r = try QuernProcess.run([
            "extract", "--config", "\(ws.path)/other.yaml", "--input-dir", "\(ws.path)/in", "--intermediate-dir",
            "\(ws.path)/mid", "--restart", "-q",
        ])
        #expect(r.status == 0, "\(r.stderr)")
        let aside = ws.files(in: "mid/superseded")
        #expect(aside.count == 1 && ws.files(in: "mid/superseded/\(aside[0])").contains("batch_000000.npz"))
    }

    @Test func compressedInputsReadLikePlainOnes() throws {
        let ws = TempWorkspace()
        try generate(ws, files: 6, rows: 8)
        #expect(try extract(ws, ["--codec", "none"], out: "plain").status == 0)
        #expect(
            try QuernProcess.shell(
                "gzip in/game_000001.csv && zstd -q --rm in/game_000002.csv && lz4 -q in/game_000003.csv in/game_000003.csv.lz4 && rm in/game_000003.csv",
                cwd: ws.path) == 0)
        #expect(ws.files(in: "in").contains("game_000002.csv.zst"))
        let r = try extract(ws, ["--codec", "none"], out: "packed")
        #expect(r.status == 0, "\(r.stderr)")
        let a = try BatchFile.load(path: "\(ws.path)/plain/batch_000000.npz") { _ in nil }
        let b = try BatchFile.load(path: "\(ws.path)/packed/batch_000000.npz") { _ in nil }
        #expect(a.batch.features == b.batch.features && a.batch.count == 48)
    }

    @Test func shardsTogetherMakeTheSameBatchesAsOneProcess() throws {
        let ws = TempWorkspace()
        try generate(ws, files: 30, rows: 5)
        #expect(try extract(ws, ["--files-per-batch", "4"], out: "whole").status == 0)
        for k in 0..<3 {
            #expect(try extract(ws, ["--files-per-batch", "4", "--shard", "\(k)/3"], out: "sharded").status == 0)
        }
        #expect(batchBytes("\(ws.path)/sharded") == batchBytes("\(ws.path)/whole"))
        #expect(ws.files(in: "sharded").filter { $0.hasPrefix("journal.shard-") }.count == 3)
    }

    @Test func aBigFileContinuesInTheNextPart() throws {
        let ws = TempWorkspace()
        try generate(ws, files: 3, rows: 40)
        let r = try extract(ws, ["--rows-per-batch", "50"])
        #expect(r.status == 0)
        let parts = ws.files(in: "mid").filter { BatchName(fileName: $0) != nil }
        #expect(parts == ["batch_000000.001.npz", "batch_000000.002.npz", "batch_000000.npz"])
        #expect(journalLines("\(ws.path)/mid").first?.parts.map(\.rows) == [50, 50, 20])
        // A part cut in the middle of a file names that file for the rows it continues.
        let middle = try BatchFile.load(path: "\(ws.path)/mid/batch_000000.001.npz") {
            try PluginRegistry.builtIn.codec(zipMethod: $0)
        }.batch
        let names = middle.sourceIndex.map { middle.sources[Int($0)] }
        #expect(
            names == Array(repeating: "game_000001.csv", count: 30) + Array(repeating: "game_000002.csv", count: 20))
        #expect(Array(middle.sourceRow.prefix(2)) == [12, 13], "file 1's rows 12 and 13 (its header is line 1)")
        #expect(try QuernProcess.run(["verify", "--intermediate-dir", "\(ws.path)/mid"]).status == 0)
    }

    @Test func unknownPluginNamesFailBeforeAnyWork() throws {
        let ws = TempWorkspace()
        let r = try QuernProcess.run(
            ["extract", "--extractor", "tabulr", "--input-dir", "\(ws.path)/none"], cwd: ws.path)
        #expect(r.status == 64, "a bad flag value is bad usage (issue 13 item 18; it was 1)")
        #expect(
            r.stderr.contains(
                "unknown extractor 'tabulr'. Did you mean 'tabular'? Known extractors: command, hashed, hex, rank_genes, tabular"
            ))
        let p = try QuernProcess.run(["plugins"])
        for name in ["tabular", "hashed", "none", "zlib", "lz4", "zstd", "csv", "tsv", "jsonl", "hex", "trmph"] {
            #expect(p.stdout.contains("  \(name) "))
        }
    }
}
