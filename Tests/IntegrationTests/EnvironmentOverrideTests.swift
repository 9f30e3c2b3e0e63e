import Foundation
import QuernCore
import QuernTestSupport
import Testing

/// `QUERN_<SECTION>_<KEY>` settings: flags > environment > config file > defaults, errors naming
/// the variable, unknown setting-like names refused, quern's own variables left alone.
@Suite("Environment overrides", .serialized)
struct EnvironmentOverrideTests {
    static let config = ExtractEndToEndTests.config

    func batches() throws -> TempWorkspace {
        let ws = TempWorkspace("quern-env")
        #expect(
            try QuernProcess.run(["generate", "--files", "8", "--rows", "20", "--out", "\(ws.path)/in"]).status == 0)
        #expect(
            try QuernProcess.run(["extract", "--config", Self.config, "--input-dir", "in", "-q"], cwd: ws.path).status
                == 0)
        return ws
    }

    func strategy(_ ws: TempWorkspace, _ output: String) throws -> String? {
        let stats =
            try JSONSerialization.jsonObject(with: Data(ws.text("\(output)/preprocessing_stats.json").utf8))
            as? [String: Any]
        return (stats?["merge"] as? [String: Any])?["strategy"] as? String
    }

    @Test func environmentBeatsTheFileAndFlagsBeatTheEnvironment() throws {
        let ws = try batches()
        let file = ws.write(
            "dedupe.yaml", try String(contentsOfFile: Self.config, encoding: .utf8) + "\nmerge:\n  strategy: dedupe\n")
        var r = try QuernProcess.run(["merge", "--config", file, "--output-dir", "fromfile", "-q"], cwd: ws.path)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(try strategy(ws, "fromfile") == "dedupe")
        r = try QuernProcess.run(
            ["merge", "--config", file, "--output-dir", "fromenv", "-q"], cwd: ws.path,
            env: ["QUERN_MERGE_STRATEGY": "shuffle"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(try strategy(ws, "fromenv") == "shuffle")
        r = try QuernProcess.run(
            ["merge", "--config", file, "--output-dir", "fromflag", "--merge-strategy", "concat", "-q"], cwd: ws.path,
            env: ["QUERN_MERGE_STRATEGY": "shuffle"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(try strategy(ws, "fromflag") == "concat")
    }

    @Test func aBadValueNamesItsVariable() throws {
        let ws = try batches()
        let r = try QuernProcess.run(
            ["merge", "--config", Self.config, "-q"], cwd: ws.path,
            env: ["QUERN_MERGE_STRATEGY": "x", "QUERN_BATCH_FILES_PER_BATCH": "-3"])
        #expect(r.status == 64)
        #expect(
            r.stderr.contains("error: merge.strategy 'x' (from QUERN_MERGE_STRATEGY): unknown merge 'x'"), "\(r.stderr)"
        )
        #expect(r.stderr.contains("batch.files_per_batch '-3' (from QUERN_BATCH_FILES_PER_BATCH)"), "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: "\(ws.path)/data/processed"))
    }

    @Test func anUnknownSettingLikeNameIsRefusedWithTheValidOnes() throws {
        let ws = try batches()
        let r = try QuernProcess.run(
            ["merge", "--config", Self.config, "-q"], cwd: ws.path, env: ["QUERN_MERGE_STRATEGYY": "shuffle"])
        #expect(r.status == 64)
        #expect(
            r.stderr.contains(
                "environment variable QUERN_MERGE_STRATEGYY is not a setting. Did you mean QUERN_MERGE_STRATEGY?"),
            "\(r.stderr)")
        #expect(r.stderr.contains("QUERN_BATCH_CODEC") && r.stderr.contains("QUERN_SPLIT_FRACTIONS"), "\(r.stderr)")
    }

    @Test func quernsOwnVariablesAreNotSettings() throws {
        let ws = try batches()
        // Variables quern gives hooks and children, and other QUERN_ names that are no section.
        let own = [
            "QUERN_INPUT_DIR": "/nowhere", "QUERN_BATCH_FILE": "/nowhere/b.zip", "QUERN_SLURM_SCRIPT": "/x.sh",
            "QUERN_MIN_FREE_GB": "5",
            "QUERN_STAGE": "merge",
        ]
        var r = try QuernProcess.run(
            ["merge", "--config", Self.config, "--output-dir", "a", "-q"], cwd: ws.path, env: own)
        #expect(r.status == 0, "\(r.stderr)")
        // Inside a hook QUERN_MERGE_STRATEGY describes the quern running the hook, not a setting.
        r = try QuernProcess.run(
            ["merge", "--config", Self.config, "--output-dir", "b", "-q"], cwd: ws.path,
            env: ["QUERN_HOOK": "post-extract", "QUERN_MERGE_STRATEGY": "x"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(try strategy(ws, "b") == "concat")
    }

    /// Every variable quern sets for hooks either is listed as quern's own or names no setting
    /// section, so a quern started from a hook never mistakes it for a setting.
    @Test func everyHookVariableIsKnownNotToBeASetting() throws {
        let source = try String(
            contentsOfFile: "\(DocsTests.root)/Sources/QuernCore/Hooks/HookObserver.swift", encoding: .utf8)
        let names = Set(source.matches(of: /"(QUERN_[A-Z_]+)"/).map { String($0.1) })
        #expect(names.contains("QUERN_INPUT_DIR") && names.count > 10)
        let sections = [
            "PATHS", "INPUT", "EXTRACT", "EXTRACTOR", "BATCH", "MERGE", "SPLIT", "HOOKS", "NORMALIZE", "SLURM",
        ]
        let r = try QuernProcess.run(
            ["validate", "--config-only", "--config", ExtractEndToEndTests.config],
            env: Dictionary(uniqueKeysWithValues: names.map { ($0, "/x") }).merging(["QUERN_HOOK": "pre-merge"]) { $1 })
        #expect(r.status == 0, "\(r.stderr)")
        #expect(names.contains { n in sections.contains { n.hasPrefix("QUERN_\($0)_") } }, "some look like settings")
    }

    /// Each dataset of `run --datasets` gets its own folders under the environment's, which its
    /// own run must not override with the environment again.
    @Test func datasetsKeepTheirOwnFoldersUnderEnvironmentPaths() throws {
        let ws = TempWorkspace("quern-env-datasets")
        #expect(
            try QuernProcess.run(["generate", "--files", "4", "--rows", "10", "--out", "\(ws.path)/many/alpha"]).status
                == 0)
        #expect(
            try QuernProcess.run([
                "generate", "--files", "3", "--rows", "10", "--seed", "2", "--out", "\(ws.path)/many/beta",
            ]).status == 0)
        let env = [
            "QUERN_PATHS_INTERMEDIATE": "work/batches", "QUERN_PATHS_OUTPUT": "work/out",
            "QUERN_MERGE_STRATEGY": "shuffle",
        ]
        let r = try QuernProcess.run(
            ["run", "--config", Self.config, "--datasets", "many", "-q"], cwd: ws.path, env: env)
        #expect(r.status == 0, "\(r.stderr)")
        for name in ["alpha", "beta"] {
            #expect(FileManager.default.fileExists(atPath: "\(ws.path)/work/batches/\(name)/journal.jsonl"), "\(name)")
            #expect(try strategy(ws, "work/out/\(name)") == "shuffle", "\(name)")
            #expect(FileManager.default.fileExists(atPath: "\(ws.path)/work/logs/\(name)/summary.json"), "\(name)")
        }
    }
}
