import Foundation
import QuernCore
import QuernTestSupport
import Testing

/// `rank_genes` through a whole `quern run` (shuffled, split by donor): every row's tokens equal a
/// numpy computation of the same cell (float64, `np.lexsort` on (gene id, -value): ties to the
/// lower id), found back through the row's provenance, so the tokens are checked to have
/// travelled with their rows.
@Suite("rank_genes end to end")
struct RankGenesEndToEndTests {
    static let repo = UserPath.parent(of: UserPath.parent(of: UserPath.parent(of: #filePath)))

    static let config = """
        paths: {input: in, intermediate: mid, output: out}
        batch: {files_per_batch: 2, rows_per_batch: 50}
        extractor:
          name: rank_genes
          genes: ["g*"]
          top_genes: 12
          normalize_total: true
          gene_factors: factors.tsv
          labels:
            age: {column: age, values: [young, old]}
          group: donor
        merge: {strategy: shuffle}
        split: {fractions: [0.6, 0.2, 0.2]}
        save: {provenance: true}
        """

    @Test func tokensEqualNumpyForEveryRowAfterShuffleAndSplit() throws {
        let ws = TempWorkspace("quern-rank-genes")
        let make = """
            import numpy as np, os
            rng = np.random.default_rng(7)
            os.makedirs('in')
            genes = [f'g{j:02d}' for j in range(40)]
            for f in range(3):
                with open(f'in/cells_{f}.csv', 'w') as out:
                    out.write('donor,age,' + ','.join(genes) + '\\n')
                    for i in range(80):
                        counts = rng.integers(0, 4, 40) * (rng.random(40) < [0.05, 0.3, 0.9][i % 3])
                        age = ['young', 'old', 'adult'][i % 7 % 3]
                        out.write(f'd{rng.integers(0, 12)},{age},' + ','.join(str(c) for c in counts) + '\\n')
            with open('factors.tsv', 'w') as out:
                out.write('gene\\tfactor\\n')
                for j, g in enumerate(genes):
                    if j % 9 != 8:
                        out.write(f'{g}\\t{[0.5, 1.0, 2.0, 4.0][j % 4]}\\n')
            """
        var r = try QuernProcess.python(make, cwd: ws.path)
        try #require(r.status == 0, "\(r.stderr)")
        ws.write("quern.yaml", Self.config)
        r = try QuernProcess.run(["run", "--config", "quern.yaml", "-q"], cwd: ws.path)
        try #require(r.status == 0, "\(r.stderr)")
        r = try QuernProcess.run(["verify", "--output-dir", "out"], cwd: ws.path)
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        let check = """
            import sys, json, numpy as np
            sys.path.insert(0, '\(Self.repo)/python')
            import quern
            files = json.load(open('out/provenance_files.json'))['files']
            groups = np.load('out/provenance_groups.npy')
            factors = {}
            for line in open('factors.tsv').read().split('\\n')[1:]:
                if line:
                    g, f = line.split('\\t'); factors[g] = float(f)
            cells = {}
            for name in files:
                rows = [l.split(',') for l in open('in/' + name).read().split('\\n') if l]
                header = rows[0]
                f = np.array([factors.get(g, 0.0) for g in header[2:]])
                for line, row in enumerate(rows[1:], start=2):
                    x = np.array(row[2:], dtype=np.float64)
                    total = np.cumsum(x)[-1]
                    ok = (x > 0) & (f > 0)
                    ids = np.nonzero(ok)[0]
                    v = x[ids] / total * 10000 / f[ids]
                    order = ids[np.lexsort((ids, -v))]
                    want = np.full(12, -1, dtype=np.int32)
                    want[:min(12, len(order))] = order[:12]
                    cells[(name, line)] = (want, len(ids), row[1])
            out = quern.open_outputs('out')
            stats = json.load(open('out/preprocessing_stats.json'))
            assert stats['feature_names'] == ['n_genes'] and stats['normalized_features'] == []
            assert stats['arrays'] == [{'name': 'tokens', 'dtype': 'int32', 'width': 12, 'normalized': False,
                'files': ['tokens_train.npy', 'tokens_val.npy', 'tokens_test.npy']}], stats['arrays']
            seen, donors = 0, {}
            for s in ('train', 'val', 'test'):
                t = np.load(f'out/tokens_{s}.npy')
                assert t.dtype == np.int32 and t.shape == (len(out.X[s]), 12), (s, t.shape)
                assert np.array_equal(np.asarray(out.arrays[s]['tokens']), t)
                p = np.load(f'out/provenance_{s}.npy')
                for i in range(len(t)):
                    want, n, age = cells[(files[p[i, 0]], int(p[i, 1]))]
                    assert np.array_equal(t[i], want), (s, i, t[i], want)
                    assert out.X[s][i, 0] == n, (s, i, out.X[s][i, 0], n)
                    assert out.labels[s]['age'][i] == ['young', 'old'].index(age)
                    donors.setdefault(groups[p[i, 2]].decode(), set()).add(s)
                seen += len(t)
            assert seen == sum(1 for c in cells.values() if c[2] != 'adult'), seen
            assert all(len(v) == 1 for v in donors.values()), donors
            assert len(out.X['val']) + len(out.X['test']) > 0
            print('ok', seen)
            """
        r = try QuernProcess.python(check, cwd: ws.path)
        #expect(r.status == 0 && r.stdout.contains("ok"), "\(r.stdout)\(r.stderr)")
        // quern transform applies the run to files: tokens.npy, rows in file then line order.
        r = try QuernProcess.run(["transform", "out", "--input-dir", "in", "--output-dir", "tx", "-q"], cwd: ws.path)
        #expect(r.status == 0, "\(r.stderr)")
        r = try QuernProcess.python(
            """
            import json, numpy as np
            t = np.load('tx/tokens.npy'); X = np.load('tx/X.npy')
            sums = json.load(open('tx/checksums.json'))['files']
            assert 'tokens.npy' in sums, sorted(sums)
            p = np.load('tx/provenance.npy'); files = json.load(open('tx/provenance_files.json'))['files']
            out = {}
            for s in ('train', 'val', 'test'):
                q = np.load(f'out/provenance_{s}.npy'); ot = np.load(f'out/tokens_{s}.npy')
                pf = json.load(open('out/provenance_files.json'))['files']
                for i in range(len(ot)):
                    out[(pf[q[i, 0]], int(q[i, 1]))] = ot[i]
            assert t.shape == (len(X), 12) and len(t) == len(out), (t.shape, len(out))
            for i in range(len(t)):
                assert np.array_equal(t[i], out[(files[p[i, 0]], int(p[i, 1]))]), i
            print('ok')
            """, cwd: ws.path)
        #expect(r.status == 0 && r.stdout.contains("ok"), "\(r.stdout)\(r.stderr)")
        // verify and inspect know the output array: a changed byte is found, and it is listed.
        r = try QuernProcess.run(["inspect", "out"], cwd: ws.path)
        #expect(r.status == 0 && r.stdout.contains("tokens_train.npy"), "\(r.stdout)\(r.stderr)")
        let tokens = "\(ws.path)/out/tokens_train.npy"
        var bytes = try #require(FileManager.default.contents(atPath: tokens))
        bytes[bytes.count - 1] ^= 0xFF
        try bytes.write(to: URL(fileURLWithPath: tokens))
        r = try QuernProcess.run(["verify", "--output-dir", "out"], cwd: ws.path)
        #expect(r.status == 2 && (r.stdout + r.stderr).contains("tokens_train.npy"), "\(r.stdout)\(r.stderr)")
    }
}
