import QuernCore
public import QuernKit
public import Testing

/// The contract of ``Extractor`` (see its doc comment), checked for every extractor of a table on
/// an example: its options and a few rows. The schema is a pure function of the options and
/// columns and matches every row emitted (feature count, label heads within their classes, mask
/// widths, output arrays' widths, finite features); a record gives 0..n rows: kept (one or more whole rows), or skipped
/// or failed with a reason and no row; the same input gives
/// the same batch, bit for bit; a file lacking the configured columns is refused at bind time.
///
/// ```swift
/// @Test(arguments: ExtractorConformance.cases(in: teamPlugins, examples: [myExample]))
/// func extractor(_ c: ExtractorConformance.Case) throws { try ExtractorConformance.check(c) }
/// ```
public enum ExtractorConformance {
    /// Options for one extractor and the rows to run it on. Every extractor of the table needs
    /// one (an extractor without an example fails its case, naming what is missing).
    public struct Example: Sendable {
        public var extractor: String
        /// The options as YAML, as under `extractor:` in a config (without `name:`).
        public var options: String
        /// The header, then one line per record: comma-separated, no quoting.
        public var csv: String
        /// Records that must fail the file with a ``RowError`` (a cell that is not a number).
        public var malformed: [String]

        public init(extractor: String, options: String, csv: String, malformed: [String] = []) {
            self.extractor = extractor
            self.options = options
            self.csv = csv
            self.malformed = malformed
        }

        var columns: [String] {
            csv.split(separator: "\n", omittingEmptySubsequences: false).first.map(Self.fields) ?? []
        }
        var rows: [[String]] { csv.split(separator: "\n").dropFirst().map(Self.fields) }
        static func fields(_ line: Substring) -> [String] {
            line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        }
    }

    /// One extractor of a table, with its examples.
    public struct Case: Sendable, CustomTestStringConvertible {
        public let plugin: any ExtractorPlugin.Type
        public let examples: [Example]
        public var testDescription: String { plugin.name }
    }

    /// Every extractor of `table`, each with the examples naming it.
    public static func cases(in table: [any Plugin.Type], examples: [Example]) -> [Case] {
        table.compactMap { $0 as? any ExtractorPlugin.Type }.map { p in
            Case(plugin: p, examples: examples.filter { $0.extractor == p.name })
        }
    }

    /// What one run of an extractor gave.
    public struct Output: Equatable {
        public var batch: RowBatch
        public var skipped: [String: Int]
        public var notes: [String: Int]
        /// Records that gave rows (a record may give several, e.g. a game's positions).
        public var keptRecords: Int = 0
        /// Records that were ``RowOutcome/failed(_:)``, by reason.
        public var failed: [String: Int] = [:]
    }

