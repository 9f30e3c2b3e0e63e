import QuernCore
public import QuernKit
import QuernTestSupport
public import Testing

/// The contract of ``MergeStrategy`` (see its doc comment), checked for every strategy of a table
/// on real batch files (``MergeFixture``, with planted duplicate rows): every row it emits is an
/// input row, byte-identical, at most as often as it was given; the same seed gives the same rows
/// in the same order; the memory budget never changes the output; the report counts rows in, rows
/// out and every dropped row by reason. Run twice: on plain rows, and on rows carrying an output
/// array (``MergeFixture/arraysExtractor``), which must stay with its row.
///
/// ```swift
/// @Test(arguments: MergeStrategyConformance.cases(in: teamPlugins, specs: ["stratified-head:per_class=2"]))
/// func strategy(_ c: MergeStrategyConformance.Case) async throws { try await MergeStrategyConformance.check(c) }
/// ```
public enum MergeStrategyConformance {
    /// One strategy at one set of options.
    public struct Case: Sendable, CustomTestStringConvertible {
        public let plugin: any MergePlugin.Type
        /// `name` or `name:key=value`, as `--merge-strategy` takes it.
        public let spec: String
        public var testDescription: String { spec }
    }

    /// Every strategy of `table` at its defaults (when it has no required option) and at the
    /// `specs` naming it (`balance:per_class=3`). A strategy that cannot be built from its defaults
    /// needs a spec here; its default case then fails, naming what to add.
    public static func cases(in table: [any Plugin.Type], specs: [String] = []) -> [Case] {
        var out: [Case] = []
        for p in table.compactMap({ $0 as? any MergePlugin.Type }) {
            let mine = specs.filter { $0 == p.name || $0.hasPrefix(p.name + ":") }
            let buildsAlone = (try? PluginRegistry([p]).mergeStrategy(p.name)) != nil
            if buildsAlone || mine.isEmpty { out.append(Case(plugin: p, spec: p.name)) }
            out += mine.filter { $0 != p.name }.map { Case(plugin: p, spec: $0) }
        }
        return out
    }

    public static func check(_ c: Case) async throws {
        let strategy: any MergeStrategy
        do {
            strategy = try PluginRegistry([c.plugin]).mergeStrategy(spec: c.spec)
        } catch {
            Issue.record(
                "\(c.spec) does not build (\(error)): give the suite a spec with the options it needs, e.g. \"\(c.plugin.name):key=value\""
            )
            return
        }
        #expect(strategy.name == c.plugin.name, "the strategy says its plugin's name")
        for extractor in [MergeFixture.extractor, MergeFixture.arraysExtractor] {
            try await check(c, strategy, extractor: extractor)
        }
    }

    /// One fixture: rows without output arrays, or with them (they must travel with their rows).
    static func check(_ c: Case, _ strategy: any MergeStrategy, extractor: String) async throws {
        let ws = TempWorkspace("quern-merge-conformance")
        let batches = try await MergeFixture.batches(in: ws.path, duplicates: 3, extractor: extractor)
        let input = try MergeFixture.inputRows(batches, seed: 5)
        let (a, report) = try MergeFixture.run(strategy, batches, seed: 5, scratch: "\(ws.path)/s1")
        let (b, _) = try MergeFixture.run(strategy, batches, seed: 5, scratch: "\(ws.path)/s2")
        let repeatable = a == b
        #expect(repeatable, "\(c.spec): same seed, same rows in the same order")
        var pool = Dictionary(input.map { ($0, 1) }, uniquingKeysWith: +)
        var foreign = 0
        for row in a {
            if (pool[row] ?? 0) > 0 { pool[row, default: 0] -= 1 } else { foreign += 1 }
        }
        #expect(
            foreign == 0,
            "\(c.spec): every emitted row is an input row, unchanged, at most as often as given (\(foreign) are not)")
        #expect(report.rowsIn == input.count, "\(c.spec): rows in")
        #expect(report.rowsOut == a.count, "\(c.spec): rows out")
        #expect(
            report.rowsIn - report.rowsOut == report.dropped.values.reduce(0, +),
            "\(c.spec): every dropped row is counted by reason")
        #expect(report.dropped.values.allSatisfy { $0 > 0 }, "\(c.spec): no reason with a count of zero")
        let (small, _) = try MergeFixture.run(strategy, batches, seed: 5, budget: 4096, scratch: "\(ws.path)/s3")
        let sameUnderBudget = small == a
        #expect(sameUnderBudget, "\(c.spec): a small memory budget changes how it works, never its output")
    }
}
