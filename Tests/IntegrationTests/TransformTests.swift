import Foundation
import QuernCore
import QuernTestSupport
import Testing

/// `quern transform`: a finished run's extractor and fitted normalization applied to new files,
/// with the same bytes the run wrote for the same rows; and `quern.normalize` in Python agreeing
/// with it.
@Suite("quern transform", .serialized)
struct TransformTests {
    static let config = ExtractEndToEndTests.config
    static let repo = UserPath.parent(of: UserPath.parent(of: UserPath.parent(of: #filePath)))

    func workspace(files: Int = 12, provenance: Bool = true) throws -> TempWorkspace {
        let ws = TempWorkspace("quern-transform")
        let g = try QuernProcess.run(["generate", "--files", "\(files)", "--rows", "20", "--out", "\(ws.path)/in"])
        #expect(g.status == 0, "\(g.stderr)")
        let base = try String(contentsOfFile: Self.config, encoding: .utf8)
        ws.write("q.yaml", base + (provenance ? "\nsave:\n  provenance: true\n" : ""))
        return ws
    }

    func quern(_ ws: TempWorkspace, _ args: [String]) throws -> QuernProcess.Result {
        try QuernProcess.run(args, cwd: ws.path)
    }

    /// Concat and fractions 1,0,0 keep every row in file then line order, as transform writes
    /// them: X.npy is X_train.npy byte for byte (header included), and so are the labels and masks.
    @Test(arguments: ["standard", "minmax", "none"])
    func transformOfTheTrainingFilesReproducesXTrainByteForByte(_ method: String) throws {
        let ws = try workspace(provenance: false)
        let r = try quern(
            ws,
            [
                "run", "--config", "q.yaml", "--input-dir", "in", "--files-per-batch", "5", "--split", "1,0,0",
                "--normalize", method, "-q",
            ])
        #expect(r.status == 0, "\(r.stderr)")
        let t = try quern(ws, ["transform", "data/processed", "--input-dir", "in", "--output-dir", "tx", "-q"])
        #expect(t.status == 0, "\(t.stderr)")
        #expect(t.stdout.contains("240 in X.npy"), "\(t.stdout)")
        let x = FileManager.default.contents(atPath: "\(ws.path)/tx/X.npy")
        #expect(x != nil && x == FileManager.default.contents(atPath: "\(ws.path)/data/processed/X_train.npy"))
        let c = try QuernProcess.python(
            """
            import numpy as np
            for a, b in [('tx/labels.npz', 'data/processed/labels_train.npz'), ('tx/masks.npz', 'data/processed/masks_train.npz')]:
                a, b = np.load(a), np.load(b)
                assert sorted(a.files) == sorted(b.files), (a.files, b.files)
                for k in b.files: assert a[k].dtype == b[k].dtype and np.array_equal(a[k], b[k]), k
            """, cwd: ws.path)
        #expect(c.status == 0, "\(c.stderr)")
        let v = try quern(ws, ["verify", "--output-dir", "data/processed"])
        #expect(v.status == 0, "the saved config and transform are in checksums.json: \(v.stdout)")
    }

    /// With a shuffled, split run, each row of X_train (found by its provenance) is the row of
    /// X.npy that transform made from the same file and line, bit for bit; and the Python
    /// normalization applied to the raw rows gives transform's X.
    @Test func shuffledTrainRowsEqualTransformRowsOfTheSameFileAndLine() throws {
        let ws = try workspace()
        let r = try quern(
            ws, ["run", "--config", "q.yaml", "--input-dir", "in", "--merge-strategy", "shuffle", "--seed", "3", "-q"])
        #expect(r.status == 0, "\(r.stderr)")
        let t = try quern(ws, ["transform", "data/processed", "--input-dir", "in", "--output-dir", "tx", "-q"])
        #expect(t.status == 0, "\(t.stderr)")
        let raw = try quern(
            ws, ["merge", "--config", "q.yaml", "--split", "1,0,0", "--normalize", "none", "--output-dir", "raw", "-q"])
        #expect(raw.status == 0, "\(raw.stderr)")
        let c = try QuernProcess.python(
            """
            import sys, json, numpy as np
            sys.path.insert(0, '\(Self.repo)/python')
            import quern.normalize
            run, tx = 'data/processed', 'tx'
            assert json.load(open(f'{run}/provenance_files.json'))['input_dir'] == 'in'
            def keyed(folder, suffix):
                files = json.load(open(f'{folder}/provenance_files.json'))['files']
                p = np.load(f'{folder}/provenance{suffix}.npy')
                return [(files[f], int(l)) for f, l, _ in p]
            where = {k: i for i, k in enumerate(keyed(tx, ''))}
            X = np.load(f'{tx}/X.npy')
            assert len(where) == len(X) == 240
            n = 0
            for split in ['train', 'val', 'test']:
                Xs = np.load(f'{run}/X_{split}.npy')
                rows = [where[k] for k in keyed(run, '_' + split)]
                assert Xs.tobytes() == X[rows].tobytes(), split
                n += len(rows)
            assert n == 240
            norm = quern.normalize.load(run)
            assert norm.apply(np.load('raw/X_train.npy')).tobytes() == X.tobytes()
            """, cwd: ws.path)
        #expect(c.status == 0, "\(c.stdout)\(c.stderr)")
        // Files in name order, rows in line order: row 21 is the second data row of the second file.
        let origin = try Provenance.origin(of: 21, split: "all", in: "\(ws.path)/tx")
        #expect(origin.file == "game_000001.csv" && origin.line == 3 && origin.inputDir == "in", "\(origin)")
    }

    /// New files with problems: rows the extractor rejects are counted and reported as `run`
    /// reports them, a file that does not parse is listed, and the exit status says so (3).
    @Test func rejectedRowsAndFailedFilesAreCountedAndReported() throws {
        let ws = try workspace(files: 4)
        let r = try quern(ws, ["run", "--config", "q.yaml", "--input-dir", "in", "-q"])
        #expect(r.status == 0, "\(r.stderr)")
        var csv = try String(contentsOfFile: "\(ws.path)/in/game_000001.csv", encoding: .utf8).split(separator: "\n")
            .map(String.init)
        let header = csv[0].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        let action = try #require(header.firstIndex(of: "action"))
        for line in [2, 5] {
            var cells = csv[line].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            cells[action] = ""
            csv[line] = cells.joined(separator: ",")
        }
        ws.write("new/a.csv", csv.joined(separator: "\n") + "\n")
        ws.write("new/b.csv", "game_id,turn\ng1,1\n")
        let t = try quern(ws, ["transform", "data/processed", "--input-dir", "new", "--output-dir", "tx"])
        #expect(t.status == 3, "\(t.stdout)\(t.stderr)")
        #expect(t.stdout.contains("1 read, 1 failed") && t.stdout.contains("b.csv"), "\(t.stdout)")
        #expect(t.stdout.contains("dropped rows: 2"), "\(t.stdout)")
        #expect(t.stderr.contains("2 of 20 rows were rejected"), "\(t.stderr)")
        let c = try QuernProcess.python(
            """
            import json, numpy as np
            r = json.load(open('tx/transform_report.json'))
            assert r['rows'] == 18 and sum(r['rows_dropped'].values()) == 2, r
            assert [f['file'] for f in r['files_failed']] == ['b.csv'], r
            assert np.load('tx/X.npy', mmap_mode='r').shape[0] == 18
            """, cwd: ws.path)
        #expect(c.status == 0, "\(c.stderr)")
    }

    /// A run whose shard came from the scheduler (`--shard auto`) saves that in its config; the
    /// transform reads every file it is given, outside any scheduler.
    @Test func aRunShardedByTheSchedulerTransformsOutsideIt() throws {
        let ws = try workspace(files: 3, provenance: false)
        let r = try QuernProcess.run(
            ["run", "--config", "q.yaml", "--input-dir", "in", "--shard", "auto", "--shard-count", "1", "-q"],
            cwd: ws.path, env: ["JOB_COMPLETION_INDEX": "0"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(
            ws.text("data/processed/quern_config.yaml").contains("\"shard\": \"auto\""),
            "\(ws.text("data/processed/quern_config.yaml"))")
        let t = try quern(ws, ["transform", "data/processed", "--input-dir", "in", "--output-dir", "tx", "-q"])
        #expect(t.status == 0, "\(t.stderr)")
        #expect(t.stdout.contains("60 in X.npy"), "\(t.stdout)")
    }

    /// Outputs of an older quern (no transform.json or quern_config.yaml) are refused with what
    /// to do; so is writing into the run's own output folder.
    @Test func outputsWithoutTheSavedTransformSayToMergeAgain() throws {
        let ws = try workspace(files: 3, provenance: false)
        let r = try quern(ws, ["run", "--config", "q.yaml", "--input-dir", "in", "-q"])
        #expect(r.status == 0, "\(r.stderr)")
        let same = try quern(
            ws, ["transform", "data/processed", "--input-dir", "in", "--output-dir", "data/processed/"])
        #expect(same.status == 1 && same.stderr.contains("the run's own output folder"), "\(same.stderr)")
        for file in ["quern_config.yaml", "transform.json"] {
            try FileManager.default.moveItem(atPath: "\(ws.path)/data/processed/\(file)", toPath: "\(ws.path)/\(file)")
            let t = try quern(ws, ["transform", "data/processed", "--input-dir", "in", "--output-dir", "tx"])
            #expect(t.status == 1, "\(t.stderr)")
            #expect(
                t.stderr.contains("no \(file)") && t.stderr.contains("older quern")
                    && t.stderr.contains("`quern merge` again"), "\(t.stderr)")
            try FileManager.default.moveItem(atPath: "\(ws.path)/\(file)", toPath: "\(ws.path)/data/processed/\(file)")
        }
        #expect(!FileManager.default.fileExists(atPath: "\(ws.path)/tx/X.npy"))
        let ok = try quern(ws, ["transform", "data/processed", "--input-dir", "in", "--output-dir", "tx", "-q"])
        #expect(ok.status == 0, "\(ok.stderr)")
    }
}
