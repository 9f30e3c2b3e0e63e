public import QuernKit

/// Features derived from pairs of numeric columns: for each pair `a/b`, the difference `a-b` and
/// the ratio `a/b` (0 where `b` is 0, counted in the notes). Optionally one label column of
/// integer classes and a group column, as the `tabular` extractor has them.
///
/// ```yaml
/// extractor:
///   name: pairs
///   pairs: [price/cost, f00/f01]
///   label: action        # optional, with classes
///   classes: 84
///   group: game_id       # optional: rows of a group stay in one split
/// ```
public struct PairFeaturesExtractor: Extractor, ExtractorPlugin {
    public static let name = "pairs"
    public static let summary =
        "difference and ratio of pairs of numeric columns (a/b gives a-b and a/b), with an optional label and group"
    public static let options = [
        OptionSpec(
            "pairs", .stringList, required: true, help: "column pairs as a/b: each gives the features a-b and a/b"),
        OptionSpec("label", .string, help: "column of integer class labels 0..classes-1 (optional)"),
        OptionSpec("classes", .int(1...1_000_000), help: "number of classes of the label (required with label)"),
        OptionSpec("group", .string, help: "column whose rows stay in one split (optional)"),
    ]

    public static func make(_ options: PluginOptions) throws -> any Extractor {
        var pairs: [(String, String)] = []
        for text in options.stringList("pairs") ?? [] {
            let parts = text.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
            guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
                throw PluginError.invalidOptions("pairs: '\(text)' is not a pair of columns written a/b (price/cost)")
            }
            pairs.append((parts[0], parts[1]))
        }
        guard !pairs.isEmpty else {
            throw PluginError.invalidOptions("pairs: give at least one pair of columns, as [price/cost]")
        }
        let label = options.string("label")
        let classes = options.int("classes")
        if label != nil && classes == nil {
            throw PluginError.invalidOptions("label '\(label!)' needs classes: N (its labels are 0..N-1)")
        }
        if label == nil && classes != nil {
            throw PluginError.invalidOptions("classes is given without a label column")
        }
        return PairFeaturesExtractor(pairs: pairs, label: label, classes: classes ?? 0, group: options.string("group"))
    }

    public let pairs: [(String, String)]
    public let label: String?
    public let classes: Int
    public let group: String?
    public var name: String { Self.name }

    public var optionsText: String {
        "pairs=\(pairs.map { "\($0.0)/\($0.1)" }.joined(separator: ","));label=\(label ?? "");classes=\(classes);group=\(group ?? "")"
    }

    public func schema(columns: [String]) throws -> FeatureSchema {
        FeatureSchema(
            features: pairs.flatMap {
                [.init("\($0.0)-\($0.1)", normalized: true), .init("\($0.0)/\($0.1)", normalized: true)]
            },
            labels: label.map { [.init(name: $0, classes: classes)] } ?? [],
            masks: [], hasGroups: group != nil)
    }

    public func bind(columns: [String], schema: FeatureSchema, missing: MissingValues) throws -> any BoundExtractor {
        func index(_ name: String, _ role: String) throws -> Int {
            guard let i = columns.firstIndex(of: name) else {
                throw ExtractorError.missingColumn(name: name, role: role, columns: columns)
            }
            return i
        }
        return BoundPairs(
            pairs: try pairs.map { (try index($0.0, "pair"), try index($0.1, "pair")) }, names: pairs,
            label: try label.map { try index($0, "label") }, labelName: label ?? "", classes: classes,
            group: try group.map { try index($0, "group") }, missing: missing, features: schema.features.count)
    }
}

/// The extractor bound to one file's column positions.
struct BoundPairs: BoundExtractor {
    let pairs: [(Int, Int)]
    let names: [(String, String)]
    let label: Int?
    let labelName: String
    let classes: Int
    let group: Int?
    let missing: MissingValues
    var row: [Float]
    var notes: [String: Int] = [:]

    init(
        pairs: [(Int, Int)], names: [(String, String)], label: Int?, labelName: String, classes: Int, group: Int?,
        missing: MissingValues, features: Int
    ) {
        self.pairs = pairs
        self.names = names
        self.label = label
        self.labelName = labelName
        self.classes = classes
        self.group = group
        self.missing = missing
        row = [Float](repeating: 0, count: features)
    }

    mutating func extract(_ record: Record, into batch: inout RowBatch) throws(RowError) -> RowOutcome {
        var y: [Int32] = []
        if let label {
            let cell = record.field(label)
            if missing.isMissing(cell) { return .skipped("label '\(labelName)' missing") }
            guard let v = NumberParsing.int(cell) else {
                throw RowError(column: labelName, "\(RowError.shown(cell)) is not an integer class")
            }
            guard v >= 0 && v < classes else { return .skipped("label '\(labelName)' outside 0..\(classes - 1)") }
            y.append(Int32(v))
        }
        for (k, (ia, ib)) in pairs.enumerated() {
            let (na, nb) = names[k]
            guard let a = try number(record, ia, na), let b = try number(record, ib, nb) else {
                return .skipped("pair \(na)/\(nb): a value is missing")
            }
            var ratio = 0.0
            if b == 0 { notes["\(na)/\(nb): \(nb) is 0, ratio set to 0", default: 0] += 1 } else { ratio = a / b }
            for (j, (value, what)) in [(a - b, "\(na)-\(nb)"), (ratio, "\(na)/\(nb)")].enumerated() {
                let f = Float(value)
                guard f.isFinite else { throw RowError(column: nb, "\(what) is \(value), which float32 cannot hold") }
                row[2 * k + j] = f
            }
        }
        let groupCell = group.map { record.field($0) } ?? UnsafeBufferPointer(start: nil, count: 0)
        y.withUnsafeBufferPointer { labels in
            row.withUnsafeBufferPointer { features in
                batch.append(features: features, labels: labels, masks: [], group: groupCell, line: record.line)
            }
        }
        return .kept
    }

    /// Cell `i` as a number; nil when it is missing; an error naming the column when it is not a number.
    func number(_ record: Record, _ i: Int, _ column: String) throws(RowError) -> Double? {
        let cell = record.field(i)
        if missing.isMissing(cell) { return nil }
        guard let v = NumberParsing.double(cell), v.isFinite else {
            throw RowError(column: column, "\(RowError.shown(cell)) is not a number")
        }
        return v
    }
}
