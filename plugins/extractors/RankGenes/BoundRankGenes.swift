import QuernKit

/// ``RankGenesExtractor`` bound to one file: a cell's genes in, its ranked ids out.
///
/// The genes come from the record's ``NumericBlock`` (an `.h5ad` cell: only the non-zero values of
/// a sparse row are looked at) and from text fields (CSV gene columns), parsed as numbers.
struct BoundRankGenes: BoundExtractor {
    let columns: BoundColumns
    let header: [String]
    /// Header positions of the gene columns `genes:` selects, in gene id order (empty: the block).
    let genes: [Int]
    let topGenes: Int
    let padId: Int32
    let normalizeTotal: Bool
    let targetSum: Double
    let factors: GeneFactors?
    let missing: MissingValues
    var row: [Float]
    var labels: [Int32]
    var masks: [[Int8]]
    var tokens: [Int32]
    var top = TopGenes()
    var notes: [String: Int] = [:]
    /// Gene id of each column of the last block seen (-1: not a gene), its factor (0: none), and
    /// the block's first column and width they were made for.
    var blockIds: [Int32] = []
    var blockFactors: [Double] = []
    var blockSpan = (first: -1, width: -1)
    /// Gene columns not in the record's block (all of them for text), with their gene ids.
    var textGenes: [(column: Int, gene: Int32)] = []
    var textSpan = (first: -2, width: -2)
    /// Factors by gene id for text genes (0: none).
    let geneFactors: [Double]

    /// The note counting genes without a factor (never ranked).
    static let noFactorNote = "genes not in gene_factors, never ranked"

    init(
        columns: BoundColumns, header: [String], genes: [Int], options o: RankGenesExtractor, schema: FeatureSchema,
        missing: MissingValues
    ) {
        self.columns = columns
        self.header = header
        self.genes = genes
        topGenes = o.topGenes
        padId = o.padId
        normalizeTotal = o.normalizeTotal
        targetSum = o.targetSum
        factors = o.factors
        self.missing = missing
        row = [Float](repeating: 0, count: schema.features.count)
        labels = [Int32](repeating: 0, count: schema.labels.count)
        masks = schema.masks.map { [Int8](repeating: 0, count: $0.width) }
        tokens = [Int32](repeating: o.padId, count: o.topGenes)
        geneFactors = genes.map { o.factors == nil ? 1 : (o.factors!.byName[header[$0]] ?? 0) }
        if o.factors != nil {
            let without = geneFactors.filter { $0 == 0 }.count
            if without > 0 { notes[Self.noFactorNote] = without }
        }
    }

    mutating func extract(_ record: Record, into batch: inout RowBatch) throws(RowError) -> RowOutcome {
        if let reason = try columns.readLabels(record, into: &labels) { return .skipped(reason) }
        try columns.readMasks(record, into: &masks)
        let columns = self.columns
        let nonFinite = try row.withUnsafeMutableBufferPointer { (out) throws(RowError) in
            try columns.readNumeric(record, into: out.baseAddress!)
        }
        if nonFinite > 0 { notes[BoundColumns.nonFiniteNote, default: 0] += nonFinite }
        top.removeAll()
        var total = 0.0
        var negative = false
        if let block = record.block {
            prepare(block)
            // Packed keys (``TopGenes``) when every gene is a float32 of the block and there are no
            // factors: their order is then the float64 values' order, with no rescaling.
            let packed = factors == nil && textGenes.isEmpty
            let bad =
                packed
                ? gatherPacked(block, total: &total, negative: &negative) : gather(block, total: &total)
            if let bad { return .failed(bad) }
            // A negative value makes the total no upper bound of the others: rank the float64 values.
            if negative { top.unpack() }
        } else if genes.isEmpty {
            throw RowError(
                column: nil,
                "the record has no gene block (an .h5ad cell's genes): for text inputs, set `genes:` under `extractor:` to the gene columns (names or globs)"
            )
        } else {
            prepareText(nil)
        }
        if let bad = try gatherText(record, total: &total) { return .failed(bad) }
        if (normalizeTotal || factors != nil) && !top.entries.isEmpty { rescale(total: total) }
        let ranked = top.count
        tokens.withUnsafeMutableBufferPointer { _ = top.select(k: topGenes, pad: padId, into: $0) }
        row[row.count - 1] = Float(ranked)
        tokens.withUnsafeBufferPointer { batch.appendArray(0, $0) }
        row.withUnsafeBufferPointer { r in
            labels.withUnsafeBufferPointer { l in
                batch.append(features: r, labels: l, masks: masks, group: columns.group(record), line: record.line)
            }
        }
        return .kept
    }

