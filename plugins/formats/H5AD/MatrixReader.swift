/// Reads the matrix of an `.h5ad` a block of cells at a time, through hyperslabs, into a
/// ``CellBlock``: never the whole matrix. A block holds about ``targetValues`` values, so memory
/// stays flat whatever the file's size, and each lock-holding read moves megabytes.
///
/// - dense: rows `start ..< start + n`, all genes, converted to float32 by libhdf5;
/// - CSR: the block's `indptr` entries, then that range of `indices` and `data`;
/// - CSC (stored by gene): `indptr` is read once (genes + 1 integers), and a cursor per gene
///   walks its cells; a block reads, for every gene, its entries up to the block's last cell.
///   Memory stays bounded (the block's values, plus the cursors), but a block costs two small
///   reads per gene (indices, values): on a compressed, chunked CSC file that is slow, since
///   chunks are decompressed again. Converting it once (`adata.X = adata.X.tocsr()`) is faster
///   when CSC files are the bulk of the data.
///
/// Called holding ``HDF5Lock``.
final class MatrixReader {
    /// About how many values a block holds (32 MiB of float32 values, as much again of positions).
    static let targetValues = 8 << 20

    let layout: H5ADLayout
    let genes: Int
    private var indptrWindow: [Int64] = []
    private var windowStart = 0
    /// CSC: where each gene's column starts and ends, and how far it has been read.
    private var columnEnds: [Int64] = []
    private var cursors: [Int64] = []

    init(_ layout: H5ADLayout, targetValues: Int = MatrixReader.targetValues) throws(H5ADProblem) {
        self.layout = layout
        genes = layout.genes.count
        self.targetValues = targetValues
        if case .csc(_, _, let indptr) = layout.matrix {
            var all = [Int64](repeating: 0, count: genes + 1)
            try withRawBytes(&all) { (b) throws(H5ADProblem) in
                try HDF5Read.read(indptr, .int64, start: 0, count: genes + 1, into: b)
            }
            cursors = Array(all.dropLast())
            columnEnds = Array(all.dropFirst())
        }
    }

    private let targetValues: Int

    /// Reads the block of cells starting at `start` (some cells, at least one when any remain)
    /// into `block`.
    func read(from start: Int, into block: CellBlock) throws(H5ADProblem) {
        block.width = genes
        let remaining = layout.cells - start
        switch layout.matrix {
        case .dense(let ds):
            let n = min(remaining, max(1, targetValues / max(genes, 1)))
            block.sparse = false
            block.cells = n
            block.values.resize(n * genes)
            try HDF5Read.read(ds, .float, start: start, count: n, columns: genes, into: block.values.raw)
        case .csr(let data, let indices, let indptr):
            try readCSR(from: start, remaining: remaining, data: data, indices: indices, indptr: indptr, into: block)
        case .csc(let data, let indices, _):
            try readCSC(from: start, remaining: remaining, data: data, indices: indices, into: block)
        }
    }

    private func readCSR(
        from start: Int, remaining: Int, data: H5Object, indices: H5Object, indptr: H5Object, into block: CellBlock
    ) throws(H5ADProblem) {
        // indptr is read a window at a time (64 Ki cells): the block then takes as many cells as
        // fit in targetValues.
        if start < windowStart || start - windowStart + 1 >= indptrWindow.count {
            let n = min(remaining, 1 << 16) + 1
            indptrWindow = [Int64](repeating: 0, count: n)
            try withRawBytes(&indptrWindow) { (b) throws(H5ADProblem) in
                try HDF5Read.read(indptr, .int64, start: start, count: n, into: b)
            }
            windowStart = start
        }
        let base = start - windowStart
        let first = indptrWindow[base]
        var n = 1
        while base + n + 1 < indptrWindow.count, indptrWindow[base + n + 1] - first <= Int64(targetValues) { n += 1 }
        let last = indptrWindow[base + n]
        guard last >= first else {
            throw H5ADProblem("\(indptr.path) decreases at cell row \(start + 1) (\(first) then \(last))")
        }
        let nnz = Int(last - first)
        block.sparse = true
        block.cells = n
        block.rowStarts.resize(n + 1)
        for k in 0...n {
            let p = indptrWindow[base + k] - first
            guard p >= 0, p <= Int64(nnz), k == 0 || p >= Int64(block.rowStarts[k - 1]) else {
                throw H5ADProblem("\(indptr.path) is not ascending at cell row \(start + k + 1)")
            }
            block.rowStarts[k] = Int(p)
        }
        block.indices.resize(nnz)
        block.values.resize(nnz)
        try HDF5Read.read(indices, .int32, start: Int(first), count: nnz, into: block.indices.raw)
        try HDF5Read.read(data, .float, start: Int(first), count: nnz, into: block.values.raw)
        try sortRows(block, first: start, path: indices.path)
    }

