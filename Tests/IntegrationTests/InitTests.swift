import Foundation
import QuernCore
import QuernTestSupport
import Testing

/// `quern init` writes configs that run without edits.
@Suite("quern init", .serialized)
struct InitTests {
    @Test func initOnGamesWritesAConfigThatRuns() throws {
        let ws = TempWorkspace("quern-init")
        #expect(
            try QuernProcess.run(["generate", "--files", "30", "--rows", "10", "--seed", "1", "--out", "\(ws.path)/g"])
                .status == 0)
        let i = try QuernProcess.run(
            ["init", "--input-dir", "g", "--label", "action", "--group", "game_id"], cwd: ws.path)
        #expect(i.status == 0, "\(i.stderr)")
        let yaml = i.stdout
        #expect(yaml.contains("action: {column: \"action\", classes: 84}"))
        #expect(yaml.contains("legal: {column: \"legal\", width: 84, encoding: bitstring, label: action}"))
        #expect(yaml.contains("\"phase\": [\"early\", \"late\", \"mid\"]"))
        #expect(yaml.contains("group: \"game_id\""))
        ws.write("q.yaml", yaml)
        let r = try QuernProcess.run(["run", "--config", "q.yaml"], cwd: ws.path)
        #expect(r.status == 0, "\(r.stderr)")
        let py = try QuernProcess.python(
            """
            import numpy as np
            X = np.concatenate([np.load(f'data/processed/X_{s}.npy') for s in ('train', 'val', 'test')])
            y = np.load('data/processed/labels_train.npz')['action']
            print(X.shape[0], X.shape[1], int(y.max()) < 84)
            """, cwd: ws.path)
        // 43 numeric columns, and 3 + 5 + 6 one-hot columns.
        #expect(py.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "300 57 True", "\(py.stderr)")
    }

    @Test func initOnTextWithMissingValuesWritesAConfigThatRuns() throws {
        let ws = TempWorkspace("quern-init")
        let cities = ["Lyon", "Oslo", "Lima", "NA", ""]
        for f in 0..<4 {
            var csv = "id,name,city,age,income,comment,member\n"
            for k in 0..<40 {
                let n = f * 40 + k
                let age = n % 7 == 0 ? "NA" : String(18 + n % 50)
                let income = n % 5 == 0 ? "" : String(format: "%.2f", Double(n) * 101.5)
                let comment = "\"said \"\"hi\"\", item \(n * 37 % 101)\""
                csv +=
                    "\(n),user\(n),\(cities[n % cities.count]),\(age),\(income),\(comment),\(n % 3 == 0 ? "yes" : "no")\n"
            }
            ws.write("text/people_\(f).csv", csv)
        }
        let i = try QuernProcess.run(["init", "--input-dir", "text", "--label", "member"], cwd: ws.path)
        #expect(i.status == 0, "\(i.stderr)")
        let yaml = i.stdout
        #expect(yaml.contains("numeric: [\"id\", \"age\", \"income\"]"), "\(yaml)")
        #expect(yaml.contains("\"city\": [\"Lima\", \"Lyon\", \"Oslo\"]"), "\(yaml)")
        #expect(yaml.contains("missing-value tokens seen in the sample: \"\", \"NA\""), "\(yaml)")
        #expect(
            yaml.contains("`hashed` extractor") && yaml.contains("#   name: ") && yaml.contains("#   comment: "),
            "\(yaml)")
        #expect(yaml.contains("member: {column: \"member\", values: [\"no\", \"yes\"]}"), "\(yaml)")
        #expect(yaml.contains("by: \"row\""))
        ws.write("q.yaml", yaml)
        let r = try QuernProcess.run(["run", "--config", "q.yaml"], cwd: ws.path)
        #expect(r.status == 0, "\(r.stderr)\n\(r.stdout)")
        let py = try QuernProcess.python(
            """
            import numpy as np
            X = np.concatenate([np.load(f'data/processed/X_{s}.npy') for s in ('train', 'val', 'test')])
            print(X.shape[0], X.shape[1], bool(np.isfinite(X).all()))
            """, cwd: ws.path)
        #expect(py.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "160 6 True", "\(py.stderr)")
    }

    @Test func malformedFilesInTheSampleDoNotChangeTheConfig() throws {
        let ws = TempWorkspace("quern-init")
        #expect(
            try QuernProcess.run(["generate", "--files", "10", "--rows", "10", "--bad", "6", "--out", "\(ws.path)/g"])
                .status == 0)
        let i = try QuernProcess.run(
            ["init", "--input-dir", "g", "--label", "action", "--group", "game_id"], cwd: ws.path)
        #expect(i.status == 0, "\(i.stderr)")
        // The text_in_float file must not turn its column into text.
        #expect(i.stdout.contains("# 43 numeric columns") && !i.stdout.contains("`hashed` extractor"), "\(i.stdout)")
        #expect(i.stdout.contains("sampled value was not a number"))
        ws.write("q.yaml", i.stdout)
        let r = try QuernProcess.run(["run", "--config", "q.yaml", "-q"], cwd: ws.path)
        #expect(r.status == 3, "\(r.stderr)")  // done; the malformed files are listed as failed
        #expect(r.stdout.contains("10 processed, 6 failed"), "\(r.stdout)")
    }

    @Test func anUnknownLabelColumnIsRefused() throws {
        let ws = TempWorkspace("quern-init")
        #expect(try QuernProcess.run(["generate", "--files", "2", "--rows", "5", "--out", "\(ws.path)/g"]).status == 0)
        let r = try QuernProcess.run(["init", "--input-dir", "g", "--label", "acton"], cwd: ws.path)
        #expect(r.status == 1)
        #expect(r.stderr.contains("no column 'acton'") && r.stderr.contains("did you mean 'action'"), "\(r.stderr)")
    }
}
