import Foundation
import QuernCore
import QuernKit
import QuernTestSupport
import Testing

/// `quern merge` and `quern run`, end to end, as users run them, checked with numpy.
@Suite("quern merge and run, end to end", .serialized)
struct MergeEndToEndTests {
    static let config = ExtractEndToEndTests.config

    func generate(_ ws: TempWorkspace, files: Int, rows: Int, into dir: String = "in") throws {
        let r = try QuernProcess.run([
            "generate", "--files", "\(files)", "--rows", "\(rows)", "--out", "\(ws.path)/\(dir)",
        ])
        #expect(r.status == 0, "\(r.stderr)")
    }

    func quern(_ ws: TempWorkspace, _ args: [String]) throws -> QuernProcess.Result {
        try QuernProcess.run(args + ["--config", Self.config, "-q"], cwd: ws.path)
    }

    func batches(_ ws: TempWorkspace, _ dir: String = "data/intermediate") -> [String] {
        ws.files(in: dir).filter { BatchName(fileName: $0) != nil }
    }

    func outputBytes(_ dir: String) -> [String: Data] {
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).filter {
            $0.hasSuffix(".npy") || $0.hasSuffix(".npz")
        }
        return Dictionary(
            uniqueKeysWithValues: names.map { ($0, FileManager.default.contents(atPath: "\(dir)/\($0)")!) })
    }

    /// The fit (gathered in one pass while rows are written) equals numpy's mean and population
    /// std of the raw train rows, and every split is normalized with it; minmax likewise.
    @Test func normalizationEqualsNumpyOnTheRawTrainRows() throws {
        let ws = TempWorkspace()
        try generate(ws, files: 40, rows: 30)
        #expect(try quern(ws, ["extract", "--input-dir", "in", "--files-per-batch", "7"]).status == 0)
        for method in ["none", "standard", "minmax"] {
            let r = try quern(ws, ["merge", "--normalize", method, "--output-dir", "out-\(method)"])
            #expect(r.status == 0, "\(r.stderr)")
        }
        let check = """
            import numpy as np, json
            s = json.load(open('out-standard/preprocessing_stats.json'))
            m = json.load(open('out-minmax/preprocessing_stats.json'))
            names = s['feature_names']
            cols = [names.index(f) for f in s['normalized_features']]
            assert len(cols) > 0
            raw = np.load('out-none/X_train.npy').astype(np.float64)
            mean, std = raw[:, cols].mean(axis=0), raw[:, cols].std(axis=0)
            std[std == 0] = 1
            lo, hi = raw[:, cols].min(axis=0), raw[:, cols].max(axis=0)
            rng = hi - lo
            rng[rng == 0] = 1
            for k, f in enumerate(s['normalized_features']):
                got = s['normalization']['features'][f]
                assert abs(got['mean'] - mean[k]) <= 1e-9 * max(1, abs(mean[k])), (f, got, mean[k])
                assert abs(got['std'] - std[k]) <= 1e-9 * max(1, std[k]), (f, got, std[k])
            for split in ['train', 'val', 'test']:
                r = np.load(f'out-none/X_{split}.npy').astype(np.float64)
                want = r.copy()
                want[:, cols] = (r[:, cols] - mean) / std
                assert np.allclose(np.load(f'out-standard/X_{split}.npy'), want, rtol=1e-5, atol=1e-5), split
                want = r.copy()
                want[:, cols] = (r[:, cols] - lo) / rng
                assert np.allclose(np.load(f'out-minmax/X_{split}.npy'), want, rtol=1e-5, atol=1e-5), split
            print('ok')
            """
        let r = try QuernProcess.python(check, cwd: ws.path)
        #expect(r.status == 0 && r.stdout.contains("ok"), "\(r.stderr)")
    }

    /// Several label and mask heads share an `.npz` (copied in from row files); a lone head is
    /// written straight into its own. Both read back in numpy, with the ZIP CRCs checked.
    @Test func labelAndMaskHeadsAloneOrTogetherInTheirNpz() throws {
        let ws = TempWorkspace()
        try generate(ws, files: 12, rows: 20)
        let base = try String(contentsOfFile: Self.config, encoding: .utf8)
        let two =
            base
            .replacingOccurrences(
                of: "    action: {column: action, classes: 84}",
                with: "    action: {column: action, classes: 84}\n    player: {column: current_player, classes: 4}"
            )
            .replacingOccurrences(
                of: "    legal: {column: legal, width: 84, encoding: bitstring, label: action}",
                with:
                    "    legal: {column: legal, width: 84, encoding: bitstring, label: action}\n    legal_copy: {column: legal, width: 84, encoding: bitstring}"
            )
        #expect(two != base)
        ws.write("two.yaml", two)
        for (config, out) in [(Self.config, "one"), ("\(ws.path)/two.yaml", "two")] {
            let r = try QuernProcess.run(
                [
                    "run", "--config", config, "--input-dir", "in", "--intermediate-dir", "im-\(out)", "--output-dir",
                    out, "-q",
                ], cwd: ws.path)
            #expect(r.status == 0, "\(r.stderr)")
        }
        let check = """
            import numpy as np, zipfile
            for split in ['train', 'val', 'test']:
                for name in ['labels', 'masks']:
                    for out in ['one', 'two']:
                        assert zipfile.ZipFile(f'{out}/{name}_{split}.npz').testzip() is None
                one_l, two_l = np.load(f'one/labels_{split}.npz'), np.load(f'two/labels_{split}.npz')
                one_m, two_m = np.load(f'one/masks_{split}.npz'), np.load(f'two/masks_{split}.npz')
                assert sorted(one_l.files) == ['action'] and sorted(two_l.files) == ['action', 'player']
                assert sorted(two_m.files) == ['legal', 'legal_copy']
                assert (one_l['action'] == two_l['action']).all() and (one_m['legal'] == two_m['legal']).all()
                assert (two_m['legal'] == two_m['legal_copy']).all()
                assert two_l['player'].shape == one_l['action'].shape and two_l['player'].max() < 4
            print('ok')
            """
        let r = try QuernProcess.python(check, cwd: ws.path)
        #expect(r.status == 0 && r.stdout.contains("ok"), "\(r.stderr)")
    }

    /// The sequence users of the scripts Quern replaces run by hand, in order.
    @Test func theValidationSequence() throws {
        let ws = TempWorkspace()
        try generate(ws, files: 30, rows: 10)
        var r = try quern(ws, ["run", "--input-dir", "in", "--files-per-batch", "8", "--skip-merge"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("quern merge --config"))
        #expect(batches(ws).count == 4)
        #expect(!FileManager.default.fileExists(atPath: "\(ws.path)/data/processed"))

        r = try quern(ws, ["merge"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(batches(ws).count == 4, "merge keeps the batches")
        let check = """
            import numpy as np, json
            s = json.load(open('data/processed/preprocessing_stats.json'))
            n = 0
            for split in ['train', 'val', 'test']:
                X = np.load(f'data/processed/X_{split}.npy', mmap_mode='r')
                y = np.load(f'data/processed/labels_{split}.npz')['action']
                m = np.load(f'data/processed/masks_{split}.npz')['legal']
                assert X.dtype == np.float32 and X.shape == (s['splits'][split], 62), X.shape
                assert y.dtype == np.int32 and y.shape == (X.shape[0],)
                assert m.dtype == np.int8 and m.shape == (X.shape[0], 84)
                assert not np.isnan(X).any()
                n += X.shape[0]
            assert n == s['total_samples'] == 300, n
            print('ok')
            """
        r = try QuernProcess.python(check, cwd: ws.path)
        #expect(r.status == 0 && r.stdout.contains("ok"), "\(r.stderr)")
        let outputs = outputBytes("\(ws.path)/data/processed")

        r = try quern(ws, ["merge", "--cleanup"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("deleted 4 batch files"))
        #expect(batches(ws).isEmpty)
        #expect(outputBytes("\(ws.path)/data/processed") == outputs, "outputs intact after cleanup")

        r = try quern(ws, ["run", "--input-dir", "in", "--files-per-batch", "8", "--cleanup"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(batches(ws).isEmpty)
        #expect(outputBytes("\(ws.path)/data/processed") == outputs)

        r = try quern(ws, ["run", "--input-dir", "in", "--files-per-batch", "8"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(batches(ws).count == 4, "run keeps the batches by default")

        try FileManager.default.moveItem(atPath: "\(ws.path)/data/intermediate", toPath: "\(ws.path)/moved")
        r = try quern(ws, ["merge", "--intermediate-dir", "moved", "--output-dir", "out2"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(outputBytes("\(ws.path)/out2") == outputs)

        for command in ["run", "merge"] {
            let help = try QuernProcess.run([command, "--help"]).stdout
            #expect(help.contains("--cleanup"))
            if command == "run" { #expect(help.contains("--skip-merge")) }
        }
    }

    /// Outputs against an independent reference computed in numpy from the CSV files, and the same
    /// outputs for every codec and worker count.
    @Test func outputsMatchANumpyReferenceForEveryCodecAndWorkerCount() throws {
        let ws = TempWorkspace()
        try generate(ws, files: 40, rows: 12)
        var first: [String: Data]? = nil
        for (codec, workers) in [("zstd", 1), ("zstd", 2), ("zlib", 2), ("lz4", 2), ("none", 1)] {
            let out = "out_\(codec)_\(workers)"
            let r = try quern(
                ws,
                [
                    "run", "--input-dir", "in", "--intermediate-dir", "mid_\(codec)_\(workers)", "--output-dir", out,
                    "--codec", codec, "--workers", "\(workers)", "--files-per-batch", "9",
                ])
            #expect(r.status == 0, "\(r.stderr)")
            let bytes = outputBytes("\(ws.path)/\(out)")
            #expect(bytes.count == 9)
            if let first { #expect(bytes == first, "\(codec), \(workers) workers") } else { first = bytes }
        }
        let reference = """
            import csv, glob, json, numpy as np
            def fnv(b):
                h = 0xCBF29CE484222325
                for c in b: h = ((h ^ c) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
                return h
            onehot = [('current_player', ['0','1','2','3']), ('num_players', ['2','3','4']), ('phase', ['early','mid','late']),
                      ('action_type', ['take3','take2','reserve','buy','pass']), ('color', ['white','blue','green','red','black','gold'])]
            parts = {0: [], 1: [], 2: []}
            for f in sorted(glob.glob('in/*.csv')):
                for row in csv.DictReader(open(f)):
                    x = [float(row[f'f{i:02d}'] or 0) for i in range(40)] + [float(row['turn'])]
                    x += [1.0 if row[c] == v else 0.0 for c, vals in onehot for v in vals]
                    u = fnv(f"0:{row['game_id']}".encode()) % 10000
                    parts[0 if u < 8000 else 1 if u < 9000 else 2].append((x, int(row['action']), [int(c) for c in row['legal']]))
            X = {s: np.array([p[0] for p in parts[s]], dtype=np.float32).reshape(-1, 62) for s in parts}
            mean = X[0][:, :41].astype(np.float64).mean(axis=0)
            std = X[0][:, :41].astype(np.float64).std(axis=0); std[std == 0] = 1
            for s, name in enumerate(['train', 'val', 'test']):
                Z = X[s].copy(); Z[:, :41] = ((Z[:, :41] - mean) / std).astype(np.float32)
                got = np.load(f'out_zstd_1/X_{name}.npy')
                assert got.shape == Z.shape, (got.shape, Z.shape)
                assert np.allclose(got, Z, rtol=1e-5, atol=1e-5), name
                assert (np.load(f'out_zstd_1/labels_{name}.npz')['action'] == [p[1] for p in parts[s]]).all()
                assert (np.load(f'out_zstd_1/masks_{name}.npz')['legal'] == np.array([p[2] for p in parts[s]]).reshape(-1, 84)).all()
            stats = json.load(open('out_zstd_1/preprocessing_stats.json'))
            assert np.allclose([stats['normalization']['features'][f'f{i:02d}']['mean'] for i in range(40)], mean[:40])
            assert np.allclose([stats['normalization']['features'][f'f{i:02d}']['std'] for i in range(40)], std[:40])
            print(len(parts[0]), len(parts[1]), len(parts[2]))
            """
        let r = try QuernProcess.python(reference, cwd: ws.path)
        #expect(r.status == 0, "\(r.stderr)")
    }

    @Test func aMergeKilledMidwayLeavesThePreviousOutputsAndReRunsToTheSameResult() throws {
        let ws = TempWorkspace()
        try generate(ws, files: 200, rows: 40)
        #expect(try quern(ws, ["extract", "--input-dir", "in", "--files-per-batch", "10"]).status == 0)
        #expect(try quern(ws, ["merge", "--merge-strategy", "shuffle", "--output-dir", "whole"]).status == 0)
        let expected = outputBytes("\(ws.path)/whole")
        // Earlier outputs (of another strategy) in the folder the killed merge writes to.
        #expect(try quern(ws, ["merge", "--output-dir", "cut"]).status == 0)
        let before = outputBytes("\(ws.path)/cut")
        var killedMidway = false
        for _ in 0..<5 where !killedMidway {
            let running = try QuernProcess.start(
                ["merge", "--config", Self.config, "--merge-strategy", "shuffle", "--output-dir", "cut", "-q"],
                cwd: ws.path, quietOutput: true)
            let deadline = Date().addingTimeInterval(30)
            while running.isRunning && Date() < deadline {
                if ws.files(in: ".").contains(where: { $0.hasPrefix(".cut.staging-") })
                    && ws.files(in: ".cut.staging-\(running.pid)").contains("X_train.npy")
                {
                    break
                }
                usleep(500)
            }
            killedMidway = running.isRunning
            kill(running.pid, SIGKILL)
            running.wait()
            #expect(outputBytes("\(ws.path)/cut") == before, "a killed merge leaves the previous outputs as they were")
        }
        #expect(killedMidway, "the kill landed while the merge was running")
        #expect(batches(ws).count == 20)
        let r = try quern(ws, ["merge", "--merge-strategy", "shuffle", "--output-dir", "cut"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(outputBytes("\(ws.path)/cut") == expected)
        #expect(!ws.files(in: ".").contains { $0.hasPrefix(".cut.staging-") }, "no staging debris")
    }

    @Test func aDamagedBatchStopsTheMergeNamingItAndNothingIsLost() throws {
        let ws = TempWorkspace()
        try generate(ws, files: 20, rows: 5)
        #expect(try quern(ws, ["run", "--input-dir", "in", "--files-per-batch", "5"]).status == 0)
        let outputs = outputBytes("\(ws.path)/data/processed")
        let path = "\(ws.path)/data/intermediate/batch_000002.npz"
        var bytes = [UInt8](FileManager.default.contents(atPath: path)!)
        bytes[bytes.count / 2] ^= 0xFF
        _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
        let r = try quern(ws, ["merge", "--cleanup"])
        #expect(r.status == 1)
        #expect(r.stderr.contains("batch_000002.npz"))
        #expect(batches(ws).count == 4, "no batch is deleted")
        #expect(outputBytes("\(ws.path)/data/processed") == outputs, "earlier outputs stay as they were")
    }

    @Test func incompleteExtractIsRefusedWithWhatToDo() throws {
        let ws = TempWorkspace()
        try generate(ws, files: 10, rows: 5)
        #expect(try quern(ws, ["extract", "--input-dir", "in", "--files-per-batch", "5"]).status == 0)
        try FileManager.default.removeItem(atPath: "\(ws.path)/data/intermediate/journal.jsonl")
        let r = try quern(ws, ["merge"])
        #expect(r.status == 1)
        #expect(r.stderr.contains("not complete") && r.stderr.contains("quern extract"))
    }

    /// The split function as docs/formats.md gives it, computed in Python, against quern's.
    @Test func splitFunctionMatchesPython() throws {
        let keys = ["g000123-7f3a", "a", "", "naïve-日本", "g999999-ffff"]
        for seed in [0, 7] {
            for fractions in [[0.8, 0.1, 0.1], [0.5, 0.25, 0.25]] {
                let f = SplitFunction(seed: seed, fractions: fractions)
                let ours = keys.map { Int(f.split(of: Array($0.utf8))) }
                let script = """
                    def fnv(b):
                        h = 0xCBF29CE484222325
                        for c in b: h = ((h ^ c) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
                        return h
                    out = []
                    for k in [\(keys.map { "'\($0)'" }.joined(separator: ", "))]:
                        u = fnv(f"\(seed):{k}".encode()) % 10000
                        out.append(0 if u < \(Int(fractions[0] * 10000)) else 1 if u < \(Int((fractions[0] + fractions[1]) * 10000)) else 2)
                    print(out)
                    """
                let r = try QuernProcess.python(script)
                #expect(
                    r.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "\(ours)", "seed \(seed) \(fractions)")
            }
        }
    }

    @Test func minmaxAndSplitByRowAndFractions() throws {
        let ws = TempWorkspace()
        try generate(ws, files: 30, rows: 10)
        #expect(try quern(ws, ["extract", "--input-dir", "in", "--files-per-batch", "10"]).status == 0)
        ws.write("row.yaml", "split:\n  by: row\n")
        let r = try QuernProcess.run(
            ["merge", "--config", "\(ws.path)/row.yaml", "--normalize", "minmax", "--split", "0.5,0.5,0", "-q"],
            cwd: ws.path)
        #expect(r.status == 0, "\(r.stderr)")
        let check = """
            import numpy as np, json
            X = np.load('data/processed/X_train.npy'); s = json.load(open('data/processed/preprocessing_stats.json'))
            num = X[:, :41]
            assert np.allclose(num.min(axis=0)[num.max(axis=0) > num.min(axis=0)], 0, atol=1e-6)
            assert np.allclose(num.max(axis=0)[num.max(axis=0) > num.min(axis=0)], 1, atol=1e-6)
            assert set(np.unique(X[:, 41:])) <= {0.0, 1.0}, 'one-hot features are not rescaled'
            assert s['normalization']['method'] == 'minmax' and s['split']['by'] == 'row'
            assert s['splits']['test'] == 0 and s['splits']['train'] + s['splits']['val'] == 300
            games = set()
            print(s['splits']['train'], s['splits']['val'])
            """
        let p = try QuernProcess.python(check, cwd: ws.path)
        #expect(p.status == 0, "\(p.stderr)")
    }

    @Test func badMergeSettingsFailBeforeWork() throws {
        let ws = TempWorkspace()
        // Bad flag values are bad usage: 64 (issue 13 item 18; it was 1).
        var r = try QuernProcess.run(["merge", "--merge-strategy", "shufle"], cwd: ws.path)
        #expect(r.status == 64 && r.stderr.contains("Did you mean 'shuffle'?"))
        r = try QuernProcess.run(["merge", "--split", "0.8,0.3,0.1"], cwd: ws.path)
        #expect(r.status == 64 && r.stderr.contains("sum to 1"))
        r = try QuernProcess.run(["merge", "--merge-strategy", "balance:mode=cap"], cwd: ws.path)
        #expect(r.status == 64 && r.stderr.contains("per_class"))
    }
}
