import Foundation
import QuernCore
import QuernTestSupport
import Testing

/// Bad `.h5ad` files among good ones, through a real `quern run`: each is listed in
/// `failed.jsonl` with a reason naming what is missing or wrong (a file that crashes libhdf5
/// included: quern survives it), the good file's rows are published (exit 3), and HDF5 prints
/// nothing of its own on stderr.
@Suite("Bad h5ad files, through quern run")
struct H5ADBadFileTests {
    @Test func eachBadFileFailsWithItsReason() throws {
        let ws = TempWorkspace("quern-h5ad-bad")
        try H5ADFixture.python(
            """
            import os, h5py, shutil; os.makedirs('in')
            X, obs = cells(30, genes, seed=1)
            write('in/good.h5ad', X, obs, genes, 'csr')
            np.save('expected.npy', expected(X, obs))
            data = open('in/good.h5ad', 'rb').read()
            open('in/truncated.h5ad', 'wb').write(data[:len(data) // 2])
            with h5py.File('in/foreign.h5ad', 'w') as f:
                f['measurements'] = np.arange(10.0)
            shutil.copy('in/good.h5ad', 'in/no_indptr.h5ad')
            with h5py.File('in/no_indptr.h5ad', 'a') as f:
                del f['X/indptr']
            shutil.copy('in/good.h5ad', 'in/short_var.h5ad')
            with h5py.File('in/short_var.h5ad', 'a') as f:
                del f['var/_index']
                f['var/_index'] = np.array([b'G0', b'G1'], dtype=object)
            open('in/text.h5ad', 'w').write('cell,gene\\n1,2\\n')
            """, in: ws)
        // Flipped bytes in HDF5's own structures: libhdf5 crashes reading it (in HDF5Probe's child).
        try FileManager.default.copyItem(
            atPath: "\(DocsTests.root)/Tests/PluginTests/Fixtures/damaged.h5ad", toPath: "\(ws.path)/in/damaged.h5ad")
        let r = try H5ADFixture.run(ws, config: H5ADFixture.config())
        #expect(r.status == 3, "exit 3: done, some files failed: \(r.stderr)")
        #expect(!r.stderr.contains("HDF5-DIAG"), "HDF5's own error stack is silenced: \(r.stderr)")
        let failed = try JSONLines.read("\(ws.path)/mid/failed.jsonl").map {
            try #require(try JSONSerialization.jsonObject(with: $0) as? [String: Any])
        }
        let reasons = Dictionary(
            failed.map { ($0["file"] as? String ?? "", $0["reason"] as? String ?? "") }, uniquingKeysWith: { a, _ in a }
        )
        let expected = [
            "truncated.h5ad": "truncated",
            "foreign.h5ad": "X (the matrix to read, h5ad option `matrix: X`) is missing",
            "no_indptr.h5ad": "X/indptr (where each row's values start) is missing",
            "short_var.h5ad": "var names 2 genes but X has 12 columns",
            "text.h5ad": "not an HDF5 file",
            "damaged.h5ad": "the file is damaged",
        ]
        #expect(Set(reasons.keys) == Set(expected.keys), "\(failed)")
        for (file, words) in expected {
            #expect(reasons[file]?.contains(words) == true, "\(file): \(reasons[file] ?? "not failed")")
        }
        try H5ADFixture.expectArraysEqualNumpy(ws, "the good file")
    }

    /// `matrix: layers/NAME` for a layer the file lacks names the layers it has.
    @Test func aMissingLayerNamesTheLayersThereAre() throws {
        let ws = TempWorkspace("quern-h5ad-layer")
        try H5ADFixture.python(
            """
            import os; os.makedirs('in')
            X, obs = cells(10, genes)
            a = ad.AnnData(X=X, obs=obs, var=pd.DataFrame(index=genes))
            a.layers['counts'] = X
            a.write_h5ad('in/cells.h5ad')
            """, in: ws)
        let r = try H5ADFixture.run(ws, config: H5ADFixture.config(format: "{name: h5ad, matrix: layers/spliced}"))
        #expect(r.status != 0)
        #expect(
            r.stderr.contains("layers/spliced") && r.stderr.contains("its layers: counts"),
            "\(r.stderr)")
    }

    /// A cell that fails (an infinite `score`) is named by its row (the "line") and its cell id.
    @Test func aBadCellIsNamedByRowAndCellID() throws {
        let ws = TempWorkspace("quern-h5ad-cell")
        try H5ADFixture.python(
            """
            import os; os.makedirs('in')
            X, obs = cells(10, genes, seed=2)
            obs.loc[obs.index[3], 'score'] = np.inf
            write('in/cells.h5ad', X, obs, genes, 'csr')
            """, in: ws)
        let r = try H5ADFixture.run(ws, config: H5ADFixture.config())
        #expect(r.status != 0)
        let failed = try JSONLines.read("\(ws.path)/mid/failed.jsonl").map {
            try #require(try JSONSerialization.jsonObject(with: $0) as? [String: Any])
        }
        #expect(failed.first?["line"] as? Int == 4, "\(failed)")
        let reason = failed.first?["reason"] as? String ?? ""
        #expect(reason.contains("column 'score'") && reason.contains("(record cell 'cell200003')"), "\(reason)")
    }
}
