/// The top `k` genes of one cell: a partial selection, then a sort of the `k` chosen only.
///
/// Hand-written because it is the extractor's hot path: a cell of 20,000 genes has about 1,000
/// non-zero ones (5%), and a full sort of every gene per cell would cost twenty times the work.
/// `RankGenesTests` compares it with the obvious version (sort everything, take `k`) on data full
/// of ties.
///
/// The order is total: a higher value first, and between equal values the lower gene id, so
/// the result never depends on the order genes were handed in.
///
/// Two forms of candidate: an ``Entry`` (a float64 value and an id), and a packed key, one
/// `UInt64` a gene (the float32 count's bits, inverted, above the id), compared as one integer.
/// The packed form serves the usual case, float32 counts of an `.h5ad` without gene factors: there
/// the float64 value `x / total * target` orders genes exactly as their float32 `x` does (two
/// float32 values differ by at least 2^-24 relative, far more than the 2^-52 the two roundings can
/// move them, and `total` is positive when no value is negative), so the packed order is the
/// float64 one. It halves the bytes moved and makes each comparison one instruction.
struct TopGenes {
    /// A candidate: its value (after normalization) and its gene id.
    struct Entry: Ranked {
        var value: Double
        var gene: Int32

        @inline(__always) func before(_ other: Entry) -> Bool {
            value > other.value || (value == other.value && gene < other.gene)
        }
        var id: Int32 { gene }
    }

    /// Candidates of the current cell (reused from cell to cell).
    var entries: [Entry] = []
    /// The same, packed (see above); used instead of ``entries`` by the packed path.
    var keys: [UInt64] = []
    /// Whether the packed keys were added in ascending gene id order (a sparse row's are).
    var ascending = true
    /// The radix sort's second buffer.
    var spare: [UInt64] = []

    mutating func removeAll() {
        entries.removeAll(keepingCapacity: true)
        keys.removeAll(keepingCapacity: true)
        ascending = true
    }

    @inline(__always) mutating func add(value: Double, gene: Int32) {
        entries.append(Entry(value: value, gene: gene))
    }

    /// Adds a positive float32 count by its packed key.
    @inline(__always) mutating func add(packed value: Float, gene: Int32) {
        if let last = keys.last, Int32(truncatingIfNeeded: last) >= gene { ascending = false }
        keys.append(UInt64(~value.bitPattern) << 32 | UInt64(UInt32(bitPattern: gene)))
    }

    /// Turns the packed candidates into entries of float64 values (to be rescaled instead).
    mutating func unpack() {
        for key in keys {
            entries.append(
                Entry(value: Double(Float(bitPattern: ~UInt32(key >> 32))), gene: Int32(truncatingIfNeeded: key)))
        }
        keys.removeAll(keepingCapacity: true)
    }

    /// Candidates gathered so far.
    var count: Int { entries.count + keys.count }

    /// Writes the ids of the top `k` candidates, best first, into `out` (which holds `k`
    /// values), padding with `pad` when there are fewer; returns how many were written before
    /// the padding.
    mutating func select(k: Int, pad: Int32, into out: UnsafeMutableBufferPointer<Int32>) -> Int {
        let take: Int
        if keys.isEmpty {
            take = entries.withUnsafeMutableBufferPointer { Self.best(k, of: $0, into: out) }
        } else if ascending && keys.count > 64 {
            take = min(k, keys.count)
            radixSortByValue()
            for i in 0..<take { out[i] = keys[i].id }
        } else {
            take = keys.withUnsafeMutableBufferPointer { Self.best(k, of: $0, into: out) }
        }
        for i in take..<k { out[i] = pad }
        return take
    }

