import Foundation
import QuernConformance
import QuernCore
import QuernKit
import QuernMergeDedupe
import QuernPlugins
import QuernTestSupport
import Testing

/// Each built-in merge strategy's documented property, on real batch files made by the extract
/// stage from generated `games` data (``MergeFixture``). The contract every strategy keeps is
/// checked for each by the conformance suite (`BuiltInConformanceTests`).
@Suite("Merge strategies", .serialized)
struct MergeStrategyTests {
    static let registry = PluginRegistry.builtIn

    static func makeBatches(_ ws: TempWorkspace, files: Int = 24, duplicates: Int = 0) async throws -> BatchSet {
        try await MergeFixture.batches(in: ws.path, files: files, duplicates: duplicates)
    }

    static func run(
        _ strategy: any MergeStrategy, _ batches: BatchSet, seed: Int = 0, budget: Int = 64 << 20, scratch: String
    ) throws -> (
        [[UInt8]], MergeReport
    ) {
        try MergeFixture.run(strategy, batches, seed: seed, budget: budget, scratch: scratch)
    }

    static func inputRows(_ batches: BatchSet, seed: Int = 0) throws -> [[UInt8]] {
        try run(registry.mergeStrategy(spec: "concat"), batches, seed: seed, scratch: "/tmp").0
    }

    @Test func concatKeepsBatchThenRowOrder() async throws {
        let ws = TempWorkspace()
        let batches = try await Self.makeBatches(ws)
        let expected = try MergeFixture.inputRows(batches)
        let same = try Self.inputRows(batches) == expected
        #expect(same)
        #expect(expected.count == 240)
    }

    @Test func shuffleIsASeededPermutationAlsoWhenItSpills() async throws {
        let ws = TempWorkspace()
        let batches = try await Self.makeBatches(ws)
        let input = try Self.inputRows(batches)
        let shuffle = try Self.registry.mergeStrategy(spec: "shuffle")
        let (inMemory, r1) = try Self.run(shuffle, batches, seed: 1, scratch: "\(ws.path)/a")
        let (spilled, r2) = try Self.run(shuffle, batches, seed: 1, budget: 4096, scratch: "\(ws.path)/b")
        let (other, _) = try Self.run(shuffle, batches, seed: 2, scratch: "\(ws.path)/c")
        #expect(r1.details["buckets"] == "1")
        #expect(Int(r2.details["buckets"] ?? "0")! > 10, "a small memory budget spills into many buckets")
        // Compare contents without the split code (the seed also moves rows between splits).
        func contents(_ rows: [[UInt8]]) -> [[UInt8]] { rows.map { Array($0.dropFirst()) } }
        let sortedInput = contents(input).sorted { $0.lexicographicallyPrecedes($1) }
        for rows in [inMemory, spilled, other] {
            let isPermutation = contents(rows).sorted { $0.lexicographicallyPrecedes($1) } == sortedInput
            let reordered = contents(rows) != contents(input)
            #expect(isPermutation)
            #expect(reordered)
        }
        let differs = contents(inMemory) != contents(other)
        #expect(differs, "another seed, another order")
    }

    /// README and `--help` promise that `--memory-limit` never changes the outputs: the budget (and
    /// the `buckets` option) only decide how much of the shuffle spills, never its order.
    @Test func shuffleOrderDoesNotDependOnTheMemoryBudget() async throws {
        let ws = TempWorkspace()
        let batches = try await Self.makeBatches(ws)
        let shuffle = try Self.registry.mergeStrategy(spec: "shuffle")
        let (inMemory, r1) = try Self.run(shuffle, batches, seed: 4, scratch: "\(ws.path)/a")
        #expect(r1.details["buckets"] == "1")
        for (i, budget) in [4096, 20_000, 1 << 20].enumerated() {
            let (spilled, report) = try Self.run(shuffle, batches, seed: 4, budget: budget, scratch: "\(ws.path)/b\(i)")
            let same = spilled == inMemory
            #expect(same, "budget \(budget) (\(report.details["buckets"] ?? "?") buckets) gives the in-memory order")
        }
        for buckets in [2, 7, 240, 1000] {
            let (rows, _) = try Self.run(
                try Self.registry.mergeStrategy(spec: "shuffle:buckets=\(buckets)"), batches, seed: 4,
                scratch: "\(ws.path)/k\(buckets)")
            let same = rows == inMemory
            #expect(same, "buckets=\(buckets) gives the in-memory order")
        }
    }

