import Foundation
import QuernCore
import QuernTestSupport
import Testing

/// `save.provenance: true`: every row of every split names its source file, line and group key,
/// and the origin follows the row through every strategy that reorders or drops rows.
@Suite("provenance", .serialized)
struct ProvenanceTests {
    static let config = ExtractEndToEndTests.config

    /// Generated games, plus copies of two files under later names (so dedupe drops their rows),
    /// and a config that keeps provenance.
    func workspace() throws -> TempWorkspace {
        let ws = TempWorkspace("quern-provenance")
        let g = try QuernProcess.run(["generate", "--files", "14", "--rows", "15", "--out", "\(ws.path)/in"])
        #expect(g.status == 0, "\(g.stderr)")
        for k in [2, 9] {
            let name = "game_\(String(k).leftPad(6)).csv"
            try FileManager.default.copyItem(atPath: "\(ws.path)/in/\(name)", toPath: "\(ws.path)/in/zz_copy_\(name)")
        }
        let base = try String(contentsOfFile: Self.config, encoding: .utf8)
        ws.write("q.yaml", base + "\nsave:\n  provenance: true\n")
        let e = try QuernProcess.run(
            ["extract", "--config", "q.yaml", "--input-dir", "in", "--files-per-batch", "4", "-q"], cwd: ws.path)
        #expect(e.status == 0, "\(e.stderr)")
        return ws
    }

    /// Reads each row's source line back from the CSV and compares it with the row: the raw
    /// numeric features (normalize none), the label and the group key. `copies`: whether rows of
    /// the copied files may appear (not after dedupe, which keeps the first occurrence).
    static let check = """
        import numpy as np, json, csv, sys
        out, strategy = sys.argv[1], sys.argv[2]
        files = json.load(open(f'{out}/provenance_files.json'))['files']
        groups = np.load(f'{out}/provenance_groups.npy', mmap_mode='r')
        names = json.load(open(f'{out}/preprocessing_stats.json'))['feature_names']
        cache = {}
        def table(f):
            if f not in cache:
                with open('in/' + f, newline='') as h: cache[f] = list(csv.reader(h))
            return cache[f]
        seen = set()
        total = 0
        for split in ['train', 'val', 'test']:
            X = np.load(f'{out}/X_{split}.npy')
            y = np.load(f'{out}/labels_{split}.npz')['action']
            p = np.load(f'{out}/provenance_{split}.npy', mmap_mode='r')
            assert isinstance(p, np.memmap) and p.dtype == np.int64 and p.shape == (len(X), 3), (split, p.dtype, p.shape)
            for i in range(len(X)):
                fi, line, gi = (int(v) for v in p[i])
                rows = table(files[fi])
                rec = dict(zip(rows[0], rows[line - 1]))
                for k, n in enumerate(names):
                    if n in rec:
                        want = np.float32(float(rec[n]) if rec[n] != '' else 0.0)
                        assert X[i, k] == want, (split, i, files[fi], line, n, X[i, k], rec[n])
                assert y[i] == int(rec['action']), (split, i, files[fi], line, y[i], rec['action'])
                assert groups[gi].decode() == rec['game_id'], (split, i, groups[gi], rec['game_id'])
                assert (fi, line) not in seen, ('twice', files[fi], line)
                seen.add((fi, line))
                if strategy == 'dedupe':
                    assert not files[fi].startswith('zz_copy_'), ('dedupe kept the later copy', files[fi], line)
            total += len(X)
        print(total)
        """

