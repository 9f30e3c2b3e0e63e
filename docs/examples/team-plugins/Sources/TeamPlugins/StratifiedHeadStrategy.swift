public import QuernKit

/// Keeps the first `per_class` rows of each class of a label head in each split (train, val,
/// test), in input order, and drops the rest: a small, class-stratified cut of a big dataset for
/// a smoke-test training run, with every class present in every split that had it.
///
/// `--merge-strategy stratified-head:per_class=50` (or `head=NAME` for another label head than
/// the first). Memory: one counter per split and class; rows stream through, one batch at a time.
public struct StratifiedHeadStrategy: MergeStrategy, MergePlugin {
    public static let name = "stratified-head"
    public static let summary =
        "keeps the first per_class rows of each class in each split, in input order (a small stratified cut)"
    public static let options = [
        OptionSpec("per_class", .int(1...Int.max), required: true, help: "rows kept per class in each split"),
        OptionSpec("head", .string, help: "label head whose classes count (default: the first)"),
    ]

    public static func make(_ options: PluginOptions) throws -> any MergeStrategy {
        StratifiedHeadStrategy(perClass: options.int("per_class") ?? 1, head: options.string("head"))
    }

    public let perClass: Int
    public let head: String?
    public var name: String { Self.name }
    public var optionsText: String { "per_class=\(perClass),head=\(head ?? "")" }

    /// One counter per split and class, and the copy of each block's kept rows
    /// (`RowBlock.selectionBytes`): nothing grows with the rows.
    public func stateBytes(rows: Int, partRows: Int, schema: FeatureSchema) -> Int {
        let classes = schema.labels.first { $0.name == head }?.classes ?? schema.labels.first?.classes ?? 0
        return 3 * classes * MemoryLayout<Int>.stride
            + RowBlock.selectionBytes(partRows: partRows, layout: RowLayout(schema: schema))
    }

    public func merge(_ context: MergeContext, emit: (RowBlock) throws -> Void) throws -> MergeReport {
        let labels = context.batches.schema.labels
        guard !labels.isEmpty else {
            throw StratifiedHeadError(
                "the batches have no label head: stratified-head needs one (give the extractor a label)")
        }
        let h: Int
        if let head {
            guard let i = labels.firstIndex(where: { $0.name == head }) else {
                throw StratifiedHeadError(
                    "head '\(head)' is not a label head of the batches; the heads are \(labels.map(\.name).joined(separator: ", "))"
                )
            }
            h = i
        } else {
            h = 0
        }
        let classes = labels[h].classes
        var seen = [[Int]](repeating: [Int](repeating: 0, count: classes), count: 3)
        var report = MergeReport()
        try context.batches.forEachBlock(split: context.split) { b, block in
            report.rowsIn += block.count
            var kept: [Int] = []
            for i in 0..<block.count {
                let y = Int(block.labels[h][i])
                guard y >= 0 && y < classes else {
                    throw StratifiedHeadError(
                        "\(context.batches.batchDescription(b)) holds label \(y) for head '\(labels[h].name)', outside 0..\(classes - 1): redo the batches with a fixed extractor (`quern extract --restart`)"
                    )
                }
                let s = Int(block.split[i])
                if seen[s][y] < perClass {
                    seen[s][y] += 1
                    kept.append(i)
                } else {
                    report.dropped["class beyond the first \(perClass) of its split", default: 0] += 1
                }
            }
            report.rowsOut += kept.count
            try emit(block.selecting(kept))
        }
        report.details["head"] = labels[h].name
        report.details["classes_kept"] = String(seen.reduce(0) { $0 + $1.filter { $0 > 0 }.count })
        return report
    }
}

/// Why stratified-head cannot merge these batches, and what to do.
public struct StratifiedHeadError: Error, CustomStringConvertible {
    public var description: String
    init(_ text: String) { description = "stratified-head: " + text }
}
