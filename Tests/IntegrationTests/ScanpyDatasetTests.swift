import Foundation
import QuernCore
import QuernTestSupport
import Testing

/// A real public dataset: scanpy's `10x_pbmc68k_reduced.h5ad` (700 PBMC cells x 765 genes from
/// 10x Genomics, as scanpy ships it; written by anndata before 0.7, so obs is a table and the
/// categories live in `uns`). `make test-deps` fetches it (scripts/fetch-test-data.sh) and
/// `make test` sets `QUERN_TEST_DATA`: then a missing file fails the test. Run outside `make
/// test` without the file, the test is skipped, saying how to get it.
@Suite("scanpy's pbmc68k_reduced, through quern run")
struct ScanpyDatasetTests {
    static let fileName = "10x_pbmc68k_reduced.h5ad"

    /// `$QUERN_TEST_DATA/<file>`, else data/test-data/<file> in the package.
    static var path: String {
        if let dir = ProcessInfo.processInfo.environment["QUERN_TEST_DATA"], !dir.isEmpty {
            return "\(dir)/\(fileName)"
        }
        return "\(DocsTests.root)/data/test-data/\(fileName)"
    }

    static var required: Bool { ProcessInfo.processInfo.environment["QUERN_TEST_DATA"]?.isEmpty == false }
    static var present: Bool { FileManager.default.fileExists(atPath: path) }

    @Test func theDataIsThereWhenMakeTestSaysSo() {
        #expect(
            !Self.required || Self.present,
            "QUERN_TEST_DATA is set but \(Self.path) is missing: run `make test-deps` (scripts/fetch-test-data.sh)")
    }

    /// X (dense float32) and obs numbers equal anndata's reading exactly; the `phase` labels are
    /// the categorical's codes (categories from `uns/phase_categories`); `matrix: raw` reads
    /// `raw.X` (CSR, 765 genes of raw.var).
    @Test(
        .enabled(if: present || required, "scanpy's dataset is not in data/test-data: run `make test-deps`"),
        arguments: ["X", "raw"])
    func arraysEqualAnndata(_ matrix: String) throws {
        let ws = TempWorkspace("quern-scanpy")
        try FileManager.default.createDirectory(atPath: "\(ws.path)/in", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: Self.path, toPath: "\(ws.path)/in/\(Self.fileName)")
        ws.write(
            "quern.yaml",
            """
            paths: {input: in, intermediate: mid, output: out}
            input: {format: {name: h5ad, matrix: \(matrix), block_values: 50000}}
            extractor:
              name: tabular
              numeric: [n_genes, percent_mito]
              genes: ["*"]
              labels: {phase: {column: phase, values: [G1, G2M, S]}}
              group: louvain
            split: {fractions: "1,0,0"}
            normalize: {method: none}

            """)
        let r = try QuernProcess.run(["run", "--config", "quern.yaml"], cwd: ws.path)
        #expect(r.status == 0, "\(r.stderr)")
        let check = try QuernProcess.pythonAnndata(
            """
            import warnings; warnings.simplefilter('ignore')
            import numpy as np, anndata as ad, scipy.sparse as sp
            a = ad.read_h5ad('in/\(Self.fileName)')
            M = a.X if '\(matrix)' == 'X' else a.raw.X
            M = M.toarray() if sp.issparse(M) else M
            assert M.shape == (700, 765), M.shape
            E = np.hstack([a.obs[['n_genes', 'percent_mito']].to_numpy(np.float64), M.astype(np.float64)])
            X = np.load('out/X_train.npy')
            assert X.shape == E.shape, (X.shape, E.shape)
            assert np.array_equal(X, E.astype(np.float32)), np.argwhere(X != E.astype(np.float32))[:5]
            L = np.load('out/labels_train.npz')['phase']
            assert np.array_equal(L, a.obs['phase'].cat.codes.to_numpy(np.int32))
            print('ok')
            """, cwd: ws.path)
        #expect(check.status == 0 && check.stdout == "ok\n", "\(check.stdout) \(check.stderr)")
    }
}