    /// Each cell's positions must ascend within 0..<genes (a ``NumericBlock``'s rule): scipy may
    /// write them unsorted, so a row out of order is sorted; a position out of range or twice is
    /// an error.
    private func sortRows(_ block: CellBlock, first: Int, path: String) throws(H5ADProblem) {
        for c in 0..<block.cells {
            let (lo, hi) = (block.rowStarts[c], block.rowStarts[c + 1])
            var sorted = true
            for k in lo..<hi {
                let g = block.indices[k]
                guard g >= 0, Int(g) < genes else {
                    throw H5ADProblem("\(path): cell row \(first + c + 1) has gene position \(g), outside 0..<\(genes)")
                }
                if k > lo, block.indices[k - 1] >= g { sorted = false }
            }
            if sorted { continue }
            var pairs = (lo..<hi).map { (block.indices[$0], block.values[$0]) }
            pairs.sort { $0.0 < $1.0 }
            for (k, p) in pairs.enumerated() {
                if k > 0, pairs[k - 1].0 == p.0 {
                    throw H5ADProblem("\(path): cell row \(first + c + 1) has gene position \(p.0) twice")
                }
                block.indices[lo + k] = p.0
                block.values[lo + k] = p.1
            }
        }
    }

    private func readCSC(
        from start: Int, remaining: Int, data: H5Object, indices: H5Object, into block: CellBlock
    ) throws(H5ADProblem) {
        let nnzTotal = max(1, Int(columnEnds.last ?? 0))
        // Cells per block so that the block's expected values are about targetValues.
        let n = min(remaining, max(1, Int(Double(targetValues) * Double(layout.cells) / Double(nnzTotal))))
        let end = Int64(start + n)
        var cellOf: [Int32] = []
        var geneOf: [Int32] = []
        var valueOf: [Float] = []
        var chunkRows = [Int64](repeating: 0, count: 64)
        var chunkValues = [Float](repeating: 0, count: 64)
        for g in 0..<genes {
            // The gene's entries are ascending by cell: read from its cursor until a cell at or
            // past the block's end, a window at a time.
            var window = 64
            var previous = Int64(start) - 1
            while cursors[g] < columnEnds[g] {
                let count = Int(min(Int64(window), columnEnds[g] - cursors[g]))
                if chunkRows.count < count {
                    chunkRows = [Int64](repeating: 0, count: count)
                    chunkValues = [Float](repeating: 0, count: count)
                }
                try withRawBytes(&chunkRows) { (b) throws(H5ADProblem) in
                    try HDF5Read.read(indices, .int64, start: Int(cursors[g]), count: count, into: b)
                }
                var used = 0
                while used < count, chunkRows[used] < end || chunkRows[used] >= Int64(layout.cells) {
                    let r = chunkRows[used]
                    guard r > previous, r < Int64(layout.cells) else {
                        throw H5ADProblem(
                            "\(indices.path) (CSC): gene '\(layout.genes[g])' lists cell rows out of order or twice (\(r + 1)); sort it with adata.X.sort_indices()"
                        )
                    }
                    previous = r
                    used += 1
                }
                if used > 0 {
                    try withRawBytes(&chunkValues) { (b) throws(H5ADProblem) in
                        try HDF5Read.read(data, .float, start: Int(cursors[g]), count: used, into: b)
                    }
                    for k in 0..<used {
                        cellOf.append(Int32(chunkRows[k] - Int64(start)))
                        geneOf.append(Int32(g))
                        valueOf.append(chunkValues[k])
                    }
                    cursors[g] += Int64(used)
                }
                if used < count { break }
                window *= 2
            }
        }
        // Gather by cell; genes were visited in order, so each cell's positions ascend.
        block.sparse = true
        block.cells = n
        block.rowStarts.resize(n + 1)
        for k in 0...n { block.rowStarts[k] = 0 }
        for c in cellOf { block.rowStarts[Int(c) + 1] += 1 }
        for k in 0..<n { block.rowStarts[k + 1] += block.rowStarts[k] }
        block.indices.resize(cellOf.count)
        block.values.resize(cellOf.count)
        var fill = [Int](repeating: 0, count: n)
        for (i, c) in cellOf.enumerated() {
            let at = block.rowStarts[Int(c)] + fill[Int(c)]
            fill[Int(c)] += 1
            block.indices[at] = geneOf[i]
            block.values[at] = valueOf[i]
        }
    }
}
