import Foundation
import QuernCore
import QuernTestSupport
import Testing

/// `quern run --datasets DIR`: each dataset on its own, a broken one does not stop the others.
@Suite("Several datasets in one run", .serialized)
struct DatasetsTests {
    static let config = ExtractEndToEndTests.config

    func summary(_ ws: TempWorkspace, _ dir: String = "data/logs") throws -> [String: Any] {
        let data = try Data(contentsOf: URL(fileURLWithPath: "\(ws.path)/\(dir)/summary.json"))
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    @Test func aBrokenDatasetFailsAloneAndTheSummarySaysWhy() throws {
        let ws = TempWorkspace("quern-datasets")
        #expect(
            try QuernProcess.run(["generate", "--files", "6", "--rows", "10", "--out", "\(ws.path)/many/alpha"]).status
                == 0)
        #expect(
            try QuernProcess.run([
                "generate", "--files", "4", "--rows", "10", "--seed", "2", "--out", "\(ws.path)/many/beta set",
            ]).status == 0)
        ws.write("many/broken/data.csv", "a,b\n1,2\n3,4\n")
        ws.write("many/.hidden/x.csv", "a\n1\n")
        let hook = ws.write(
            "hooks/post-run",
            "#!/bin/sh\necho \"$QUERN_DATASET $QUERN_STATUS\" >> \"$QUERN_INPUT_DIR/../../datasets.log\"\n")
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: hook)

        let r = try QuernProcess.run(
            ["run", "--config", Self.config, "--datasets", "many", "--files-per-batch", "3"], cwd: ws.path)
        #expect(r.status == 1, "\(r.stderr)")
        #expect(r.stdout.contains("datasets: 2 of 3 done, 1 failed"), "\(r.stdout)")
        #expect(
            r.stdout.contains("broken failed: ") && r.stdout.contains("does not fit the columns of data.csv"),
            "\(r.stdout)")

        let s = try summary(ws)
        let rows = try #require(s["datasets"] as? [[String: Any]])
        #expect(rows.map { $0["name"] as? String } == ["alpha", "beta_set", "broken"])
        #expect(rows.map { $0["status"] as? String } == ["ok", "ok", "failed"])
        #expect(rows[0]["rows"] as? Int == 60 && rows[1]["rows"] as? Int == 40)
        #expect(
            (rows[2]["error"] as? String)?.contains("missing column") == true
                || (rows[2]["error"] as? String)?.contains("does not fit") == true)
        #expect((rows[0]["peak_rss_bytes"] as? Int ?? 0) > 0)
        #expect(((rows[0]["stages"] as? [String: Any])?["extract"] as? [String: Any])?["status"] as? String == "ok")
        #expect(s["failed"] as? Int == 1 && s["ok"] as? Int == 2)

        // Each dataset has its own folders, and its hooks saw its name.
        for name in ["alpha", "beta_set"] {
            #expect(FileManager.default.fileExists(atPath: "\(ws.path)/data/processed/\(name)/X_train.npy"))
            #expect(FileManager.default.fileExists(atPath: "\(ws.path)/data/intermediate/\(name)/journal.jsonl"))
            #expect(FileManager.default.fileExists(atPath: "\(ws.path)/data/logs/\(name)/events.jsonl"))
        }
        #expect(FileManager.default.fileExists(atPath: "\(ws.path)/data/logs/broken/quern.log"))
        #expect(!FileManager.default.fileExists(atPath: "\(ws.path)/data/processed/broken/X_train.npy"))
        #expect(!FileManager.default.fileExists(atPath: "\(ws.path)/data/processed/hidden"))
        let log = (try? String(contentsOfFile: "\(ws.path)/datasets.log", encoding: .utf8)) ?? ""
        // The broken dataset's columns fit no file: pre-flight refuses it before any stage, and a run
        // refused by pre-flight runs no hook (it was refused mid-extract, after its hooks, until
        // pre-flight checked the columns as validate does).
        #expect(log.split(separator: "\n").sorted() == ["alpha ok", "beta_set ok"], "\(log)")
        let py = try QuernProcess.python(
            "import numpy as np; X = np.load('data/processed/alpha/X_train.npy'); print(X.shape[1])", cwd: ws.path)
        #expect(py.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "62", "\(py.stderr)")
    }

    @Test func filesAsDatasetsGetSanitizedDistinctNamesAndInferredConfigs() throws {
        let ws = TempWorkspace("quern-datasets")
        let games = GamesGenerator(seed: 3, rows: 12)
        for (k, name) in ["my data.csv", "my@data.csv", "dataset@special.csv"].enumerated() {
            ws.write("many/\(name)", games.game(k, rows: 12))
        }
        let r = try QuernProcess.run(
            ["run", "--datasets", "many", "--datasets-from", "files", "--log-format", "json"], cwd: ws.path)
        #expect(r.status == 0, "\(r.stderr)\n\(r.stdout)")
        // For pipelines: stderr is the batch's JSON events, one per line.
        let events = try r.stderr.split(separator: "\n").map {
            try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
        #expect(events.filter { $0["event"] as? String == "dataset_finished" }.count == 3)
        let warning = events.first { $0["event"] as? String == "message" && $0["level"] as? String == "warning" }
        #expect(
            (warning?["message"] as? String)?.contains(
                "'my@data.csv' and 'my data.csv' both sanitize to 'my_data'; 'my@data.csv' is named 'my_data_2'")
                == true,
            "\(r.stderr)")
        let rows = try #require(try summary(ws)["datasets"] as? [[String: Any]])
        #expect(rows.map { $0["name"] as? String } == ["dataset_special", "my_data", "my_data_2"])
        #expect(rows.allSatisfy { $0["status"] as? String == "ok" && $0["rows"] as? Int == 12 })
        // Without --config each dataset's config was inferred, and kept next to its log.
        let config = try String(contentsOfFile: "\(ws.path)/data/logs/my_data_2/config.yaml", encoding: .utf8)
        #expect(config.contains("\"tabular\"") && config.contains("my_data_2"))
        #expect(FileManager.default.fileExists(atPath: "\(ws.path)/data/processed/my_data_2/X_train.npy"))
    }

    @Test func aBadFlagStopsTheBatchBeforeAnyDataset() throws {
        let ws = TempWorkspace("quern-datasets")
        #expect(
            try QuernProcess.run(["generate", "--files", "2", "--rows", "5", "--out", "\(ws.path)/many/one"]).status
                == 0)
        let r = try QuernProcess.run(
            ["run", "--datasets", "many", "--codec", "zstdd", "--split", "0.5,0.5,0.5"], cwd: ws.path)
        // Bad flag values are bad usage: 64 (issue 13 item 18; it was 1).
        #expect(r.status == 64)
        #expect(r.stderr.contains("unknown codec 'zstdd'") && r.stderr.contains("sum to 1"), "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: "\(ws.path)/data/intermediate"))
    }

    /// A dataset folder named by bytes that are not UTF-8 cannot be recorded in a journal: it is
    /// left out with a warning that shows its bytes, never without a word.
    @Test func aDatasetFolderWhoseNameIsNotUTF8IsLeftOutWithAWarning() throws {
        let ws = TempWorkspace("quern-datasets")
        #expect(
            try QuernProcess.run(["generate", "--files", "2", "--rows", "5", "--out", "\(ws.path)/many/one"]).status
                == 0)
        #expect(ws.makeRaw(in: "many", name: Array("tw".utf8) + [0xC3, 0x28] + Array("o".utf8), folder: true))
        let r = try QuernProcess.run(["run", "--config", Self.config, "--datasets", "many", "--dry-run"], cwd: ws.path)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("one: many/one -> data/processed/one"), "\(r.stdout)")
        #expect(r.stderr.contains("1 dataset in many: one"), "\(r.stderr)")
        let warning = r.stderr.split(separator: "\n").filter { $0.contains("not valid UTF-8") }
        #expect(warning.count == 1, "\(r.stderr)")
        #expect(warning.first?.contains("many/tw\\xc3(o is skipped") == true, "\(r.stderr)")
    }

    @Test func dryRunListsTheDatasetsAndRunsNothing() throws {
        let ws = TempWorkspace("quern-datasets")
        #expect(
            try QuernProcess.run(["generate", "--files", "2", "--rows", "5", "--out", "\(ws.path)/many/one"]).status
                == 0)
        let r = try QuernProcess.run(["run", "--config", Self.config, "--datasets", "many", "--dry-run"], cwd: ws.path)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("one: many/one -> data/processed/one"), "\(r.stdout)")
        #expect(!FileManager.default.fileExists(atPath: "\(ws.path)/data/intermediate"))
    }
}
