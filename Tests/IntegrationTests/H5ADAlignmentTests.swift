import Foundation
import QuernCore
import QuernTestSupport
import Testing

/// One gene vocabulary per run: the first file's `var` (or the `genes:` file), every other file
/// mapped onto it by name, through a real `quern run`. A file with its genes in another order,
/// one gene fewer and one more gives the same columns as numpy's mapping by name: never
/// misaligned; the missing gene reads 0 and both are counted in the notes.
@Suite("Genes aligned across h5ad files, through quern run")
struct H5ADAlignmentTests {
    @Test(arguments: ["csr", "dense"])
    func aFileWithGenesInAnotherOrderIsMappedByName(_ kind: String) throws {
        let ws = TempWorkspace("quern-h5ad-align")
        try H5ADFixture.python(
            """
            import os; os.makedirs('in')
            Xa, obs_a = cells(25, genes, seed=1)
            write('in/a.h5ad', Xa, obs_a, genes, '\(kind)')
            rng = np.random.default_rng(9)
            other = [g for g in genes if g != 'G5'] + ['EXTRA']
            other = [other[i] for i in rng.permutation(len(other))]
            Xb, obs_b = cells(20, other, seed=2)
            write('in/b.h5ad', Xb, obs_b, other, '\(kind)')
            # numpy's mapping by name onto a's genes: G5 is missing (0), EXTRA is dropped.
            Mb = np.zeros((20, len(genes)), np.float32)
            for j, g in enumerate(other):
                if g in genes: Mb[:, genes.index(g)] = Xb[:, j]
            np.save('expected.npy', np.vstack([expected(Xa, obs_a), expected(Mb, obs_b)]))
            """, in: ws)
        let r = try H5ADFixture.run(ws, config: H5ADFixture.config())
        #expect(r.status == 0, "\(r.stderr)")
        let output = r.stdout + r.stderr
        #expect(output.contains("note: 1 genes of the run's vocabulary missing from this file, read as 0"), "\(output)")
        #expect(output.contains("note: 1 genes of this file not in the run's vocabulary, left out"), "\(output)")
        try H5ADFixture.expectArraysEqualNumpy(ws, "permuted genes (\(kind))")
    }

    /// `genes: FILE` (an h5ad option) is the vocabulary for every file, the first included: its
    /// order, a gene no file has reads 0.
    @Test func aGenesFileIsTheVocabulary() throws {
        let ws = TempWorkspace("quern-h5ad-vocabulary")
        ws.write("genes.txt", "G11\nG3\nNOVEL\n  G0  \n\n")
        try H5ADFixture.python(
            """
            import os; os.makedirs('in')
            X, obs = cells(15, genes, seed=4)
            write('in/a.h5ad', X, obs, genes, 'csc')
            vocabulary = ['G11', 'G3', 'NOVEL', 'G0']
            M = np.stack([X[:, genes.index(g)] if g in genes else np.zeros(15, np.float32) for g in vocabulary], 1)
            np.save('expected.npy', expected(M, obs))
            """, in: ws)
        let r = try H5ADFixture.run(
            ws, config: H5ADFixture.config(format: "{name: h5ad, genes: \(ws.path)/genes.txt}"))
        #expect(r.status == 0, "\(r.stderr)")
        try H5ADFixture.expectArraysEqualNumpy(ws, "genes file")
    }

    /// The vocabulary is in the schema fingerprint: batches made with another gene order are
    /// never mixed, even when the features picked are the same (gene ids depend on the order).
    @Test func anotherVocabularyIsAnotherSchema() throws {
        let ws = TempWorkspace("quern-h5ad-fingerprint")
        ws.write("genes-a.txt", "G0\nG1\nG2\n")
        ws.write("genes-b.txt", "G2\nG1\nG0\n")
        try H5ADFixture.python(
            """
            import os; os.makedirs('in')
            X, obs = cells(10, genes, seed=1)
            write('in/a.h5ad', X, obs, genes, 'csr')
            """, in: ws)
        func extract(_ vocabulary: String) throws -> QuernProcess.Result {
            ws.write(
                "quern.yaml",
                H5ADFixture.config(format: "{name: h5ad, genes: \(ws.path)/\(vocabulary)}").replacingOccurrences(
                    of: "genes: [\"*\"]", with: "genes: [G1]"))
            return try QuernProcess.run(["extract", "--config", "quern.yaml"], cwd: ws.path)
        }
        #expect(try extract("genes-a.txt").status == 0)
        #expect(try extract("genes-a.txt").status == 0, "the same vocabulary: the batches are kept")
        let other = try extract("genes-b.txt")
        #expect(other.status != 0)
        #expect(other.stderr.contains("holds batches made with schema"), "\(other.stderr)")
    }
}