    public static func check(_ c: Case) throws {
        guard !c.examples.isEmpty else {
            Issue.record(
                "extractor '\(c.plugin.name)' has no example: give one (ExtractorConformance.Example(extractor: \"\(c.plugin.name)\", ...))"
            )
            return
        }
        for example in c.examples {
            let extractor = try build(c.plugin, example)
            let again = try build(c.plugin, example)
            #expect(extractor.name == c.plugin.name, "the extractor says its plugin's name")
            #expect(
                extractor.optionsText == again.optionsText,
                "the same options give the same options text (it is in the schema fingerprint)")
            let schema = try extractor.schema(columns: example.columns)
            #expect(
                try again.schema(columns: example.columns) == schema,
                "the schema is a pure function of the options and columns")
            let out = try run(extractor, schema: schema, columns: example.columns, rows: example.rows)
            matches(out, schema, rows: example.rows.count)
            let repeated = try run(again, schema: schema, columns: example.columns, rows: example.rows)
            #expect(repeated == out, "the same rows give the same batch, skips and notes")
            #expect(out.batch.count > 0, "the example keeps at least one row (else nothing was checked)")
            #expect(throws: (any Error).self, "binding to a file without the configured columns is an error") {
                _ = try extractor.bind(columns: [], schema: schema, missing: MissingValues())
            }
            for line in example.malformed {
                #expect(throws: RowError.self, "a malformed record fails its file: \(line)") {
                    _ = try run(
                        extractor, schema: schema, columns: example.columns, rows: [Example.fields(Substring(line))])
                }
            }
        }
    }

    /// Builds the extractor of `example`, its options checked as the registry checks them.
    public static func build(_ plugin: any ExtractorPlugin.Type, _ example: Example) throws -> any Extractor {
        let tree = try YAMLLoader.parse(
            example.options.isEmpty ? "{}" : example.options, path: "\(example.extractor) example")
        let values = Dictionary(uniqueKeysWithValues: (tree.mapValue ?? []).map { ($0.0, $0.1) })
        return try PluginRegistry([plugin]).extractor(plugin.name, values)
    }

    /// Runs `extractor` over `rows`, as one file named `example.csv` whose header is line 1.
    public static func run(_ extractor: any Extractor, schema: FeatureSchema, columns: [String], rows: [[String]])
        throws -> Output
    {
        var bound = try extractor.bind(columns: columns, schema: schema, missing: MissingValues())
        var batch = RowBatch(schema: schema)
        batch.beginSource("example.csv")
        var skipped: [String: Int] = [:]
        var failed: [String: Int] = [:]
        var keptRecords = 0
        for (i, row) in rows.enumerated() {
            try withRecord(row, line: i + 2) { record in
                let before = batch.count
                switch try bound.extract(record, into: &batch) {
                case .kept:
                    keptRecords += 1
                    #expect(batch.count > before, "a kept record appended at least one row (line \(i + 2))")
                case .skipped(let why):
                    skipped[why, default: 0] += 1
                    #expect(batch.count == before, "a skipped record appended no row (line \(i + 2))")
                case .failed(let why):
                    failed[why, default: 0] += 1
                    #expect(batch.count == before, "a failed record appended no row (line \(i + 2))")
                }
            }
        }
        return Output(batch: batch, skipped: skipped, notes: bound.notes, keptRecords: keptRecords, failed: failed)
    }

    /// A ``Record`` holding `fields`, valid inside `body`.
    static func withRecord(_ fields: [String], line: Int, _ body: (Record) throws -> Void) throws {
        let bytes = fields.flatMap { Array($0.utf8) }
        try bytes.withUnsafeBufferPointer { buffer in
            let record = Record()
            record.reset(base: buffer.baseAddress, line: line)
            var start = 0
            for f in fields {
                record.append(start: start, end: start + f.utf8.count)
                start += f.utf8.count
            }
            try body(record)
        }
    }

    /// The batch holds exactly what the schema says, for every kept row.
    static func matches(_ out: Output, _ schema: FeatureSchema, rows: Int) {
        let b = out.batch
        let kept = b.count
        #expect(
            out.keptRecords + out.skipped.values.reduce(0, +) + out.failed.values.reduce(0, +) == rows,
            "every record is kept (0..n rows), skipped or failed with a reason")
        #expect(kept >= out.keptRecords, "each kept record gave at least one row")
        #expect(b.features.count == kept * schema.features.count, "\(schema.features.count) features per kept row")
        let finite = b.features.allSatisfy { $0.isFinite }
        #expect(finite, "every feature is finite")
        #expect(b.labels.count == schema.labels.count, "one label array per label head")
        for (h, head) in schema.labels.enumerated() where h < b.labels.count {
            #expect(b.labels[h].count == kept, "label '\(head.name)': one per kept row")
            #expect(
                b.labels[h].allSatisfy { $0 >= 0 && Int($0) < head.classes },
                "label '\(head.name)' within 0..<\(head.classes)")
        }
        #expect(b.masks.count == schema.masks.count, "one mask array per mask head")
        for (h, head) in schema.masks.enumerated() where h < b.masks.count {
            #expect(b.masks[h].count == kept * head.width, "mask '\(head.name)': \(head.width) values per kept row")
        }
        #expect(b.arrays.count == schema.arrays.count, "one output array per declared array")
        for (h, array) in schema.arrays.enumerated() where h < b.arrays.count {
            #expect(array.problem == nil, "output array '\(array.name)': \(array.problem ?? "")")
            #expect(
                b.arrays[h].count == kept * array.rowBytes,
                "output array '\(array.name)': \(array.width) \(array.dtype.rawValue) values per kept row")
        }
        #expect(b.groupIndex.count == kept && b.sourceRow.count == kept, "a group and a line per kept row")
        #expect(
            b.sourceRow.allSatisfy { $0 >= 2 && $0 <= Int64(rows + 1) }, "each kept row's line is one of the file's")
    }
}
