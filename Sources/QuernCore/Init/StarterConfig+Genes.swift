import QuernKit

/// `quern init` on files whose records carry a block of numeric columns (an `.h5ad`: the genes,
/// its `var` names): the genes are not profiled one by one (tens of thousands of columns), they
/// are counted and taken whole with `genes: ["*"]`; batches are sized for such wide rows.
extension StarterConfig {
    /// The rows of one batch part, for rows of `features` float32 values: about 256 MiB of them
    /// (a row of 20,000 genes is 80 KB; a million such rows would be 80 GB).
    static func rowsPerBatch(features: Int) -> Int {
        let rows = (256 << 20) / (4 * max(1, features))
        return max(1000, min(1_000_000, rows / 1000 * 1000))
    }

    static func geneBatchLines(_ s: Sample, features: Int) -> [String] {
        [
            "  files_per_batch: 1     # one .h5ad (thousands of cells) per batch file",
            "  rows_per_batch: \(rowsPerBatch(features: features))   # about 256 MiB of float32 rows of \(features) features",
        ]
    }

    /// The extractor's `genes:` lines: how many genes, a few names, sparse or dense, which matrix.
    static func geneLines(_ s: Sample, matrix: String?) -> [String] {
        let e = OneLine.escape
        let examples = s.genes.prefix(5).map(e).joined(separator: ", ") + (s.genes.count > 5 ? ", ..." : "")
        return [
            "  # \(s.genes.count) genes (var names: \(examples)), \(s.sparse ? "sparse" : "dense") in the sample, read from matrix \(e(matrix ?? "X"))",
            "  # (input.format {name: h5ad, matrix: raw} or layers/NAME reads another; `genes: FILE` sets the run's genes)",
            "  genes: [\"*\"]            # every gene, in the first file's order; or names and globs over var names (\"MT-*\")",
        ]
    }
}
