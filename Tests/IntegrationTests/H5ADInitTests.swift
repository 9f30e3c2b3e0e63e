import Foundation
import QuernCore
import QuernTestSupport
import Testing

/// `quern init` on a folder of `.h5ad` files writes a config that runs as it is: obs columns by
/// kind, the genes counted and taken whole (`genes: ["*"]`), sparse or dense, which matrix.
@Suite("quern init on h5ad")
struct H5ADInitTests {
    @Test func initOnH5ADWritesAConfigThatRuns() throws {
        let ws = TempWorkspace("quern-h5ad-init")
        try H5ADFixture.python(
            """
            import os; os.makedirs('in')
            for k in range(3):
                X, obs = cells(30, genes, seed=k)
                write('in/part%d.h5ad' % k, X, obs, genes, 'csr')
            """, in: ws)
        let i = try QuernProcess.run(
            ["init", "--input-dir", "in", "--label", "donor", "--group", "batch"], cwd: ws.path)
        #expect(i.status == 0, "\(i.stderr)")
        let yaml = i.stdout
        #expect(yaml.contains("numeric: [\"age\", \"score\"]"), "\(yaml)")
        #expect(yaml.contains("\"healthy\": [\"false\", \"true\"]"), "a bool obs column is one-hot: \(yaml)")
        #expect(yaml.contains("donor: {column: \"donor\", values: [\"d0\", \"d1\", \"d2\"]}"), "\(yaml)")
        #expect(
            yaml.contains("12 genes (var names: G0, G1, G2, G3, G4, ...), sparse in the sample, read from matrix X"))
        #expect(yaml.contains("genes: [\"*\"]"), "\(yaml)")
        #expect(yaml.contains("files_per_batch: 1"), "\(yaml)")
        #expect(!yaml.contains("\"G0\""), "genes are not profiled one by one: \(yaml)")
        ws.write("q.yaml", yaml)
        let r = try QuernProcess.run(["run", "--config", "q.yaml"], cwd: ws.path)
        #expect(r.status == 0, "\(r.stderr)")
        let py = try QuernProcess.python(
            """
            import numpy as np
            X = np.concatenate([np.load(f'data/processed/X_{s}.npy') for s in ('train', 'val', 'test')])
            print(X.shape[0], X.shape[1])
            """, cwd: ws.path)
        // age, score, healthy one-hot (2), 12 genes.
        #expect(py.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "90 16", "\(py.stdout) \(py.stderr)")
    }
}
