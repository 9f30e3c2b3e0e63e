import Foundation
public import QuernCore
public import QuernKit
import QuernPlugins
import QuernTestSupport

/// Real batch files to merge: generated `games` data (10 rows per file, 84 action classes,
/// groups, a legal-move mask) extracted by the built-in `tabular` extractor, 5 files per batch.
/// A row is 1 split byte, 62 float32 features, the `action` label (int32, at byte 1 + 62 * 4)
/// and 84 mask bytes.
public enum MergeFixture {
    /// The extractor options of the fixture (those of docs/examples/games.yaml).
    public static let extractor = """
        name: tabular
        numeric: ["f*", turn]
        fill_missing: 0
        categorical:
          current_player: [0, 1, 2, 3]
          num_players: [2, 3, 4]
          phase: [early, mid, late]
          action_type: [take3, take2, reserve, buy, pass]
          color: [white, blue, green, red, black, gold]
        labels:
          action: {column: action, classes: 84}
        masks:
          legal: {column: legal, width: 84, encoding: bitstring, label: action}
        group: game_id
        """

    /// The same games through `rank_genes` (the `f*` columns as genes): rows that carry an output
    /// array (`tokens`, int32 [8]) beside X, so a strategy that moved X without it would emit rows
    /// that are no input row.
    public static let arraysExtractor = """
        name: rank_genes
        genes: ["f*"]
        top_genes: 8
        numeric: [turn]
        labels:
          action: {column: action, classes: 84}
        masks:
          legal: {column: legal, width: 84, encoding: bitstring, label: action}
        group: game_id
        """

    /// Byte offset of the `action` label in a row (after the split byte and 62 features).
    public static let labelOffset = 1 + 62 * 4

    /// The registry the fixture is made and read with: the built-ins.
    public static let registry = PluginRegistry(builtInPlugins)

    /// Batches of `files` games, plus `duplicates` copies of the first files under new names
    /// (their rows are duplicates of others): the inputs in `dir/in`, the batches in `dir/mid`.
    /// `extractor`: the options under `extractor:` (``extractor`` or ``arraysExtractor``).
    public static func batches(in dir: String, files: Int = 24, duplicates: Int = 0, extractor: String = extractor)
        async throws -> BatchSet
    {
        try GamesGenerator(seed: 3, rows: 10).write(files: files, to: "\(dir)/in")
        for k in 0..<duplicates {
            try FileManager.default.copyItem(
                atPath: "\(dir)/in/game_\(String(k).leftPad(6)).csv", toPath: "\(dir)/in/zz_copy_\(k).csv")
        }
        let yaml =
            "paths:\n  input: \(dir)/in\n  intermediate: \(dir)/mid\nbatch:\n  files_per_batch: 5\nextractor:\n"
            + extractor.split(separator: "\n").map { "  " + $0 }.joined(separator: "\n") + "\n"
        let config = try YAMLLoader.parse(yaml, path: "merge fixture")
        let console = Console(quiet: true, isTerminal: false)
        _ = try await ExtractStage(
            plan: try Resolver(registry: registry).plan(config, stages: .extract), registry: registry, console: console
        ).run()
        return try BatchSet.open("\(dir)/mid", registry: registry)
    }

    /// Runs a strategy; returns the emitted rows as bytes (split code + content), in order, and its report.
    public static func run(
        _ strategy: any MergeStrategy, _ batches: BatchSet, seed: Int = 0, budget: Int = 64 << 20, scratch: String
    ) throws -> (
        [[UInt8]], MergeReport
    ) {
        var rows: [[UInt8]] = []
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        let context = MergeContext(
            batches: batches, split: SplitFunction(seed: seed), seed: seed, scratchDir: scratch, memoryBudget: budget)
        let report = try strategy.merge(context) { block in
            for i in 0..<block.count {
                var b: [UInt8] = []
                block.rowBytes(i, into: &b)
                rows.append(b)
            }
        }
        return (rows, report)
    }

    /// Every row of the batches, in batch then row order, as ``run(_:_:seed:budget:scratch:)`` gives them.
    public static func inputRows(_ batches: BatchSet, seed: Int = 0) throws -> [[UInt8]] {
        var rows: [[UInt8]] = []
        let split = SplitFunction(seed: seed)
        for i in batches.entries.indices {
            let block = BatchSet.block(from: try batches.load(i), layout: batches.layout, split: split)
            for r in 0..<block.count {
                var b: [UInt8] = []
                block.rowBytes(r, into: &b)
                rows.append(b)
            }
        }
        return rows
    }
}
