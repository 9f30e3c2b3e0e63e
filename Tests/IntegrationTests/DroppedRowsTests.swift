import Foundation
import QuernCore
import QuernTestSupport
import Testing

/// Rows the config cannot take (a label missing, a label value it does not list) are dropped, and
/// that is impossible to miss: a warning with the counts by reason at the end of the run, and the
/// same counts in `summary.json` and `preprocessing_stats.json`. `quern init` samples the whole
/// folder, so the values it lists come from every part of it.
@Suite("dropped rows", .serialized)
struct DroppedRowsTests {
    /// 50 files of 20 rows; classes a and b in the first 40 files, c only in the last 10.
    func lateClassFolder(_ ws: TempWorkspace) {
        for f in 0..<50 {
            var csv = "v,w,y\n"
            for k in 0..<20 {
                let y = f < 40 ? (k % 2 == 0 ? "a" : "b") : "c"
                csv += "\(f * 20 + k),\(Double(k) / 4),\(y)\n"
            }
            ws.write("in/part_\(String(f).leftPad(3)).csv", csv)
        }
    }

    @Test func initSamplesTheWholeFolderSoAClassInTheLastFilesIsKept() throws {
        let ws = TempWorkspace("quern-init-spread")
        lateClassFolder(ws)
        let i = try QuernProcess.run(["init", "--input-dir", "in", "--label", "y"], cwd: ws.path)
        #expect(i.status == 0, "\(i.stderr)")
        #expect(i.stdout.contains("y: {column: \"y\", values: [\"a\", \"b\", \"c\"]}"), "\(i.stdout)")
        ws.write("q.yaml", i.stdout)
        let r = try QuernProcess.run(["run", "--config", "q.yaml"], cwd: ws.path)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(!r.stderr.contains("dropped"), "\(r.stderr)")
        let total = try QuernProcess.python(
            "import json; print(json.load(open('data/processed/preprocessing_stats.json'))['total_samples'])",
            cwd: ws.path)
        #expect(
            total.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "1000",
            "every row: \(total.stdout)\(total.stderr)")
    }

    @Test func droppedRowsAreCountedByReasonInTheWarningTheSummaryAndTheStats() throws {
        let ws = TempWorkspace("quern-dropped")
        lateClassFolder(ws)
        // A missing label in one file, and a config that lists only a and b (as the old init wrote).
        ws.write("in/part_000.csv", "v,w,y\n1,2,a\n3,4,\n5,6,b\n7,8,NA\n")
        ws.write(
            "q.yaml",
            """
            paths: {input: in, intermediate: mid, output: out, logs: logs}
            extractor:
              name: tabular
              numeric: [v, w]
              labels: {y: {column: y, values: [a, b]}}
            split: {by: row}
            """)
        let r = try QuernProcess.run(["run", "--config", "q.yaml"], cwd: ws.path)
        #expect(r.status == 0, "\(r.stderr)")
        let warning = r.stderr.split(separator: "\n").filter { $0.contains("dropped") }.joined(separator: "\n")
        #expect(warning.contains("warning"), "\(r.stderr)")
        #expect(warning.contains("202 of 984 rows"), "\(r.stderr)")
        #expect(
            warning.contains("200 label 'y' has an unknown value") && warning.contains("2 label 'y' missing"),
            "\(r.stderr)")

        let expected: [String: Int] = ["label 'y' has an unknown value": 200, "label 'y' missing": 2]
        let summary = try #require(
            try JSONSerialization.jsonObject(
                with: Data(contentsOf: URL(fileURLWithPath: "\(ws.path)/logs/summary.json"))) as? [String: Any])
        #expect(summary["rows_dropped"] as? [String: Int] == expected, "\(summary)")
        let stats = try #require(
            try JSONSerialization.jsonObject(
                with: Data(contentsOf: URL(fileURLWithPath: "\(ws.path)/out/preprocessing_stats.json")))
                as? [String: Any])
        #expect(stats["rows_dropped"] as? [String: Int] == expected, "\(stats)")
        #expect(stats["total_samples"] as? Int == 782)

        // `quern merge` alone reads the counts from the journal.
        try FileManager.default.removeItem(atPath: "\(ws.path)/out")
        let m = try QuernProcess.run(["merge", "--config", "q.yaml"], cwd: ws.path)
        #expect(m.status == 0, "\(m.stderr)")
        #expect(m.stderr.contains("202 of 984 rows"), "\(m.stderr)")
        let again = try #require(
            try JSONSerialization.jsonObject(
                with: Data(contentsOf: URL(fileURLWithPath: "\(ws.path)/out/preprocessing_stats.json")))
                as? [String: Any])
        #expect(again["rows_dropped"] as? [String: Int] == expected)
    }
}
