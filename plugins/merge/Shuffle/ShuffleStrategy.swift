public import QuernKit

/// A seeded, uniform global shuffle in bounded memory. Row `g` (its position in batch order) gets
/// the random key `mix(seed, g)`, and the output is the rows sorted by key (ties, which 64-bit keys
/// make rare, in batch order): sorting by i.i.d. random keys makes every permutation equally
/// likely. To stay in memory the key space is cut into equal ranges, one spill bucket each, and
/// the buckets are sorted and emitted in range order. That is the same global sort whatever the
/// number of buckets, so the order depends only on the seed and the rows: `--memory-limit` (and
/// the `buckets` option) decide how much spills, never the result.
public struct ShuffleStrategy: MergeStrategy, MergePlugin {
    public static let name = "shuffle"
    public static let summary =
        "seeded global shuffle of all rows; spills to disk beyond the memory budget (same order either way)"
    public static let options = [
        OptionSpec(
            "buckets", .int(0...1_000_000), default: "0",
            help: "spill buckets (0: enough to fit the memory budget); changes memory and disk use, never the order")
    ]

    public static func make(_ options: PluginOptions) throws -> any MergeStrategy {
        ShuffleStrategy(buckets: options.int("buckets") ?? 0)
    }

    public let buckets: Int
    public init(buckets: Int = 0) { self.buckets = buckets }
    public var name: String { Self.name }
    public var optionsText: String { buckets > 0 ? "buckets=\(buckets)" : "" }

    /// Bytes a spilled row takes: its key, then the row (split code and content).
    static let keyBytes = 8

    /// Bytes a bucket holds per row while it is emitted: its spilled bytes, the sorted block, the
    /// previous block the writer may still be writing, and its keys, order and sort buffer.
    static func perRow(rowBytes: Int) -> Int { 3 * (rowBytes + keyBytes) + 20 }

    /// The most rows the largest of `buckets` buckets holds, about: keys are uniform, so a bucket
    /// holds `rows / buckets` give or take a few standard deviations of that count.
    static func largestBucket(rows: Int, buckets: Int) -> Int {
        let mean = Double(rows) / Double(max(1, buckets))
        return Int((mean + 6 * mean.squareRoot()).rounded(.up)) + 16
    }

    /// A bucket's write buffer: all buffers together take at most a quarter of the budget (half
    /// while they grow), and never less than a page each.
    static func bufferBytes(budget: Int, buckets: Int) -> Int { max(4096, min(1 << 18, budget / 4 / max(1, buckets))) }

    /// Buckets for `rows` rows of `rowBytes` within `budget`: enough that the largest bucket fits
    /// the budget while it is emitted.
    static func bucketCount(rows: Int, rowBytes: Int, budget: Int) -> Int {
        let perRow = perRow(rowBytes: rowBytes)
        var count = max(1, Int((Double(rows) * Double(perRow) / Double(max(budget, 1))).rounded(.up)))
        while count < rows && largestBucket(rows: rows, buckets: count) * perRow > budget { count += count / 8 + 1 }
        return count
    }

    /// The least budget the shuffle keeps: its largest bucket while it is emitted, and the write
    /// buffers of all buckets (a page each at least) while rows are spilled. With `buckets` unset
    /// the count follows the budget, so this is the smallest budget whose buckets' buffers fit.
    public func stateBytes(rows: Int, partRows: Int, schema: FeatureSchema) -> Int {
        let rowBytes = RowLayout(schema: schema).rowBytes
        func need(_ budget: Int, _ count: Int) -> Int {
            // The buffers grow by doubling, and their many small blocks fragment the heap as much again.
            max(
                Self.largestBucket(rows: rows, buckets: count) * Self.perRow(rowBytes: rowBytes),
                4 * count * Self.bufferBytes(budget: budget, buckets: count))
        }
        if buckets > 0 { return need(0, buckets) }
        var budget = 1 << 20
        while need(budget, Self.bucketCount(rows: rows, rowBytes: rowBytes, budget: budget)) > budget {
            budget += budget / 4
        }
        return budget
    }

    public func merge(_ context: MergeContext, emit: (RowBlock) throws -> Void) throws -> MergeReport {
        let layout = context.batches.layout
        let total = context.batches.totalRows
        let count =
            buckets > 0
            ? buckets : Self.bucketCount(rows: total, rowBytes: layout.rowBytes, budget: context.memoryBudget)
        var report = MergeReport()
        report.details["buckets"] = String(count)
        let spill = try BucketFiles(
            dir: context.scratchDir, count: count,
            bufferBytes: Self.bufferBytes(budget: context.memoryBudget, buckets: count))
        let seed = UInt64(bitPattern: Int64(context.seed))
        var global: UInt64 = 0
        var row: [UInt8] = []
        row.reserveCapacity(Self.keyBytes + layout.rowBytes)
        try context.batches.forEachBlock(split: context.split) { _, block in
            report.rowsIn += block.count
            for i in 0..<block.count {
                let key = Self.mix(seed, global)
                global += 1
                row.removeAll(keepingCapacity: true)
                withUnsafeBytes(of: key.littleEndian) { row.append(contentsOf: $0) }
                block.rowBytes(i, into: &row)
                // The bucket is the key's range: the high word of key * count.
                try spill.append(row, to: Int(key.multipliedFullWidth(by: UInt64(count)).high))
            }
        }
        try spill.finish()
        let stride = Self.keyBytes + layout.rowBytes
        for b in 0..<count {
            var bytes = try spill.read(b)
            spill.remove(b)
            let n = bytes.count / stride
            guard n > 0 else { continue }
            var block = RowBlock(layout: layout)
            block.reserve(n)
            bytes.withUnsafeBytes { raw in
                let keys = (0..<n).map {
                    UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * stride, as: UInt64.self))
                }
                // Rows were appended to a bucket in batch order, so the index breaks ties in that order.
                let order = (0..<n).sorted { keys[$0] < keys[$1] || (keys[$0] == keys[$1] && $0 < $1) }
                for i in order {
                    block.appendRow(
                        bytes: UnsafeRawBufferPointer(rebasing: raw[(i * stride + Self.keyBytes)..<((i + 1) * stride)]))
                }
            }
            bytes = []
            report.rowsOut += block.count
            try emit(block)
        }
        return report
    }

    /// A 64-bit mix of two values (SplitMix64's finalizer).
    static func mix(_ a: UInt64, _ b: UInt64) -> UInt64 {
        var z = a &+ b &* 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
