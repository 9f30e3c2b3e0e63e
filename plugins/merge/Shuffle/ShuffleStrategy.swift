public import QuernCore
import Foundation

/// A seeded, uniform global shuffle in bounded memory. Each row gets a random bucket (from the seed
/// and its position); rows are spilled to one scratch file per bucket, then each bucket, about the
/// memory budget in size, is loaded and shuffled in memory. Sorting by (bucket, random order within
/// it) is sorting by i.i.d. random keys, so every permutation is equally likely.
public struct ShuffleStrategy: MergeStrategy, MergePlugin {
    public static let name = "shuffle"
    public static let summary = "seeded global shuffle of all rows; spills to disk beyond the memory budget"
    public static let options = [OptionSpec("buckets", .int(0...1_000_000), default: "0", help: "spill buckets (0: enough to fit the memory budget)")]

    public static func make(_ options: PluginOptions) throws -> any MergeStrategy { ShuffleStrategy(buckets: options.int("buckets") ?? 0) }

    public let buckets: Int
    public init(buckets: Int = 0) { self.buckets = buckets }
    public var name: String { Self.name }
    public var optionsText: String { buckets > 0 ? "buckets=\(buckets)" : "" }

    public func merge(_ context: MergeContext, emit: (RowBlock) throws -> Void) throws -> MergeReport {
        let layout = context.batches.layout
        let total = context.batches.totalRows
        let count = buckets > 0 ? buckets : max(1, Int((Double(total) * Double(layout.rowBytes) / Double(max(context.memoryBudget, 1))).rounded(.up)))
        var report = MergeReport()
        report.details["buckets"] = String(count)
        let spill = try BucketFiles(dir: context.scratchDir, count: count)
        var global: UInt64 = 0
        var row: [UInt8] = []
        row.reserveCapacity(layout.rowBytes)
        try context.batches.forEachBlock(split: context.split) { _, block in
            report.rowsIn += block.count
            for i in 0..<block.count {
                let b = Int(Self.mix(UInt64(bitPattern: Int64(context.seed)), global) % UInt64(count))
                global += 1
                row.removeAll(keepingCapacity: true)
                block.rowBytes(i, into: &row)
                try spill.append(row, to: b)
            }
        }
        try spill.finish()
        for b in 0..<count {
            var block = RowBlock(layout: layout)
            let bytes = try spill.read(b)
            block.reserve(bytes.count / layout.rowBytes)
            bytes.withUnsafeBytes { raw in
                for off in stride(from: 0, to: raw.count, by: layout.rowBytes) {
                    block.appendRow(bytes: UnsafeRawBufferPointer(rebasing: raw[off..<(off + layout.rowBytes)]))
                }
            }
            var order = Array(0..<block.count)
            var rng = SplitMix64(seed: Self.mix(UInt64(bitPattern: Int64(context.seed)) ^ 0x5348_5546_464C_45, UInt64(b)))
            if order.count > 1 {
                for i in stride(from: order.count - 1, to: 0, by: -1) {
                    order.swapAt(i, Int(rng.next() % UInt64(i + 1)))
                }
            }
            report.rowsOut += block.count
            try emit(block.selecting(order))
            spill.remove(b)
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

/// One scratch file per bucket, written through small buffers.
final class BucketFiles {
    let dir: String
    private var buffers: [[UInt8]]
    private var handles: [FileHandle?]

    init(dir: String, count: Int) throws {
        self.dir = dir
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        buffers = Array(repeating: [], count: count)
        handles = Array(repeating: nil, count: count)
    }

    func path(_ b: Int) -> String { "\(dir)/bucket_\(b).bin" }

    func append(_ row: [UInt8], to b: Int) throws {
        buffers[b].append(contentsOf: row)
        if buffers[b].count >= 1 << 18 { try flush(b) }
    }

    private func flush(_ b: Int) throws {
        guard !buffers[b].isEmpty else { return }
        if handles[b] == nil {
            FileManager.default.createFile(atPath: path(b), contents: nil)
            guard let h = FileHandle(forWritingAtPath: path(b)) else { throw StorageError.io(path: path(b), operation: "create a shuffle bucket", errno: errno) }
            handles[b] = h
        }
        // Foundation's error has no path and reads as a Cocoa code: say which file and why.
        do { try handles[b]!.write(contentsOf: buffers[b]) } catch { throw SystemError.storageError(error, path: path(b), operation: "write a shuffle bucket") }
        buffers[b].removeAll(keepingCapacity: false)
    }

    func finish() throws {
        for b in buffers.indices where handles[b] != nil || !buffers[b].isEmpty {
            if handles[b] == nil && buffers[b].count < 1 << 18 { continue }  // small buckets stay in memory
            try flush(b)
            try handles[b]?.close()
            handles[b] = nil
        }
    }

    func read(_ b: Int) throws -> [UInt8] {
        if !buffers[b].isEmpty { return buffers[b] }
        guard let data = FileManager.default.contents(atPath: path(b)) else { return [] }
        return [UInt8](data)
    }

    func remove(_ b: Int) {
        buffers[b] = []
        try? FileManager.default.removeItem(atPath: path(b))
    }
}
