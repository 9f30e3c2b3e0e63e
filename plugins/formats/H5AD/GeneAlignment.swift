/// Maps one file's genes onto the run's gene vocabulary (the first file's `var`, or the
/// `genes:` file), by name: a gene of the vocabulary the file lacks reads as 0; a gene of the
/// file outside the vocabulary (or a repeat of a name) is left out. Both are counted in the
/// reader's notes. Never by position: a file with its genes in another order is mapped, not
/// misaligned.
struct GeneAlignment {
    /// For each gene of the file, its position in the vocabulary, or -1.
    let target: [Int32]
    let width: Int
    /// Whether the kept genes keep their order (then a sparse row needs no sort).
    let monotone: Bool
    let missing: Int
    let extra: Int

    static let missingNote = "genes of the run's vocabulary missing from this file, read as 0"
    static let extraNote = "genes of this file not in the run's vocabulary, left out"

    /// nil when the file's genes are the vocabulary, in order (nothing to map).
    init?(file: [String], vocabulary: [String]) {
        if file == vocabulary { return nil }
        var position: [String: Int32] = [:]
        position.reserveCapacity(vocabulary.count)
        for (i, g) in vocabulary.enumerated() where position[g] == nil { position[g] = Int32(i) }
        var seen = [Bool](repeating: false, count: vocabulary.count)
        var target: [Int32] = []
        target.reserveCapacity(file.count)
        var extra = 0
        var monotone = true
        var last: Int32 = -1
        for g in file {
            if let p = position[g], !seen[Int(p)] {
                seen[Int(p)] = true
                target.append(p)
                if p < last { monotone = false }
                last = p
            } else {
                target.append(-1)
                extra += 1
            }
        }
        self.target = target
        width = vocabulary.count
        self.monotone = monotone
        missing = seen.lazy.filter { !$0 }.count
        self.extra = extra
    }

    /// Writes `block` (the file's genes) into `out` on the vocabulary's positions.
    func apply(_ block: CellBlock, into out: CellBlock) {
        out.cells = block.cells
        out.width = width
        out.sparse = block.sparse
        if !block.sparse {
            out.values.resize(block.cells * width)
            out.values.pointer.update(repeating: 0, count: block.cells * width)
            for c in 0..<block.cells {
                let src = c * block.width
                let dst = c * width
                for (g, t) in target.enumerated() where t >= 0 { out.values[dst + Int(t)] = block.values[src + g] }
            }
            return
        }
        out.rowStarts.resize(block.cells + 1)
        out.indices.resize(block.indices.count)
        out.values.resize(block.values.count)
        var n = 0
        var pairs: [(Int32, Float)] = []
        for c in 0..<block.cells {
            out.rowStarts[c] = n
            let start = n
            for k in block.rowStarts[c]..<block.rowStarts[c + 1] {
                let t = target[Int(block.indices[k])]
                guard t >= 0 else { continue }
                out.indices[n] = t
                out.values[n] = block.values[k]
                n += 1
            }
            if !monotone && n - start > 1 {
                pairs.removeAll(keepingCapacity: true)
                for k in start..<n { pairs.append((out.indices[k], out.values[k])) }
                pairs.sort { $0.0 < $1.0 }
                for (k, p) in pairs.enumerated() {
                    out.indices[start + k] = p.0
                    out.values[start + k] = p.1
                }
            }
        }
        out.rowStarts[block.cells] = n
        out.indices.count = n
        out.values.count = n
    }
}
