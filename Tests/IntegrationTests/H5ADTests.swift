import Foundation
import QuernCore
import QuernTestSupport
import Testing

/// `.h5ad` files written by anndata, through a real `quern run`: the arrays equal numpy's reading
/// of the same data, whatever the matrix's storage (dense float or int, CSR, CSC), read a few
/// cells at a time (`block_values: 7`, so every file takes many blocks).
@Suite("h5ad input, through quern run")
struct H5ADTests {
    @Test(arguments: ["dense", "dense-int", "csr", "csc"])
    func matrixAndObsEqualNumpy(_ kind: String) throws {
        let ws = TempWorkspace("quern-h5ad")
        let dtype = kind == "dense-int" ? "np.int32" : "np.float32"
        let storage = kind == "dense-int" ? "dense" : kind
        try H5ADFixture.python(
            """
            import os; os.makedirs('in')
            parts = []
            for k in range(2):
                X, obs = cells(40 + k, genes, seed=k, dtype=\(dtype))
                write('in/part%d.h5ad' % k, X, obs, genes, '\(storage)')
                parts.append((X, obs))
            np.save('expected.npy', np.vstack([expected(X, obs) for X, obs in parts]))
            np.save('donor.npy', np.concatenate([obs['donor'].cat.codes.to_numpy(np.int32) for X, obs in parts]))
            np.save('healthy.npy', np.concatenate([obs['healthy'].to_numpy(np.int32) for X, obs in parts]))
            """, in: ws)
        let r = try H5ADFixture.run(ws, config: H5ADFixture.config())
        #expect(r.status == 0, "\(r.stderr)")
        try H5ADFixture.expectArraysEqualNumpy(ws, kind)
    }

    /// `matrix: raw` reads raw/X with raw/var's genes; `matrix: layers/counts` a layer (here CSC
    /// beside a CSR X), not X.
    @Test(arguments: ["raw", "layers/counts"])
    func namedMatrixIsReadNotX(_ matrix: String) throws {
        let ws = TempWorkspace("quern-h5ad-matrix")
        try H5ADFixture.python(
            """
            import os; os.makedirs('in')
            X, obs = cells(30, genes, seed=3)
            counts = (X * 7 + 1).astype(np.float32)
            a = ad.AnnData(X=sp.csr_matrix(X), obs=obs, var=pd.DataFrame(index=genes))
            a.layers['counts'] = sp.csc_matrix(counts)
            a.raw = ad.AnnData(X=sp.csr_matrix(counts), obs=obs, var=pd.DataFrame(index=genes))
            a.X = sp.csr_matrix(X * 0)
            a.write_h5ad('in/cells.h5ad')
            np.save('expected.npy', expected(counts, obs))
            """, in: ws)
        let r = try H5ADFixture.run(
            ws, config: H5ADFixture.config(format: "{name: h5ad, matrix: \"\(matrix)\", block_values: 5}"))
        #expect(r.status == 0, "\(r.stderr)")
        try H5ADFixture.expectArraysEqualNumpy(ws, matrix)
    }

    /// Genes picked by name and by glob over the var names; a string obs column as a group key
    /// and a categorical with a missing value (skipped, counted).
    @Test func genesByNameAndGlobAndMissingLabel() throws {
        let ws = TempWorkspace("quern-h5ad-pick")
        try H5ADFixture.python(
            """
            import os; os.makedirs('in')
            names = ['CD3E', 'CD4', 'MT-CO1', 'MT-ND1', 'ACTB']
            X, obs = cells(20, names, seed=5)
            obs['donor'] = obs['donor'].cat.add_categories([]).astype('category')
            obs.loc[obs.index[3], 'donor'] = np.nan
            write('in/cells.h5ad', X, obs, names, 'csr')
            keep = [i for i in range(20) if i != 3]
            E = np.hstack([X[:, [4]], X[:, [2, 3]]]).astype(np.float32)[keep]
            np.save('expected.npy', E)
            """, in: ws)
        let config = H5ADFixture.config().replacingOccurrences(
            of: "numeric: [age, score]\n  genes: [\"*\"]", with: "numeric: []\n  genes: [ACTB, \"MT-*\"]")
        let r = try H5ADFixture.run(ws, config: config)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("label 'donor' missing") || r.stderr.contains("label 'donor' missing"), "\(r.stdout)")
        try H5ADFixture.expectArraysEqualNumpy(ws, "genes by name and glob")
    }

    /// A categorical with integer categories is a text label ("0", "1", "2"); a nullable integer
    /// column (anndata 0.9 and later: `values` + `mask`, written here with h5py) reads its masked
    /// cells as missing (`fill_missing`).
    @Test func integerCategoriesAndNullableColumns() throws {
        let ws = TempWorkspace("quern-h5ad-nullable")
        try H5ADFixture.python(
            """
            import os, h5py; os.makedirs('in')
            X, obs = cells(20, genes, seed=6)
            obs['cluster'] = pd.Categorical(np.arange(20) % 3)
            write('in/cells.h5ad', X, obs, genes, 'csr')
            with h5py.File('in/cells.h5ad', 'a') as f:
                g = f['obs'].create_group('visits')
                g.attrs['encoding-type'] = 'nullable-integer'
                g.attrs['encoding-version'] = '0.1.0'
                g['values'] = np.arange(20, dtype=np.int64) * 10
                mask = np.zeros(20, bool); mask[[2, 5]] = True
                g['mask'] = mask
                order = [str(c) for c in f['obs'].attrs['column-order']] + ['visits']
                f['obs'].attrs['column-order'] = np.array(order, dtype=h5py.string_dtype())
            visits = np.where(mask, -1, np.arange(20) * 10).astype(np.float32)[:, None]
            np.save('expected.npy', np.hstack([visits, expected(X, obs)[:, 2:]]))
            np.save('cluster.npy', (np.arange(20) % 3).astype(np.int32))
            """, in: ws)
        let config = H5ADFixture.config().replacingOccurrences(
            of: "numeric: [age, score]", with: "numeric: [visits]\n  fill_missing: -1"
        ).replacingOccurrences(
            of: "healthy: {column: healthy, classes: 2}",
            with: "cluster: {column: cluster, values: [\"0\", \"1\", \"2\"]}")
        let r = try H5ADFixture.run(ws, config: config)
        #expect(r.status == 0, "\(r.stderr)")
        try H5ADFixture.expectArraysEqualNumpy(ws, "nullable and integer categories")
        let labels = try QuernProcess.pythonAnndata(
            "import numpy as np; print(np.array_equal(np.load('out/labels_train.npz')['cluster'], np.load('cluster.npy')))",
            cwd: ws.path)
        #expect(labels.stdout == "True\n", "\(labels.stdout) \(labels.stderr)")
    }
}
