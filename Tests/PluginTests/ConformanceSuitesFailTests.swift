import QuernConformance
import QuernCore
import QuernKit
import Testing

/// The suites fail a plugin that breaks its contract: a codec that loses a byte, a strategy that
/// emits a row twice and miscounts. (A suite that passes everything would check nothing.)
@Suite("Conformance suites catch broken plugins")
struct ConformanceSuitesFailTests {
    @Test func aCodecThatLosesAByteFails() throws {
        let c = try #require(CodecConformance.cases(in: [LossyCodec.self]).first)
        withKnownIssue { try CodecConformance.check(c) }
    }

    @Test func aStrategyThatRepeatsARowFails() async throws {
        let c = try #require(MergeStrategyConformance.cases(in: [RepeatingStrategy.self]).first)
        await withKnownIssue { try await MergeStrategyConformance.check(c) }
    }

    @Test func aTableWithTwoPluginsOfOneNameFails() {
        withKnownIssue { PluginConformance.checkTable([LossyCodec.self, LossyCodec.self]) }
    }

    @Test func anExtractorThatFailsARecordAfterAppendingARowFails() throws {
        let c = try #require(
            ExtractorConformance.cases(
                in: [HalfFailingExtractor.self],
                examples: [.init(extractor: "half-failing", options: "", csv: "x\n1\n2\n3\n")]
            ).first)
        withKnownIssue { try ExtractorConformance.check(c) }
    }

    @Test func aFormatWithoutASampleFails() throws {
        withKnownIssue {
            try InputFormatConformance.check(InputFormatConformance.cases(in: [NoSampleFormat.self], samples: [])[0])
        }
    }
}

/// Stores bytes, but drops the last one on the way back.
struct LossyCodec: Codec, CodecPlugin {
    static let name = "lossy"
    static let summary = "drops a byte"
    static let options: [OptionSpec] = []
    static let zipMethod: UInt16 = 0
    static let fileExtensions: [String] = []
    static func make(_ options: PluginOptions) throws -> any Codec { LossyCodec() }

    var name: String { Self.name }
    var level: Int? { nil }
    var zipMethod: UInt16 { 0 }
    func compressBound(_ count: Int) -> Int { count }
    func compress(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) throws -> Int {
        output.copyMemory(from: input)
        return input.count
    }
    func decompress(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) throws {
        output.copyMemory(
            from: UnsafeRawBufferPointer(rebasing: input.prefix(max(0, min(input.count, output.count) - 1))))
    }
    func makeStreamDecoder() throws -> (any StreamDecoder)? { nil }
}

/// Emits every block twice and reports only the first time.
struct RepeatingStrategy: MergeStrategy, MergePlugin {
    static let name = "repeat"
    static let summary = "every row twice"
    static let options: [OptionSpec] = []
    static func make(_ options: PluginOptions) throws -> any MergeStrategy { RepeatingStrategy() }

    var name: String { Self.name }
    var optionsText: String { "" }
    func stateBytes(rows: Int, partRows: Int, schema: FeatureSchema) -> Int { 0 }
    func merge(_ context: MergeContext, emit: (RowBlock) throws -> Void) throws -> MergeReport {
        var report = MergeReport()
        try context.batches.forEachBlock(split: context.split) { _, block in
            try emit(block)
            try emit(block)
            report.rowsIn += block.count
            report.rowsOut += block.count
        }
        return report
    }
}

/// A format the suite has no sample of.
struct NoSampleFormat: InputFormatPlugin {
    static let name = "nosample"
    static let summary = "never read"
    static let options: [OptionSpec] = []
    static let fileExtensions = ["nosample"]
    static func make(_ options: PluginOptions) throws -> any InputFormat { fatalError("never built") }
}

/// Appends a row for every record, but says the odd ones failed: a failed record must give no row.
struct HalfFailingExtractor: Extractor, ExtractorPlugin {
    static let name = "half-failing"
    static let summary = "fails records after appending their row"
    static let options: [OptionSpec] = []
    static func make(_ options: PluginOptions) throws -> any Extractor { HalfFailingExtractor() }

    var name: String { Self.name }
    var optionsText: String { "" }
    func schema(columns: [String]) throws -> FeatureSchema {
        FeatureSchema(features: [.init("x", normalized: false)], labels: [], masks: [], hasGroups: false)
    }
    func bind(columns: [String], schema: FeatureSchema, missing: MissingValues) throws -> any BoundExtractor {
        guard columns == ["x"] else { throw ExtractorError.missingColumn(name: "x", role: "feature", columns: columns) }
        return Bound()
    }

    struct Bound: BoundExtractor {
        var notes: [String: Int] = [:]
        mutating func extract(_ record: Record, into batch: inout RowBatch) throws(RowError) -> RowOutcome {
            let row: [Float] = [1]
            row.withUnsafeBufferPointer { r in
                batch.append(
                    features: r, labels: UnsafeBufferPointer(start: nil, count: 0), masks: [],
                    group: UnsafeBufferPointer(start: nil, count: 0), line: record.line)
            }
            return record.line % 2 == 1 ? .failed("odd line") : .kept
        }
    }
}