    /// Gene ids and factors for the columns of `block` (made again only when the block's span changes).
    mutating func prepare(_ block: NumericBlock) {
        guard blockSpan != (block.firstColumn, block.width) else { return }
        blockSpan = (block.firstColumn, block.width)
        blockIds = [Int32](repeating: -1, count: block.width)
        if genes.isEmpty {
            for p in 0..<block.width { blockIds[p] = Int32(p) }
        } else {
            for (g, c) in genes.enumerated() where block.contains(column: c) {
                blockIds[c - block.firstColumn] = Int32(g)
            }
        }
        blockFactors = (0..<block.width).map { p in
            let id = blockIds[p]
            guard id >= 0 else { return 0 }
            guard let factors else { return 1 }
            return factors.byName[header.indices.contains(block.firstColumn + p) ? header[block.firstColumn + p] : ""]
                ?? 0
        }
        if genes.isEmpty, factors != nil {
            notes[Self.noFactorNote] = blockFactors.filter { $0 == 0 }.count
            if notes[Self.noFactorNote] == 0 { notes[Self.noFactorNote] = nil }
        }
        prepareText(block)
    }

    /// The gene columns read as text: those outside `block`.
    mutating func prepareText(_ block: NumericBlock?) {
        let span = block.map { ($0.firstColumn, $0.width) } ?? (-1, -1)
        guard textSpan != span else { return }
        textSpan = span
        textGenes = genes.enumerated().compactMap { g, c in
            block?.contains(column: c) == true ? nil : (c, Int32(g))
        }
    }

    /// Adds the block's genes with a value above 0 (and a factor); sums every value into `total`.
    /// Returns a reason when a value is not finite.
    mutating func gather(_ block: NumericBlock, total: inout Double) -> String? {
        let values = block.values
        if let indices = block.indices {
            for k in 0..<values.count {
                let p = Int(indices[k])
                guard p >= 0 && p < blockIds.count else {
                    return "a gene index \(p) is outside the block's \(blockIds.count) genes"
                }
                if let bad = add(
                    Double(values[k]), id: blockIds[p], factor: blockFactors[p], column: block.firstColumn + p,
                    total: &total)
                {
                    return bad
                }
            }
        } else {
            for p in 0..<min(values.count, blockIds.count) {
                if let bad = add(
                    Double(values[p]), id: blockIds[p], factor: blockFactors[p], column: block.firstColumn + p,
                    total: &total)
                {
                    return bad
                }
            }
        }
        return nil
    }

    /// ``gather(_:total:)`` into packed keys: a value above 0 is added as its float32 bits.
    mutating func gatherPacked(_ block: NumericBlock, total: inout Double, negative: inout Bool) -> String? {
        let values = block.values
        var bad: (position: Int, value: Float)? = nil
        if let indices = block.indices {
            for k in 0..<values.count {
                let p = Int(indices[k])
                guard p >= 0 && p < blockIds.count else {
                    return "a gene index \(p) is outside the block's \(blockIds.count) genes"
                }
                let x = values[k]
                let id = blockIds[p]
                if id < 0 { continue }
                if !x.isFinite {
                    bad = (p, x)
                    break
                }
                total += Double(x)
                if x > 0 { top.add(packed: x, gene: id) } else if x < 0 { negative = true }
            }
        } else {
            for p in 0..<min(values.count, blockIds.count) {
                let x = values[p]
                let id = blockIds[p]
                if id < 0 { continue }
                if !x.isFinite {
                    bad = (p, x)
                    break
                }
                total += Double(x)
                if x > 0 { top.add(packed: x, gene: id) } else if x < 0 { negative = true }
            }
        }
        if let (p, x) = bad {
            let column = block.firstColumn + p
            return "gene '\(header.indices.contains(column) ? header[column] : "#\(column)")' has the value \(x)"
        }
        return nil
    }

    @inline(__always)
    mutating func add(_ x: Double, id: Int32, factor: Double, column: Int, total: inout Double) -> String? {
        guard id >= 0 else { return nil }
        guard x.isFinite else {
            return "gene '\(header.indices.contains(column) ? header[column] : "#\(column)")' has the value \(x)"
        }
        total += x
        if x > 0 && factor > 0 { top.add(value: x, gene: id) }
        return nil
    }

    /// Adds the gene columns read as text (a missing cell is 0); a cell that is not a number
    /// fails the file.
    mutating func gatherText(_ record: Record, total: inout Double) throws(RowError) -> String? {
        for (c, g) in textGenes {
            let x: Double
            if let v = record.number(c) {
                x = v
            } else {
                let f = record.field(c)
                if missing.isMissing(f) { continue }
                guard let v = NumberParsing.double(f) else {
                    throw RowError(column: header[c], "\(RowError.shown(f)) is not a number (a gene's count)")
                }
                x = v
            }
            if let bad = add(x, id: g, factor: geneFactors[Int(g)], column: c, total: &total) { return bad }
        }
        return nil
    }

    /// Applies the normalization to the gathered values: `x / total * target_sum`, then `/ factor`.
    mutating func rescale(total: Double) {
        let factorOf: (Int32) -> Double
        if factors == nil {
            factorOf = { _ in 1 }
        } else if genes.isEmpty {
            let f = blockFactors
            factorOf = { f[Int($0)] }
        } else {
            let f = geneFactors
            factorOf = { f[Int($0)] }
        }
        let normalize = normalizeTotal
        let target = targetSum
        for i in top.entries.indices {
            var v = top.entries[i].value
            if normalize { v = v / total * target }
            if factors != nil { v = v / factorOf(top.entries[i].gene) }
            top.entries[i].value = v
        }
    }
}
