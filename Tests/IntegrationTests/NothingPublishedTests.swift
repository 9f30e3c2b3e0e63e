import Foundation
import QuernCore
import QuernTestSupport
import Testing

/// A merge that has nothing sound to publish publishes nothing: no rows at all (every input file
/// failed), or values the outputs cannot hold (NaN or infinity, even under --skip-validation). It
/// exits 1 saying why, and the previous outputs stay exactly as they were.
@Suite("merges that must not publish", .serialized)
struct NothingPublishedTests {
    static let config = ExtractEndToEndTests.config

    func outputs(_ ws: TempWorkspace, _ dir: String = "data/processed") -> [String: Data] {
        Dictionary(
            uniqueKeysWithValues: ws.files(in: dir).map {
                ($0, FileManager.default.contents(atPath: "\(ws.path)/\(dir)/\($0)")!)
            })
    }

    @Test func everyInputFailingKeepsThePreviousOutputs() throws {
        let ws = TempWorkspace("quern-norows")
        #expect(
            try QuernProcess.run(["generate", "--files", "4", "--rows", "5", "--out", "\(ws.path)/in"]).status == 0)
        let good = try QuernProcess.run(["run", "--config", Self.config, "--input-dir", "in", "-q"], cwd: ws.path)
        #expect(good.status == 0, "\(good.stderr)")
        let before = outputs(ws)
        #expect(before["X_train.npy"] != nil)

        // The same files, each with a word in a numeric column: every one fails.
        for name in ws.files(in: "in") {
            var lines = try String(contentsOfFile: "\(ws.path)/in/\(name)", encoding: .utf8).split(separator: "\n").map(
                String.init)
            var cells = lines[2].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            cells[7] = "seven"
            lines[2] = cells.joined(separator: ",")
            ws.write("bad/\(name)", lines.joined(separator: "\n") + "\n")
        }
        let r = try QuernProcess.run(
            [
                "run", "--config", Self.config, "--input-dir", "bad", "--intermediate-dir", "mid-bad", "--log-dir",
                "data/logs",
            ], cwd: ws.path)
        #expect(r.status == 1, "no rows is an error, not 'some files failed': \(r.status) \(r.stderr)")
        #expect(r.stderr.contains("no rows to merge"), "\(r.stderr)")
        #expect(r.stderr.contains("'seven' is not a number"), "the reason of a failed file is named: \(r.stderr)")
        #expect(r.stderr.contains("data/processed") && r.stderr.contains("unchanged"), "\(r.stderr)")
        #expect(outputs(ws) == before, "the previous outputs stay as they were")

        let summary = try #require(RunSummary.read(from: "\(ws.path)/data/logs"))
        #expect(summary.status == "failed" && summary.exitStatus == 1)

        // `quern merge` alone on those batches says the same.
        let m = try QuernProcess.run(
            ["merge", "--config", Self.config, "--intermediate-dir", "mid-bad", "-q"], cwd: ws.path)
        #expect(m.status == 1 && m.stderr.contains("no rows to merge"), "\(m.stderr)")
        #expect(outputs(ws) == before)
    }

    /// `1e39` does not fit in float32. However it reaches the save step (a reader that lets it
    /// through, a hook), NaN or infinity is an error naming the feature, and the stats file is
    /// never published empty (`{}`) or partial, with --skip-validation too.
    @Test func aValueFloat32CannotHoldNeverPublishesEmptyStats() throws {
        let ws = TempWorkspace("quern-nonfinite")
        ws.write(
            "q.yaml",
            """
            paths: {input: in, intermediate: mid, output: out, logs: logs}
            extractor:
              name: tabular
              numeric: [v, w]
              labels: {y: {column: y, classes: 2}}
            split: {by: row}
            """)
        var csv = "v,w,y\n"
        for i in 0..<40 { csv += "\(i == 17 ? "1e39" : String(i)),\(i * 2),\(i % 2)\n" }
        ws.write("in/a.csv", csv)
        let r = try QuernProcess.run(["run", "--config", "q.yaml", "--skip-validation"], cwd: ws.path)
        #expect(r.status == 1, "\(r.status) \(r.stdout) \(r.stderr)")
        #expect(r.stderr.contains("'v'"), "the column is named: \(r.stderr)")
        #expect(
            !FileManager.default.fileExists(atPath: "\(ws.path)/out/preprocessing_stats.json"),
            "nothing published: \(ws.files(in: "out"))")
    }

    /// The save step itself, whatever the reader accepts: a post-merge hook writes an infinity
    /// into the merged rows. Nothing is published, the message names the feature and split.
    @Test func nonFiniteValuesAtTheSaveStepAreAnErrorEvenWithSkipValidation() throws {
        let ws = TempWorkspace("quern-nonfinite-hook")
        #expect(
            try QuernProcess.run(["generate", "--files", "4", "--rows", "10", "--out", "\(ws.path)/in"]).status == 0)
        let good = try QuernProcess.run(["run", "--config", Self.config, "--input-dir", "in", "-q"], cwd: ws.path)
        #expect(good.status == 0, "\(good.stderr)")
        let before = outputs(ws)
        let hook = ws.write(
            "hooks/post-merge",
            """
            #!/usr/bin/env python3
            import os, numpy as np
            x = np.load(os.path.join(os.environ['QUERN_STAGING_DIR'], 'X_merged.npy'), mmap_mode='r+')
            x[:, 3] = np.inf
            x.flush()
            """)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: hook)
        let r = try QuernProcess.run(
            ["merge", "--config", Self.config, "--hooks-dir", "hooks", "--skip-validation"], cwd: ws.path)
        #expect(r.status == 1, "\(r.status) \(r.stdout) \(r.stderr)")
        #expect(r.stderr.contains("f03"), "the feature is named: \(r.stderr)")
        #expect(r.stderr.contains("X_train.npy"), "the split file is named: \(r.stderr)")
        #expect(outputs(ws) == before, "the previous outputs stay as they were")
    }
}
