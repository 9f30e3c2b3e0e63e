import Foundation
import QuernCore
import QuernTestSupport
import Testing

/// A numeric cell float32 cannot hold (`1e39`, `-Infinity`), through a real `quern run`: its file
/// fails where the cell is read, with file, line, column and value in `failed.jsonl`, and the rest
/// of the work goes on (exit 3); or, with `non_finite: missing`, the cell counts as missing.
@Suite("Numeric cells float32 cannot hold, through quern run")
struct NonFiniteCellTests {
    /// A workspace with 4 good `games` files of 5 rows, and copies of the first with one `f07`
    /// cell replaced: `overflow.csv` (line 3: `1e39`) and `infinite.csv` (line 5: `-Infinity`).
    func workspace() throws -> TempWorkspace {
        let ws = TempWorkspace("quern-nonfinite")
        #expect(
            try QuernProcess.run(["generate", "--files", "4", "--rows", "5", "--out", "\(ws.path)/in"]).status == 0)
        let lines = try String(contentsOfFile: "\(ws.path)/in/game_000000.csv", encoding: .utf8).split(separator: "\n")
            .map(String.init)
        let column = try #require(lines[0].split(separator: ",").firstIndex(of: "f07"))
        for (name, line, value) in [("overflow.csv", 3, "1e39"), ("infinite.csv", 5, "-Infinity")] {
            var copy = lines
            var cells = copy[line - 1].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            cells[column] = value
            copy[line - 1] = cells.joined(separator: ",")
            ws.write("in/\(name)", copy.joined(separator: "\n") + "\n")
        }
        return ws
    }

    func totalSamples(_ ws: TempWorkspace) throws -> String {
        let r = try QuernProcess.python(
            "import json; print(json.load(open('data/processed/preprocessing_stats.json'))['total_samples'])",
            cwd: ws.path)
        return r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test func aCellFloat32CannotHoldFailsItsFileWithLineAndColumn() throws {
        let ws = try workspace()
        let r = try QuernProcess.run(
            ["run", "--config", ExtractEndToEndTests.config, "--input-dir", "in", "--files-per-batch", "3"],
            cwd: ws.path)
        #expect(r.status == 3, "exit 3: done, some files failed: \(r.stderr)")
        let failed = try JSONLines.read("\(ws.path)/data/intermediate/failed.jsonl").map {
            try #require(try JSONSerialization.jsonObject(with: $0) as? [String: Any])
        }
        let byFile = Dictionary(uniqueKeysWithValues: failed.map { ($0["file"] as? String ?? "", $0) })
        #expect(Set(byFile.keys) == ["overflow.csv", "infinite.csv"])
        #expect(byFile["overflow.csv"]?["line"] as? Int == 3)
        #expect(
            (byFile["overflow.csv"]?["reason"] as? String)?.contains("column 'f07': '1e39' does not fit in float32")
                == true, "\(failed)")
        #expect(byFile["infinite.csv"]?["line"] as? Int == 5)
        #expect(
            (byFile["infinite.csv"]?["reason"] as? String)?.contains(
                "column 'f07': '-Infinity' does not fit in float32") == true, "\(failed)")
        #expect(try totalSamples(ws) == "20", "the 4 good files' rows, published")
    }

    @Test func nonFiniteMissingReadsTheCellAsMissing() throws {
        let ws = try workspace()
        let config = try String(contentsOfFile: ExtractEndToEndTests.config, encoding: .utf8)
        #expect(config.contains("  fill_missing: 0"))
        ws.write(
            "config.yaml",
            config.replacingOccurrences(of: "  fill_missing: 0", with: "  fill_missing: 0\n  non_finite: missing"))
        let r = try QuernProcess.run(
            ["run", "--config", "config.yaml", "--input-dir", "in", "--files-per-batch", "3"], cwd: ws.path)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(try totalSamples(ws) == "30", "every file's rows, the two cells read as missing")
    }
}