    @Test func dedupeDropsExactlyThePlantedDuplicates() async throws {
        let ws = TempWorkspace()
        let batches = try await Self.makeBatches(ws, duplicates: 3)
        let (rows, report) = try Self.run(
            try Self.registry.mergeStrategy(spec: "dedupe"), batches, scratch: "\(ws.path)/s")
        #expect(report.dropped == ["duplicate content": 30])
        #expect(rows.count == 240)
        #expect(Set(rows.map { Array($0.dropFirst()) }).count == rows.count, "no duplicate content remains")
        let (byLabel, r2) = try Self.run(
            try Self.registry.mergeStrategy(spec: "dedupe:keys=action"), batches, scratch: "\(ws.path)/t")
        let labelOffset = MergeFixture.labelOffset
        let distinctLabels = Set(byLabel.map { Array($0[labelOffset..<(labelOffset + 4)]) })
        #expect(byLabel.count == distinctLabels.count)
        #expect(r2.dropped.keys.first?.contains("duplicate key") == true)
        #expect(throws: (any Error).self) {
            try Self.run(try Self.registry.mergeStrategy(spec: "dedupe:keys=acton"), batches, scratch: "\(ws.path)/u")
        }
    }

    /// Dedupe declares its table of 16-byte hashes (``MergeStrategy/stateBytes(rows:partRows:schema:)``)
    /// at the size Swift gives a `Set` of 16-byte elements reserved for that many rows, so the
    /// memory limit counts what the table really takes.
    @Test(arguments: [1_000, 196_608, 196_609, 1_500_000])
    func dedupeDeclaresTheTableSwiftAllocates(_ rows: Int) {
        let buckets = Set<UUID>(minimumCapacity: rows).capacity * 4 / 3
        #expect(buckets.nonzeroBitCount == 1 && buckets > rows)
        #expect(DedupeStrategy.tableBytes(rows: rows) == buckets * MemoryLayout<UUID>.stride + buckets / 8 + 64)
    }

    /// Rewrites batch part `i` with its first row's label (head 0) set to `label`, and its journal
    /// line to match, as a faulty extractor plugin would have written it.
    static func plantLabel(_ label: Int32, in batches: BatchSet, part i: Int) throws -> BatchSet {
        var batch = try batches.load(i)
        batch.labels[0][0] = label
        let e = batches.entries[i]
        let meta = try BatchFile.loadMeta(path: e.path) { try registry.codec(zipMethod: $0) }
        let encoded = try BatchFile.encode(
            batch, name: e.name, schema: batches.schema, fingerprint: SchemaFingerprint(value: meta.fingerprint),
            extractor: meta.extractor,
            codec: try registry.codec(spec: meta.codec), path: e.path)
        try Data(encoded.bytes).write(to: URL(fileURLWithPath: e.path))
        let hex = String(encoded.fileCRC, radix: 16)
        let crc = String(repeating: "0", count: 8 - hex.count) + hex
        let journal = "\(batches.dir)/journal.jsonl"
        let text = try String(contentsOfFile: journal, encoding: .utf8)
        let fixed = text.replacingOccurrences(
            of: "\"bytes\":\(e.bytes),\"crc32\":\"\(e.crc32)\"",
            with: "\"bytes\":\(encoded.bytes.count),\"crc32\":\"\(crc)\"")
        try #require(fixed != text, "the journal line of \(e.name.fileName) was found")
        try fixed.write(toFile: journal, atomically: true, encoding: .utf8)
        return try BatchSet.open(batches.dir, registry: registry)
    }

    @Test(arguments: [Int32(84), -1])
    func balanceRefusesALabelOutsideItsClasses(_ label: Int32) async throws {
        let ws = TempWorkspace()
        let batches = try Self.plantLabel(label, in: try await Self.makeBatches(ws), part: 1)
        for spec in ["balance:per_class=2", "balance:mode=min"] {
            let strategy = try Self.registry.mergeStrategy(spec: spec)
            let error = #expect(throws: PluginError.self) { try Self.run(strategy, batches, scratch: "\(ws.path)/s") }
            let text = error.map { "\($0)" } ?? ""
            #expect(
                text.contains(batches.entries[1].name.fileName) && text.contains("\(label)") && text.contains("0..83"),
                "\(text)")
        }
    }

    @Test func balanceRespectsItsCap() async throws {
        let ws = TempWorkspace()
        let batches = try await Self.makeBatches(ws)
        let input = try Self.inputRows(batches)
        func classes(_ rows: [[UInt8]]) -> [Int32: Int] {
            Dictionary(
                rows.map { r in
                    (r[(1 + 62 * 4)..<(1 + 62 * 4 + 4)].withUnsafeBytes { $0.loadUnaligned(as: Int32.self) }, 1)
                }, uniquingKeysWith: +)
        }
        let before = classes(input)
        let (capped, report) = try Self.run(
            try Self.registry.mergeStrategy(spec: "balance:per_class=2"), batches, seed: 9, scratch: "\(ws.path)/s")
        let after = classes(capped)
        for (k, n) in before { #expect(after[k] == min(n, 2)) }
        #expect(report.dropped.values.reduce(0, +) == input.count - capped.count)
        let (evened, _) = try Self.run(
            try Self.registry.mergeStrategy(spec: "balance:mode=min"), batches, scratch: "\(ws.path)/t")
        #expect(Set(classes(evened).values) == [before.values.min()!])
    }
}
