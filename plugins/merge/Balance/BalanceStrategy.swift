public import QuernKit

/// Caps or down-samples the rows of each class of one label head, seeded. Two passes: count the
/// classes, then keep exactly the target number of each class, chosen uniformly at random by
/// selection sampling (Knuth's algorithm S), in batch order.
public struct BalanceStrategy: MergeStrategy, MergePlugin {
    public static let name = "balance"
    public static let summary =
        "caps rows per class of a label head (per_class=N), or down-samples every class to the smallest (the default)"
    public static let options = [
        OptionSpec("head", .string, help: "label head to balance (default: the first)"),
        OptionSpec("per_class", .int(1...Int.max), help: "keep at most this many rows of each class"),
        OptionSpec(
            "mode", .choice(["cap", "min"]),
            help:
                "cap: at most per_class per class (the default when per_class is given); min: every class down to the smallest one's count (the default otherwise)"
        ),
    ]

    public static func make(_ options: PluginOptions) throws -> any MergeStrategy {
        let cap = options.int("per_class")
        let mode = options.string("mode") ?? (cap == nil ? "min" : "cap")
        if mode == "cap" && cap == nil {
            throw PluginError.invalidOptions(
                "balance needs per_class=N (at most N rows per class), or mode=min (down-sample every class to the smallest)."
            )
        }
        return BalanceStrategy(head: options.string("head"), headMark: options["head"]?.mark, perClass: cap, mode: mode)
    }

    public let head: String?
    /// Where `head` was written, for the error when the extractor makes no such head.
    let headMark: SourceMark?
    public let perClass: Int?
    public let mode: String
    public var name: String { Self.name }
    public var optionsText: String {
        ["head=\(head ?? "")", "per_class=\(perClass.map(String.init) ?? "")", "mode=\(mode)"].joined(separator: ",")
    }

    /// A `head` must name one of the extractor's label heads: refused before any work, at its
    /// position, with the nearest head.
    public func check(labelHeads: [String]) throws {
        guard let head, !labelHeads.contains(head) else { return }
        let hint = closest(to: head, in: labelHeads).map { " (did you mean \($0)?)" } ?? ""
        guard !labelHeads.isEmpty else {
            throw ConfigError.invalid(
                at: headMark, key: "merge.options.head",
                reason: "no label head '\(head)': the extractor makes none. Add the head under extractor.labels.")
        }
        throw ConfigError.invalid(
            at: headMark, key: "merge.options.head",
            reason:
                "no label head '\(head)'\(hint); the extractor's label heads: \(labelHeads.joined(separator: ", ")). Name one of them, or add the head under extractor.labels."
        )
    }

    /// Per class of the head: its count, target, still needed, still to come and a generator;
    /// per block, the copies of its kept rows (``RowBlock/selectionBytes(partRows:layout:)``).
    /// Nothing grows with the rows.
    public func stateBytes(rows: Int, partRows: Int, schema: FeatureSchema) -> Int {
        let classes = schema.labels.first { $0.name == head }?.classes ?? schema.labels.first?.classes ?? 0
        return classes * 5 * MemoryLayout<Int>.stride
            + RowBlock.selectionBytes(partRows: partRows, layout: RowLayout(schema: schema))
    }

    public func merge(_ context: MergeContext, emit: (RowBlock) throws -> Void) throws -> MergeReport {
        let schema = context.batches.schema
        guard !schema.labels.isEmpty else {
            throw PluginError.invalidOptions("balance needs a label head, and this schema has none.")
        }
        let h: Int
        if let head {
            guard let i = schema.labels.firstIndex(where: { $0.name == head }) else {
                throw PluginError.invalidOptions(
                    "balance: no label head '\(head)'; the heads are \(schema.labels.map(\.name).joined(separator: ", "))."
                )
            }
            h = i
        } else {
            h = 0
        }
        let classes = schema.labels[h].classes
        var counts = [Int](repeating: 0, count: classes)
        for i in 0..<context.batches.batchCount {
            for y in try context.batches.load(i).labels[h] {
                counts[
                    try Self.checked(
                        y, classes: classes, head: schema.labels[h].name, in: context.batches.batchDescription(i))] += 1
            }
        }
        // The counting pass freed its batches on this thread: give them back before the second pass.
        releaseFreeMemory()
        let smallest = counts.filter { $0 > 0 }.min() ?? 0
        let target = counts.map { min($0, mode == "min" ? smallest : (perClass ?? $0)) }
        var need = target
        var remaining = counts
        var rngs = (0..<classes).map {
            SplitMix64(seed: UInt64(bitPattern: Int64(context.seed)) &* 0x9E37_79B9_7F4A_7C15 &+ UInt64($0))
        }
        var report = MergeReport()
        let reason = mode == "min" ? "class above the smallest class's count" : "class over the per-class cap"
        try context.batches.forEachBlock(split: context.split) { b, block in
            report.rowsIn += block.count
            let batch = context.batches.batchDescription(b)
            var kept: [Int] = []
            for i in 0..<block.count {
                let y = try Self.checked(block.labels[h][i], classes: classes, head: schema.labels[h].name, in: batch)
                let take = Double(remaining[y]) * rngs[y].unit() < Double(need[y])
                remaining[y] -= 1
                if take {
                    need[y] -= 1
                    kept.append(i)
                } else {
                    report.dropped[reason, default: 0] += 1
                }
            }
            report.rowsOut += kept.count
            try emit(block.selecting(kept))
        }
        report.details["head"] = schema.labels[h].name
        report.details["target_per_class"] = mode == "min" ? String(smallest) : String(perClass ?? 0)
        return report
    }

    /// A row's label as an index into the per-class counters. The extractors keep labels inside
    /// 0..<classes, but a batch is data from disk (a plugin's extractor may be faulty): a label
    /// outside is refused with the batch file named, never used as an index.
    static func checked(_ y: Int32, classes: Int, head: String, in batch: String) throws -> Int {
        guard y >= 0 && Int(y) < classes else {
            throw PluginError.badData(
                "balance: \(batch) holds the label \(y) for head '\(head)', outside its classes 0..\(classes - 1): the extractor that wrote it is faulty or the file was changed. Fix the extractor and redo the batches with `quern extract --restart`."
            )
        }
        return Int(y)
    }
}
