import Foundation
import QuernCore
import QuernTestSupport
import Testing

/// What decides a row's split and a strategy's order, end to end on `quern generate` data: the
/// split seed alone decides the splits, the merge seed only the order, rows without a group key
/// are split one by one, and `--memory-limit` changes no output.
@Suite("seeds, splits and the memory limit, end to end", .serialized)
struct MergeSeedAndSplitTests {
    static let config = ExtractEndToEndTests.config

    func quern(_ ws: TempWorkspace, _ args: [String], config: String = Self.config) throws -> QuernProcess.Result {
        try QuernProcess.run(args + ["--config", config, "-q"], cwd: ws.path)
    }

    func generate(_ ws: TempWorkspace, files: Int, rows: Int) throws {
        let r = try QuernProcess.run(["generate", "--files", "\(files)", "--rows", "\(rows)", "--out", "\(ws.path)/in"])
        #expect(r.status == 0, "\(r.stderr)")
    }

    /// Python that loads an output folder's splits as sorted rows (features and label), so two
    /// folders can be compared as sets of rows per split, whatever their order.
    static let rowSets = """
        import numpy as np, json, sys
        def rows(d, split):
            x = np.load(f'{d}/X_{split}.npy')
            y = np.load(f'{d}/labels_{split}.npz')['action']
            r = np.concatenate([x.view(np.uint32), y.astype(np.int32).view(np.uint32)[:, None]], axis=1)
            return np.ascontiguousarray(r)
        def rowset(d, split):
            r = rows(d, split)
            return sorted(map(bytes, r))
        def stats(d):
            return json.load(open(f'{d}/preprocessing_stats.json'))

        """

    @Test func reShufflingWithAnotherSeedKeepsEverySplitsRows() throws {
        let ws = TempWorkspace()
        try generate(ws, files: 60, rows: 20)
        #expect(try quern(ws, ["extract", "--input-dir", "in", "--files-per-batch", "7"]).status == 0)
        for (out, flags) in [
            ("ref", ["--merge-strategy", "concat"]), ("s7", ["--merge-strategy", "shuffle", "--seed", "7"]),
            ("s8", ["--merge-strategy", "shuffle", "--seed", "8"]),
            ("split7", ["--merge-strategy", "concat", "--split-seed", "7"]),
        ] {
            let r = try quern(ws, ["merge", "--normalize", "none", "--output-dir", out] + flags)
            #expect(r.status == 0, "\(out): \(r.stderr)")
        }
        let r = try QuernProcess.python(
            Self.rowSets + """
                for split in ['train', 'val', 'test']:
                    ref = rowset('ref', split)
                    assert len(ref) > 0, split
                    assert rowset('s7', split) == ref, f'--seed 7 moved rows of {split}'
                    assert rowset('s8', split) == ref, f'--seed 8 moved rows of {split}'
                assert (rows('s7', 'train') != rows('s8', 'train')).any(), 'another merge seed, another order'
                assert rowset('split7', 'train') != rowset('ref', 'train'), '--split-seed changes the split'
                s = stats('s7')
                assert s['split']['seed'] == 0 and s['merge']['seed'] == 7 and s['seed'] == 7, (s['split'], s['merge'], s['seed'])
                assert stats('split7')['split']['seed'] == 7
                print('ok')
                """, cwd: ws.path)
        #expect(r.status == 0 && r.stdout.contains("ok"), "\(r.stderr)")
    }

    /// The games config without its `group:` line.
    func configWithoutGroup(_ ws: TempWorkspace, extra: String = "") throws -> String {
        let base = try String(contentsOfFile: Self.config, encoding: .utf8)
        let text = base.replacingOccurrences(of: "  group: game_id\n", with: "")
        #expect(text != base)
        return ws.write("nogroup.yaml", text + extra)
    }