    /// Sorts the packed keys by their value half alone, stably: keys added in ascending id order
    /// then come out in the full key order (ties by id). A least-significant-digit radix sort, a
    /// byte at a time, skipping the bytes every key shares (the high bytes of counts): no
    /// comparisons, so none of quicksort's mispredicted branches (which took 65% of extraction
    /// time in a perf profile).
    mutating func radixSortByValue() {
        let n = keys.count
        // Exactly n, so that after a swap `keys` still holds n keys.
        spare.removeAll(keepingCapacity: true)
        spare.append(contentsOf: repeatElement(0, count: n))
        var counts = [Int](repeating: 0, count: 256)
        var inKeys = true
        keys.withUnsafeMutableBufferPointer { a in
            spare.withUnsafeMutableBufferPointer { b in
                counts.withUnsafeMutableBufferPointer { c in
                    for shift in stride(from: 32, to: 64, by: 8) {
                        let (src, dst) = inKeys ? (a, b) : (b, a)
                        for i in 0..<256 { c[i] = 0 }
                        for i in 0..<n { c[Int((src[i] >> UInt64(shift)) & 0xFF)] += 1 }
                        if c[Int((src[0] >> UInt64(shift)) & 0xFF)] == n { continue }  // one byte for all
                        var sum = 0
                        for i in 0..<256 {
                            let here = c[i]
                            c[i] = sum
                            sum += here
                        }
                        for i in 0..<n {
                            let digit = Int((src[i] >> UInt64(shift)) & 0xFF)
                            dst[c[digit]] = src[i]
                            c[digit] += 1
                        }
                        inKeys.toggle()
                    }
                }
            }
        }
        if !inKeys { swap(&keys, &spare) }
    }

    /// The ids of the best `k` of `e` into `out`, best first; returns how many.
    static func best<T: Ranked>(
        _ k: Int, of e: UnsafeMutableBufferPointer<T>, into out: UnsafeMutableBufferPointer<Int32>
    )
        -> Int
    {
        let take = min(k, e.count)
        if e.count > k { partition(e, k: k) }
        // The first `take` are the best, in no order yet: sort only them.
        sort(e, 0, take - 1, depth: 2 * Int.bitWidth)
        for i in 0..<take { out[i] = e[i].id }
        return take
    }

    /// Sorts `e[lo...hi]` best first: quicksort (median of three, Hoare's partition), insertion
    /// sort below 16 elements, the standard library's sort past `depth` levels (never quadratic).
    /// The standard library's stable sort, comparing through a closure, took 70% of extraction
    /// time in a perf profile of 1,000 genes a cell.
    static func sort<T: Ranked>(_ e: UnsafeMutableBufferPointer<T>, _ lo: Int, _ hi: Int, depth: Int) {
        var lo = lo
        var hi = hi
        var depth = depth
        while hi - lo >= 16 {
            if depth == 0 {
                var rest = UnsafeMutableBufferPointer(rebasing: e[lo...hi])
                rest.sort { $0.before($1) }
                return
            }
            depth -= 1
            let (i, j) = split(e, lo, hi)
            // The smaller side first, by recursion; the larger by the loop: stack depth O(log n).
            if j - lo < hi - i {
                sort(e, lo, j, depth: depth)
                lo = i
            } else {
                sort(e, i, hi, depth: depth)
                hi = j
            }
        }
        if hi <= lo { return }
        for k in (lo + 1)...hi {
            let x = e[k]
            var m = k - 1
            while m >= lo && x.before(e[m]) {
                e[m + 1] = e[m]
                m -= 1
            }
            e[m + 1] = x
        }
    }

    /// Hoare's partition of `e[lo...hi]` around the median of its first, middle and last
    /// elements: afterwards `lo...j` rank before (or as) the pivot and `i...hi` after it.
    @inline(__always)
    static func split<T: Ranked>(_ e: UnsafeMutableBufferPointer<T>, _ lo: Int, _ hi: Int) -> (Int, Int) {
        let mid = lo + (hi - lo) / 2
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
        return (i, j)
    }

    /// Reorders `e` so that its first `k` elements are the `k` best (Hoare's quickselect;
    /// expected linear time).
    static func partition<T: Ranked>(_ e: UnsafeMutableBufferPointer<T>, k: Int) {
        var lo = 0
        var hi = e.count - 1
        while lo < hi {
            let (i, j) = split(e, lo, hi)
            // Go on in the part holding position k - 1; between the parts it is the pivot, in its place.
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

/// A candidate gene with a total order: ``before(_:)`` is true when `self` ranks first.
protocol Ranked {
    func before(_ other: Self) -> Bool
    /// The gene id.
    var id: Int32 { get }
}

extension UInt64: Ranked {
    /// A packed key (``TopGenes/add(packed:gene:)``): the smaller integer ranks first.
    @inline(__always) func before(_ other: UInt64) -> Bool { self < other }
    var id: Int32 { Int32(truncatingIfNeeded: self) }
}
