import QuernConformance
import QuernCore
import QuernKit
import QuernPlugins
import TeamPlugins
import Testing

/// What each plugin promises beyond the shared contracts.
@Suite("Team plugins do what they say")
struct BehaviourTests {
    @Test func pairsGiveDifferenceAndRatio() throws {
        let example = ExtractorConformance.Example(
            extractor: "pairs", options: "pairs: [a/b]\n", csv: "a,b\n6,3\n5,0\n")
        let extractor = try ExtractorConformance.build(PairFeaturesExtractor.self, example)
        let schema = try extractor.schema(columns: ["a", "b"])
        #expect(schema.featureNames == ["a-b", "a/b"])
        let out = try ExtractorConformance.run(
            extractor, schema: schema, columns: ["a", "b"], rows: [["6", "3"], ["5", "0"]])
        #expect(out.batch.features == [3, 2, 5, 0])
        #expect(out.notes == ["a/b: b is 0, ratio set to 0": 1])
    }

    @Test func pairsRefuseBadOptionsBeforeWork() {
        let registry = PluginRegistry(teamPlugins)
        for bad in [["pairs": ConfigValue.scalar("a")], ["pairs": .scalar("a/b"), "label": .scalar("y")], [:]] {
            #expect(throws: (any Error).self, "\(bad)") { _ = try registry.extractor("pairs", bad) }
        }
    }

    /// The first per_class rows of each class in each split, in input order.
    @Test func stratifiedHeadKeepsTheFirstRowsOfEachClassPerSplit() async throws {
        let ws = TempFolder("team-stratified")
        let batches = try await MergeFixture.batches(in: ws.path)
        let input = try MergeFixture.inputRows(batches)
        let strategy = try PluginRegistry(teamPlugins).mergeStrategy(spec: "stratified-head:per_class=2")
        let (rows, report) = try MergeFixture.run(strategy, batches, scratch: "\(ws.path)/s")
        var expected: [[UInt8]] = []
        var seen: [String: Int] = [:]
        for row in input {
            let key = "\(row[0])/\(row[MergeFixture.labelOffset..<(MergeFixture.labelOffset + 4)])"
            if seen[key, default: 0] < 2 {
                seen[key, default: 0] += 1
                expected.append(row)
            }
        }
        let same = rows == expected
        #expect(same)
        #expect(rows.count < input.count, "the fixture has classes with more than 2 rows in a split")
        #expect(report.dropped.values.reduce(0, +) == input.count - rows.count)
    }
}
