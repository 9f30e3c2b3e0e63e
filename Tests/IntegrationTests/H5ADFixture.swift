import Foundation
import QuernCore
import QuernTestSupport
import Testing

/// `.h5ad` files written by the real `anndata` (Debian's python3-anndata, which `make test-deps`
/// installs), and the numpy checks of what quern made of them.
enum H5ADFixture {
    /// Python defining `cells(n, genes, seed)` (a matrix with zeros and an obs frame: int `age`,
    /// categorical `donor`, string `batch`, bool `healthy`, float `score`), `write(path, X, obs,
    /// genes, kind)` (kind: dense, csr or csc) and `expected(X, obs)` (the rows quern should give
    /// with `numeric: [age, score]` and `genes: ["*"]`).
    static let prelude = """
        import sys, numpy as np, pandas as pd, anndata as ad, scipy.sparse as sp
        def cells(n, genes, seed=0, density=0.3, dtype=np.float32):
            rng = np.random.default_rng(seed)
            X = rng.random((n, len(genes)))
            X[rng.random(X.shape) > density] = 0
            X = (X * 100).round(3).astype(dtype)
            obs = pd.DataFrame({
                'age': rng.integers(20, 80, n),
                'donor': pd.Categorical(rng.choice(['d0', 'd1', 'd2'], n), categories=['d0', 'd1', 'd2']),
                'batch': ['b%d' % (i % 4) for i in range(n)],
                'healthy': rng.random(n) > 0.5,
                'score': rng.random(n),
            }, index=['cell%d' % (seed * 100000 + i) for i in range(n)])
            return X, obs
        def write(path, X, obs, genes, kind):
            M = {'dense': X, 'csr': sp.csr_matrix(X), 'csc': sp.csc_matrix(X)}[kind]
            ad.AnnData(X=M, obs=obs, var=pd.DataFrame(index=list(genes))).write_h5ad(path)
        def expected(X, obs):
            return np.hstack([obs[['age', 'score']].to_numpy(np.float64), np.asarray(X, np.float64)]).astype(np.float32)
        genes = ['G%d' % i for i in range(12)]

        """

    /// The config every test starts from: obs `age` and `score`, then every gene; labels from a
    /// categorical and a bool; groups from a string column; no normalization, all rows in train;
    /// a batch per file, so files are read by several workers at once (through the HDF5 lock).
    static func config(format: String = "{name: h5ad, block_values: 7}", extractorExtra: String = "") -> String {
        """
        paths: {input: in, intermediate: mid, output: out}
        input: {format: \(format)}
        batch: {files_per_batch: 1}
        extractor:
          name: tabular
          numeric: [age, score]
          genes: ["*"]
          labels: {donor: {column: donor, values: [d0, d1, d2]}, healthy: {column: healthy, classes: 2}}
          group: batch
        \(extractorExtra)
        split: {fractions: "1,0,0"}
        normalize: {method: none}

        """
    }

    /// Runs `script` (after the prelude) with Debian's Python in `ws`; records its output on failure.
    static func python(_ script: String, in ws: TempWorkspace) throws {
        let r = try QuernProcess.pythonAnndata(prelude + script, cwd: ws.path)
        #expect(r.status == 0, "python: \(r.stderr)")
    }

    /// Runs `quern run --config quern.yaml` in `ws`.
    static func run(_ ws: TempWorkspace, config: String, _ extra: [String] = []) throws -> QuernProcess.Result {
        ws.write("quern.yaml", config)
        return try QuernProcess.run(["run", "--config", "quern.yaml"] + extra, cwd: ws.path)
    }

    /// Checks that `out/X_train.npy` equals `expected.npy` exactly, and the labels `donor.npy` and
    /// `healthy.npy` when present.
    static func expectArraysEqualNumpy(_ ws: TempWorkspace, _ context: String) throws {
        let r = try QuernProcess.pythonAnndata(
            """
            import numpy as np, os
            X = np.load('out/X_train.npy'); E = np.load('expected.npy')
            assert X.dtype == np.float32, X.dtype
            assert X.shape == E.shape, (X.shape, E.shape)
            bad = np.argwhere(X != E)
            assert len(bad) == 0, ('first differences (row, column):', bad[:5].tolist(), X[tuple(bad[0])], E[tuple(bad[0])])
            L = np.load('out/labels_train.npz')
            for head in ('donor', 'healthy'):
                if os.path.exists(head + '.npy'):
                    assert np.array_equal(L[head], np.load(head + '.npy')), head
            print('ok', X.shape)
            """, cwd: ws.path)
        #expect(r.status == 0 && r.stdout.hasPrefix("ok"), "\(context): \(r.stdout) \(r.stderr)")
    }
}
