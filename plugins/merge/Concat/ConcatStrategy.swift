public import QuernKit

/// Batch order, then row order: the rows exactly as extract wrote them.
public struct ConcatStrategy: MergeStrategy, MergePlugin {
    public static let name = "concat"
    public static let summary = "every row, in batch order then row order (the default)"
    public static let options: [OptionSpec] = []

    public static func make(_ options: PluginOptions) throws -> any MergeStrategy { ConcatStrategy() }

    public init() {}
    public var name: String { Self.name }
    public var optionsText: String { "" }
    /// Nothing: every block goes out as it came in.
    public func stateBytes(rows: Int, partRows: Int, schema: FeatureSchema) -> Int { 0 }

    public func merge(_ context: MergeContext, emit: (RowBlock) throws -> Void) throws -> MergeReport {
        var report = MergeReport()
        try context.batches.forEachBlock(split: context.split) { _, block in
            report.rowsIn += block.count
            report.rowsOut += block.count
            try emit(block)
        }
        return report
    }
}
