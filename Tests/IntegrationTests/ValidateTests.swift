import Foundation
import QuernCore
import QuernTestSupport
import Testing

/// `quern validate`, and the same pre-flight at the start of run, extract and merge.
@Suite("Validate and pre-flight", .serialized)
struct ValidateTests {
    static let config = ExtractEndToEndTests.config

    static let broken = """
        paths: {input: in}
        batch: {codec: lz5, files_per_batch: 0}
        extractor:
          name: tabular
          numeric: ["f*"]
          labels: {action: {column: action, classes: 84}}
          masks: {legal: {column: legal, width: 0, label: action}}
          colour: red
        split: {fractions: [0.7, 0.2, 0.2]}
        merge: {strategy: shufle}
        """

    @Test func validateReportsEveryPlantedProblemAtOnce() throws {
        let ws = TempWorkspace("quern-validate")
        ws.write("q.yaml", Self.broken)
        let hook = ws.write("hooks/pre-merge", "#!/bin/sh\nexit 0\n")
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: hook)
        let r = try QuernProcess.run(["validate", "--config", "q.yaml", "--strict"], cwd: ws.path)
        #expect(r.status == 1)
        for expected in [
            "q.yaml:2:", "files_per_batch", "unknown codec 'lz5'", "q.yaml:7:", "width: N", "q.yaml:9:", "sum to 1",
            "q.yaml:10:19: error: unknown merge 'shufle'", "Did you mean 'shuffle'",
            "q.yaml:8:3: error: extractor 'tabular' has no option 'colour'",
            "input folder in does not exist",
            "hooks/pre-merge is not executable",
        ] {
            #expect(r.stderr.contains(expected), "\(expected) in:\n\(r.stderr)")
        }
        #expect(r.stderr.contains("errors"))
    }

    @Test func theGamesExampleValidates() throws {
        let ws = TempWorkspace("quern-validate")
        // Its input folder is not here: `run` would stop, so validate fails (issue 13 item 17 changed
        // this: it used to pass without --strict); --config-only checks the config alone.
        let r = try QuernProcess.run(["validate", "--config", Self.config, "--config-only"], cwd: ws.path)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("config ok"))
        #expect(r.stderr.contains("warning: [input] input folder data/input does not exist"))
        let plain = try QuernProcess.run(["validate", "--config", Self.config], cwd: ws.path)
        #expect(
            plain.status == 1 && plain.stderr.contains("error: [input] input folder data/input does not exist"),
            "\(plain.stderr)")
        #expect(try QuernProcess.run(["validate", "--config", Self.config, "--strict"], cwd: ws.path).status == 1)
    }

    @Test func runRefusesContradictionsBeforeAnyWork() throws {
        let ws = TempWorkspace("quern-validate")
        #expect(
            try QuernProcess.run(["generate", "--files", "3", "--rows", "5", "--out", "\(ws.path)/in"]).status == 0)
        ws.write("q.yaml", Self.broken)
        for command in ["run", "extract"] {
            let r = try QuernProcess.run([command, "--config", "q.yaml"], cwd: ws.path)
            #expect(r.status == 1)
            #expect(
                r.stderr.contains("sum to 1") && r.stderr.contains("width: N") && r.stderr.contains("nothing was run"),
                "\(r.stderr)")
            #expect(!FileManager.default.fileExists(atPath: "\(ws.path)/data/intermediate"))
        }
        let merge = try QuernProcess.run(["merge", "--config", Self.config], cwd: ws.path)
        #expect(merge.status == 1 && merge.stderr.contains("holds no batches"), "\(merge.stderr)")
    }

    @Test func aYAMLErrorNamesFileLineAndColumn() throws {
        let ws = TempWorkspace("quern-validate")
        ws.write("q.yaml", "batch:\n  codec: zstd\n  files_per_batch: [1, 2\n")
        let r = try QuernProcess.run(["validate", "--config", "q.yaml"], cwd: ws.path)
        #expect(r.status == 1)
        #expect(r.stderr.hasPrefix("q.yaml:"), "\(r.stderr)")
        #expect(r.stderr.contains(": error: invalid YAML"))
    }

    @Test func existingBatchesOfAnotherSchemaAreCaught() throws {
        let ws = TempWorkspace("quern-validate")
        #expect(
            try QuernProcess.run(["generate", "--files", "3", "--rows", "5", "--out", "\(ws.path)/in"]).status == 0)
        #expect(
            try QuernProcess.run(["extract", "--config", Self.config, "--input-dir", "in"], cwd: ws.path).status == 0)
        ws.write("other.yaml", "extractor: {name: tabular, numeric: [turn]}\n")
        let r = try QuernProcess.run(
            ["validate", "--config", "other.yaml", "--input-dir", "in", "--strict"], cwd: ws.path)
        #expect(r.status == 1)
        #expect(r.stderr.contains("holds batches made with schema") && r.stderr.contains("--restart"), "\(r.stderr)")
    }

    @Test func dryRunPrintsThePlanAndStops() throws {
        let ws = TempWorkspace("quern-validate")
        #expect(
            try QuernProcess.run(["generate", "--files", "7", "--rows", "5", "--out", "\(ws.path)/in"]).status == 0)
        let hook = ws.write("hooks/post-save", "#!/bin/sh\nexit 0\n")
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: hook)
        let r = try QuernProcess.run(
            ["run", "--config", Self.config, "--input-dir", "in", "--files-per-batch", "3", "--dry-run"], cwd: ws.path)
        #expect(r.status == 0, "\(r.stderr)")
        for expected in [
            "plan (dry run", "7 files", "batches:  3 of up to 3 files",
            "stages:   discover -> extract -> merge -> split -> normalize -> save",
            "post-save: post-save",
        ] {
            #expect(r.stdout.contains(expected), "\(expected) in:\n\(r.stdout)")
        }
        #expect(!FileManager.default.fileExists(atPath: "\(ws.path)/data/intermediate"))
        #expect(!FileManager.default.fileExists(atPath: "\(ws.path)/data/processed"))
    }
}
