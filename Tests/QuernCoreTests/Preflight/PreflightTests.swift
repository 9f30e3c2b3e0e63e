import Foundation
import QuernCore
import QuernKit
import QuernPlugins
import QuernTestSupport
import Testing

/// Pre-flight lists every problem at once, each with where it is and what to do.
@Suite("Pre-flight")
struct PreflightTests {
    func problems(_ yaml: String, stages: Preflight.Stages = .all, in ws: TempWorkspace) throws -> [String] {
        let config = try YAMLLoader.parse(yaml, path: "\(ws.path)/q.yaml")
        return Preflight(config: config, registry: .builtIn, stages: stages).run().errors.map(\.description)
    }

    @Test func reportsEveryPlantedProblemAtOnce() throws {
        let ws = TempWorkspace("quern-preflight")
        ws.write("out", "a file where a folder should be")
        let yaml = """
            paths:
              input: \(ws.path)/missing
              output: \(ws.path)/out/processed
            batch:
              codec: zstdd
              files_per_batch: many
            extractor:
              name: tabular
              numeric: ["f*"]
              labels:
                action: {column: action, classes: 84}
              masks:
                legal: {column: legal, width: 0}
                other: {column: other, width: 4, label: actoin}
            split:
              fractions: [0.5, 0.3, 0.3]
              sede: 3
            normalize:
              method: zscore
            merge:
              strategy: balance
              options: {head: actoin}
            """
        let found = try problems(yaml, in: ws)
        let all = found.joined(separator: "\n")
        #expect(found.count >= 10, "\(all)")
        // Unknown key, with where it is and the nearest valid key.
        #expect(
            found.contains {
                $0.contains("q.yaml:17:3: error: unknown key 'sede'") && $0.contains("Did you mean 'seed'")
            }, "\(all)")
        #expect(
            found.contains {
                $0.contains("q.yaml:6:") && $0.contains("batch.files_per_batch") && $0.contains("an integer")
            }, "\(all)")
        #expect(
            found.contains { $0.contains("q.yaml:16:") && $0.contains("split.fractions") && $0.contains("sum to 1") },
            "\(all)")
        #expect(found.contains { $0.contains("normalize.method") && $0.contains("standard, minmax or none") }, "\(all)")
        #expect(found.contains { $0.contains("masks.legal") && $0.contains("width") }, "\(all)")
        #expect(found.contains { $0.contains("masks.other.label") && $0.contains("no label head 'actoin'") }, "\(all)")
        #expect(
            found.contains {
                $0.contains("q.yaml:22:") && $0.contains("no label head 'actoin' (did you mean action?)")
            }, "\(all)")
        #expect(
            found.contains {
                $0.contains("q.yaml:5:10: error: unknown codec 'zstdd'") && $0.contains("Did you mean 'zstd'")
            }, "\(all)")
        #expect(
            found.contains {
                $0.contains("input folder \(ws.path)/missing does not exist") && $0.contains("--input-dir")
            }, "\(all)")
        #expect(
            found.contains {
                $0.contains("\(ws.path)/out/processed") && $0.contains("is a file") && $0.contains("--output-dir")
            }, "\(all)")
    }

    @Test func aCleanConfigHasNoProblems() throws {
        let ws = TempWorkspace("quern-preflight")
        try GamesGenerator(seed: 1, rows: 5).write(files: 3, to: "\(ws.path)/in")
        let yaml = try String(contentsOfFile: ExtractEndToEndPaths.gamesConfig, encoding: .utf8)
            .replacingOccurrences(of: "input: data/input", with: "input: \(ws.path)/in")
            .replacingOccurrences(of: "data/intermediate", with: "\(ws.path)/int").replacingOccurrences(
                of: "data/processed", with: "\(ws.path)/out")
        let config = try YAMLLoader.parse(yaml, path: "games.yaml")
        let report = Preflight(config: config, registry: .builtIn, logDir: "\(ws.path)/logs").run()
        #expect(report.problems.isEmpty, "\(report.problems)")
        #expect(report.plan.inputFiles.count == 3)
        #expect(report.plan.batches == 1)
        #expect(report.plan.estimatedBytes > 0)
    }

    @Test func tooLittleFreeDiskIsAProblemWithWhatToDo() throws {
        let ws = TempWorkspace("quern-preflight")
        try GamesGenerator(seed: 1, rows: 50).write(files: 4, to: "\(ws.path)/in")
        let config = try YAMLLoader.parse(
            "paths: {input: \(ws.path)/in, intermediate: \(ws.path)/int}\nextractor: {name: tabular, numeric: [turn]}\n",
            path: "q.yaml")
        var check = Preflight(config: config, registry: .builtIn)
        check.freeSpace = { _ in 10_000 }
        let report = check.run()
        #expect(report.plan.estimatedBytes > 10_000)
        let disk = try #require(report.errors.first { $0.area == "disk" }, "\(report.problems)")
        #expect(disk.message.contains("only 9.8 KiB is free") && disk.message.contains("--intermediate-dir"))
        check.freeSpace = { _ in 1 << 40 }
        #expect(check.run().problems.isEmpty)
    }

    @Test func mergeOnlyNeedsBatches() throws {
        let ws = TempWorkspace("quern-preflight")
        let found = try problems("paths: {intermediate: \(ws.path)/nothing-here}\n", stages: .merge, in: ws)
        #expect(found.count == 1)
        #expect(found.first?.contains("holds no batches") == true && found.first?.contains("quern extract") == true)
    }

    @Test(arguments: [
        (
            "batch:\n  codec: [zstd\n",
            "bad.yaml:3:1: error: invalid YAML: while parsing a flow sequence: did not find expected ',' or ']'"
        ),
        (
            "batch:\n\tcodec: zstd\n",
            "bad.yaml:2:1: error: invalid YAML: while scanning for the next token: found character that cannot start any token (YAML indents with spaces only"
        ),
        (
            "batch: {codec: zstd}\nsplit: {seed: 1}\nbatch: {codec: lz4}\n",
            "bad.yaml:3:1: error: key 'batch' is written twice in the same map: keep one of them."
        ),
        (
            "extractor:\n  name: tabular\n  numeric: [a]\n  numeric: [b]\n",
            "bad.yaml:4:3: error: key 'numeric' is written twice"
        ),
    ])
    func yamlErrorsSayWhereAndWhatWasExpected(_ text: String, _ expected: String) {
        do {
            _ = try YAMLLoader.parse(text, path: "bad.yaml")
            Issue.record("parsed: \(text)")
        } catch {
            #expect("\(error)".hasPrefix(expected), "\(error)")
        }
    }

    @Test func yamlErrorsGiveFileLineAndColumn() {
        #expect(throws: ConfigError.self) { try YAMLLoader.parse("batch:\n  codec: [zstd\n", path: "bad.yaml") }
        do {
            _ = try YAMLLoader.parse("batch:\n  codec: [zstd\n", path: "bad.yaml")
        } catch {
            #expect("\(error)".hasPrefix("bad.yaml:"))
            #expect("\(error)".contains(": error: invalid YAML"))
        }
    }
}

enum ExtractEndToEndPaths {
    static let gamesConfig = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("docs/examples/games.yaml").path
}
