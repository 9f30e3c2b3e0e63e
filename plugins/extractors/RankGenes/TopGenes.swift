/// The top `k` genes of one cell: a partial selection, then a sort of the `k` chosen only.
///
/// Hand-written because it is the extractor's hot path: a cell of 20,000 genes has about 1,000
/// non-zero ones (5%), and a full sort of every gene per cell would cost twenty times the work.
/// `TopGenesTests` compares it with the obvious version (sort everything, take `k`) on data full
/// of ties.
///
/// The order is total: a higher value first, and between equal values the lower gene id, so
/// the result never depends on the order genes were handed in.
struct TopGenes {
    /// A candidate: its value (after normalization) and its gene id.
    struct Entry {
        var value: Double
        var gene: Int32

        /// Whether `self` ranks before `other`.
        @inline(__always) func before(_ other: Entry) -> Bool {
            value > other.value || (value == other.value && gene < other.gene)
        }
    }

    /// Candidates of the current cell (reused from cell to cell).
    var entries: [Entry] = []

    mutating func removeAll() { entries.removeAll(keepingCapacity: true) }

    @inline(__always) mutating func add(value: Double, gene: Int32) {
        entries.append(Entry(value: value, gene: gene))
    }

    /// Writes the ids of the top `k` candidates, best first, into `out` (which holds `k`
    /// values), padding with `pad` when there are fewer; returns how many were written before
    /// the padding.
    mutating func select(k: Int, pad: Int32, into out: UnsafeMutableBufferPointer<Int32>) -> Int {
        let n = entries.count
        let take = min(k, n)
        entries.withUnsafeMutableBufferPointer { e in
            if n > k { Self.partition(e, k: k) }
            // The first `take` are the best, in no order yet: sort only them.
            var chosen = UnsafeMutableBufferPointer(rebasing: e[0..<take])
            chosen.sort { $0.before($1) }
            for i in 0..<take { out[i] = e[i].gene }
        }
        for i in take..<k { out[i] = pad }
        return take
    }

    /// Reorders `e` so that its first `k` elements are the `k` best (Hoare's quickselect, the
    /// pivot a median of three; expected linear time).
    static func partition(_ e: UnsafeMutableBufferPointer<Entry>, k: Int) {
        var lo = 0
        var hi = e.count - 1
        while lo < hi {
            let mid = lo + (hi - lo) / 2
            // Median of three into `mid`, then used as the pivot.
            if e[mid].before(e[lo]) { e.swapAt(mid, lo) }
            if e[hi].before(e[lo]) { e.swapAt(hi, lo) }
            if e[hi].before(e[mid]) { e.swapAt(hi, mid) }
            let pivot = e[mid]
            var i = lo
            var j = hi
            while i <= j {
                while e[i].before(pivot) { i += 1 }
                while pivot.before(e[j]) { j -= 1 }
                if i <= j {
                    e.swapAt(i, j)
                    i += 1
                    j -= 1
                }
            }
            // lo...j rank before (or as) the pivot, i...hi after: go on in the part holding
            // position k - 1; between them it is the pivot, in its place.
            if k - 1 <= j {
                hi = j
            } else if k - 1 >= i {
                lo = i
            } else {
                return
            }
        }
    }
}