    func summary(_ ws: TempWorkspace, _ logs: String) throws -> [String: Any] {
        try #require(
            try JSONSerialization.jsonObject(
                with: Data(contentsOf: URL(fileURLWithPath: "\(ws.path)/\(logs)/summary.json"))) as? [String: Any])
    }

    /// Labels and no group column, default split: rows are split one by one (by source file and
    /// line), so val and test get their share, the same whatever the batching and workers.
    @Test func withoutAGroupColumnRowsAreSplitByRow() throws {
        let ws = TempWorkspace()
        try generate(ws, files: 30, rows: 20)
        let config = try configWithoutGroup(ws)
        for (name, flags) in [
            ("a", ["--files-per-batch", "4", "--workers", "2"]),
            ("b", ["--files-per-batch", "9", "--workers", "1", "--rows-per-batch", "50"]),
        ] {
            let r = try quern(
                ws,
                [
                    "run", "--input-dir", "in", "--intermediate-dir", "mid-\(name)", "--output-dir", "out-\(name)",
                    "--log-dir", "logs-\(name)", "--no-hooks",
                ]
                    + flags, config: config)
            #expect(r.status == 0, "\(name): \(r.stderr)")
            let warnings = try summary(ws, "logs-\(name)")["warnings"]
            #expect(warnings == nil, "no warning: \(String(describing: warnings))")
        }
        let r = try QuernProcess.python(
            Self.rowSets + """
                s = stats('out-a')
                assert s['split']['by'] == 'row', s['split']
                n = s['splits']
                assert n['train'] + n['val'] + n['test'] == 600, n
                assert n['val'] >= 30 and n['test'] >= 30, n
                for split in ['train', 'val', 'test']:
                    assert (rows('out-a', split) == rows('out-b', split)).all(), f'{split} differs between batchings'
                print('ok')
                """, cwd: ws.path)
        #expect(r.status == 0 && r.stdout.contains("ok"), "\(r.stderr)")
    }

    /// `split.by: group` without a group column cannot split anything: refused, saying what to do.
    @Test func splitByGroupWithoutAGroupColumnIsRefused() throws {
        let ws = TempWorkspace()
        try generate(ws, files: 6, rows: 10)
        let config = try configWithoutGroup(ws, extra: "split:\n  by: group\n")
        let r = try quern(ws, ["run", "--input-dir", "in", "--output-dir", "out", "--no-hooks"], config: config)
        #expect(r.status != 0)
        #expect(
            r.stderr.contains("split.by: group needs a group key") && r.stderr.contains("split.by: row"), "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: "\(ws.path)/out"), "nothing published")
    }

    /// One group cannot fill three splits: the empty ones are a warning, on the console and in the
    /// run's summary.json, and the run still succeeds.
    @Test func anEmptySplitIsAWarningInTheRunSummary() throws {
        let ws = TempWorkspace()
        try generate(ws, files: 1, rows: 40)
        let r = try quern(ws, ["run", "--input-dir", "in", "--output-dir", "out", "--log-dir", "logs", "--no-hooks"])
        #expect(r.status == 0, "\(r.stderr)")
        let warnings = try #require(try summary(ws, "logs")["warnings"] as? [String], "summary.json lists warnings")
        #expect(warnings.count == 2, "\(warnings)")
        #expect(
            warnings.allSatisfy { $0.contains("split is empty") && $0.contains("1 distinct groups") }, "\(warnings)")
        #expect(r.stderr.contains("split is empty"), "said on the console too: \(r.stderr)")
    }

    /// `--memory-limit` changes no output, for every strategy (shuffle spills into several buckets
    /// under it); a limit too low for the batch parts and the strategy's state is refused before any
    /// row is read, with the smallest limit that works for that strategy, and under that limit each
    /// merge stage's recorded peak stays below it.
    @Test func aMemoryLimitChangesNoOutputAndATooLowOneIsRefusedWithTheMinimum() throws {
        let ws = TempWorkspace()
        try generate(ws, files: 200, rows: 300)  // 60,000 rows, about 20 MiB as arrays: one part
        #expect(try quern(ws, ["extract", "--input-dir", "in"]).status == 0)
        for strategy in ["concat", "shuffle", "dedupe", "balance:mode=min"] {
            let name = strategy.prefix { $0 != ":" }
            let low = try quern(
                ws, ["merge", "--merge-strategy", strategy, "--output-dir", "low", "--memory-limit", "64MiB"])
            #expect(low.status != 0 && !FileManager.default.fileExists(atPath: "\(ws.path)/low"))
            let said = try #require(
                low.stderr.range(of: #"at least ([0-9.]+) MiB"#, options: .regularExpression).map {
                    String(low.stderr[$0])
                }, "\(low.stderr)")
            let minimum = try #require(Double(said.dropFirst("at least ".count).dropLast(" MiB".count)))
            #expect(minimum > 64)
            let limit = "\(Int(minimum.rounded(.up)))MiB"
            var r = try quern(
                ws, ["merge", "--merge-strategy", strategy, "--seed", "3", "--output-dir", "ref-\(name)"])
            #expect(r.status == 0, "\(r.stderr)")
            r = try quern(
                ws,
                [
                    "merge", "--merge-strategy", strategy, "--seed", "3", "--output-dir", "lim-\(name)", "--log-dir",
                    "logs-\(name)", "--memory-limit", limit,
                ])
            #expect(r.status == 0, "\(strategy) under \(limit): \(r.stderr)")
            for file in [
                "X_train.npy", "X_val.npy", "X_test.npy", "labels_train.npz", "labels_test.npz", "masks_val.npz",
            ] {
                let same =
                    FileManager.default.contents(atPath: "\(ws.path)/ref-\(name)/\(file)")
                    == FileManager.default.contents(atPath: "\(ws.path)/lim-\(name)/\(file)")
                #expect(same, "\(strategy): \(file) is the same with and without --memory-limit \(limit)")
            }
            let stages = try #require(try summary(ws, "logs-\(name)")["stages"] as? [String: [String: Any]])
            for (stage, record) in stages {
                let peak = record["peak_rss_bytes"] as? Int ?? 0
                #expect(
                    Double(peak) <= minimum * 1_048_576,
                    "\(strategy): \(stage) peaked at \(peak >> 20) MiB, over \(limit)")
            }
            if name == "shuffle" {
                let stats = try #require(
                    try JSONSerialization.jsonObject(
                        with: Data(contentsOf: URL(fileURLWithPath: "\(ws.path)/lim-shuffle/preprocessing_stats.json")))
                        as? [String: Any])
                let details = (stats["merge"] as? [String: Any])?["details"] as? [String: Any]
                #expect(
                    Int(details?["buckets"] as? String ?? "") ?? 0 > 1,
                    "shuffle spilled under the limit: \(String(describing: details))")
            }
        }
    }
}