    @Test(arguments: ["shuffle", "dedupe", "concat", "balance:per_class=3", "shuffle+hook"])
    func everyRowMapsBackToItsFileAndLine(_ strategy: String) throws {
        let ws = try workspace()
        let hooked = strategy.hasSuffix("+hook")
        // A post-merge hook makes the merge write the merged stream first (X_merged.npy and
        // friends) and split it after: the origins go through that path too.
        if hooked { try ws.writeHook("post-merge", "exit 0") }
        let spec = hooked ? String(strategy.dropLast(5)) : strategy
        let r = try QuernProcess.run(
            [
                "merge", "--config", "q.yaml", "--merge-strategy", spec, "--seed", "5", "--normalize", "none",
                "--output-dir", "out", "-q",
            ], cwd: ws.path)
        #expect(r.status == 0, "\(r.stderr)")
        let c = try QuernProcess.python(Self.check, cwd: ws.path, arguments: ["out", spec])
        #expect(c.status == 0, "\(c.stdout)\(c.stderr)")
        let rows = Int(c.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
        switch spec {
        case "dedupe": #expect(rows == 14 * 15, "dedupe keeps one copy of each row: \(rows)")
        case "shuffle", "concat": #expect(rows == 16 * 15, "every row once: \(rows)")
        default: #expect(rows > 0 && rows < 16 * 15, "balance drops rows: \(rows)")
        }
        #expect(!ws.files(in: "out").contains { $0.contains("merged") })
        let v = try QuernProcess.run(["verify", "--output-dir", "out"], cwd: ws.path)
        #expect(v.status == 0, "the provenance files are in checksums.json: \(v.stdout)")
        #expect(v.stdout.contains("provenance of 3 of 3 splits good"), "\(v.stdout)")
    }

    /// Verify reads the provenance: an origin naming a file the list does not have is reported.
    @Test func verifyReportsAnOriginOutsideTheFileList() throws {
        let ws = try workspace()
        let r = try QuernProcess.run(["merge", "--config", "q.yaml", "--output-dir", "out", "-q"], cwd: ws.path)
        #expect(r.status == 0, "\(r.stderr)")
        let edit = try QuernProcess.python(
            "import numpy as np\np = np.load('out/provenance_train.npy', mmap_mode='r+')\np[3, 0] = 999\np.flush()",
            cwd: ws.path)
        #expect(edit.status == 0, "\(edit.stderr)")
        let v = try QuernProcess.run(["verify", "--output-dir", "out"], cwd: ws.path)
        #expect(v.status == 2, "\(v.stdout)")
        #expect(v.stdout.contains("provenance_train.npy: row 3 names file 999"), "\(v.stdout)")
    }

    /// The lookup `quern inspect` uses: a row's file, line and group, as the arrays say; clear
    /// errors for a folder without provenance and a row out of range.
    @Test func originOfARowNamesItsFileLineAndGroup() throws {
        let ws = try workspace()
        let r = try QuernProcess.run(
            ["merge", "--config", "q.yaml", "--merge-strategy", "shuffle", "--output-dir", "out", "-q"], cwd: ws.path)
        #expect(r.status == 0, "\(r.stderr)")
        let p = try QuernProcess.python(
            """
            import numpy as np, json
            p = np.load('out/provenance_val.npy'); g = np.load('out/provenance_groups.npy')
            f = json.load(open('out/provenance_files.json'))['files']
            print(len(p)); print(f[p[2][0]]); print(p[2][1]); print(g[p[2][2]].decode())
            """, cwd: ws.path)
        let lines = p.stdout.split(separator: "\n").map(String.init)
        try #require(lines.count == 4, "\(p.stdout)\(p.stderr)")
        let origin = try Provenance.origin(of: 2, split: "val", in: "\(ws.path)/out")
        #expect(
            origin.file == lines[1] && String(origin.line) == lines[2]
                && String(decoding: origin.group, as: UTF8.self) == lines[3], "\(origin)")
        #expect(origin.inputDir == nil, "a merge alone does not know the folder the batches came from")
        #expect(origin.description.contains("\(lines[1]) line \(lines[2])"))
        let count = try #require(Int(lines[0]))
        #expect(throws: ProvenanceError.self) { try Provenance.origin(of: count, split: "val", in: "\(ws.path)/out") }
        do {
            _ = try Provenance.origin(of: count, split: "val", in: "\(ws.path)/out")
        } catch {
            #expect("\(error)".contains("out of range") && "\(error)".contains("\(count)"), "\(error)")
        }
        let plain = try QuernProcess.run(
            ["merge", "--config", ExtractEndToEndTests.config, "--output-dir", "plain", "-q"], cwd: ws.path)
        #expect(plain.status == 0, "\(plain.stderr)")
        do {
            _ = try Provenance.origin(of: 0, split: "train", in: "\(ws.path)/plain")
            Issue.record("no provenance, yet an origin")
        } catch {
            #expect("\(error)".contains("save.provenance: true"), "\(error)")
        }
    }

    /// `quern inspect` shows where rows came from: `--row split:n` for one, and the source and group
    /// beside the first rows of `--head`.
    @Test func inspectShowsARowsOrigin() throws {
        let ws = try workspace()
        let r = try QuernProcess.run(
            ["merge", "--config", "q.yaml", "--merge-strategy", "shuffle", "--output-dir", "out", "-q"], cwd: ws.path)
        #expect(r.status == 0, "\(r.stderr)")
        let origin = try Provenance.origin(of: 3, split: "train", in: "\(ws.path)/out")
        let one = try QuernProcess.run(["inspect", "out", "--row", "train:3"], cwd: ws.path)
        #expect(one.status == 0, "\(one.stderr)")
        #expect(one.stdout.contains("train row 3: \(origin.file) line \(origin.line)"), "\(one.stdout)")
        let head = try QuernProcess.run(["inspect", "out", "--head", "4"], cwd: ws.path)
        #expect(head.status == 0, "\(head.stderr)")
        #expect(
            head.stdout.contains("source:line") && head.stdout.contains("\(origin.file):\(origin.line)"),
            "\(head.stdout)")
        let bad = try QuernProcess.run(["inspect", "out", "--row", "train"], cwd: ws.path)
        #expect(bad.status == 64 && bad.stderr.contains("train:0"), "\(bad.stderr)")
    }

    /// The option changes nothing else: without it no provenance file is written, and the arrays
    /// are the same bytes as with it.
    @Test func withoutTheOptionTheOutputsAreUnchanged() throws {
        let ws = try workspace()
        for (out, config) in [("with", "q.yaml"), ("without", ExtractEndToEndTests.config)] {
            let r = try QuernProcess.run(
                ["merge", "--config", config, "--merge-strategy", "shuffle", "--output-dir", out, "-q"], cwd: ws.path)
            #expect(r.status == 0, "\(r.stderr)")
        }
        #expect(!ws.files(in: "without").contains { $0.hasPrefix("provenance") })
        #expect(ws.files(in: "with").filter { $0.hasPrefix("provenance") }.count == 5)
        for name in ["X_train.npy", "X_val.npy", "X_test.npy", "labels_train.npz", "masks_test.npz"] {
            #expect(
                FileManager.default.contents(atPath: "\(ws.path)/with/\(name)")
                    == FileManager.default.contents(atPath: "\(ws.path)/without/\(name)"), "\(name)"
            )
        }
    }
}
