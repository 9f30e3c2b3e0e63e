import Foundation
import QuernCore
import QuernTestSupport
import Testing

/// The malformed inputs of Tests/Fixtures/bad-inputs, among good files: each lands in
/// failed.jsonl with its line and a reason a person understands, the good files are processed,
/// quern exits 3 and never crashes.
@Suite("Bad input, tried systematically")
struct BadInputTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/bad-inputs").path

    /// file -> (line, words the reason must hold)
    static let expected: [String: (Int?, String)] = [
        "aaa_missing_label_column.csv": (1, "column 'action' (label action) is not in the header"),
        "binary.csv": (1, "is not valid UTF-8"),
        "broken_line.jsonl": (3, "a string is not closed"),
        "empty.csv": (nil, "empty file"),
        "header_only.csv": (nil, "no data rows (header only)"),
        "huge_field.csv": (2, "(10485760 bytes) is not a number"),
        "invalid_utf8.csv": (2, "column 'color' is not valid UTF-8"),
        "nul_in_number.csv": (5, "column 'f01': '1\\02' is not a number"),
        "stray_quote.csv": (2, "a quote inside an unquoted field"),
        "text_in_numeric.csv": (4, "column 'f07': 'seven' is not a number"),
        "truncated.csv.gz": (nil, "truncated"),
        "unterminated_quote.csv": (3, "never closed"),
        "wrong_column_count.csv": (3, "50 fields, but the header has 49"),
    ]

    @Test func eachMalformedFileIsListedWithItsLineAndReasonAndTheGoodOnesAreProcessed() throws {
        let ws = TempWorkspace("quern-bad")
        #expect(
            try QuernProcess.run(["generate", "--files", "4", "--rows", "5", "--out", "\(ws.path)/in"]).status == 0)
        for name in try FileManager.default.contentsOfDirectory(atPath: Self.fixtures) where name != "README.md" {
            try FileManager.default.copyItem(atPath: "\(Self.fixtures)/\(name)", toPath: "\(ws.path)/in/\(name)")
        }
        // A 10 MB field in a numeric column: bounded work, and a message that is not 10 MB long.
        let game = try String(contentsOfFile: "\(ws.path)/in/game_000000.csv", encoding: .utf8).split(separator: "\n")
        var cells = game[1].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        cells[7] = String(repeating: "9", count: 10 << 20)
        ws.write("in/huge_field.csv", "\(game[0])\n\(cells.joined(separator: ","))\n")

        let r = try QuernProcess.run(
            ["run", "--config", ExtractEndToEndTests.config, "--input-dir", "in", "--files-per-batch", "5"],
            cwd: ws.path)
        #expect(r.status == 3, "exit 3: done, some files failed: \(r.stderr)")
        #expect(!r.stderr.contains("Fatal error") && !r.stderr.contains("Stack dump"))
        #expect(r.stdout.contains("4 processed, \(Self.expected.count) failed"), "\(r.stdout)")
        let failed = try JSONLines.read("\(ws.path)/data/intermediate/failed.jsonl").map {
            try #require(try JSONSerialization.jsonObject(with: $0) as? [String: Any])
        }
        let byFile = Dictionary(uniqueKeysWithValues: failed.map { ($0["file"] as? String ?? "", $0) })
        #expect(Set(byFile.keys) == Set(Self.expected.keys))
        for (file, (line, words)) in Self.expected {
            let reason = byFile[file]?["reason"] as? String ?? ""
            #expect(byFile[file]?["line"] as? Int == line, "\(file): line \(String(describing: byFile[file]?["line"]))")
            #expect(reason.contains(words), "\(file): \(reason)")
            #expect(reason.utf8.count < 1000 && !reason.contains("\u{0}"), "\(file): a short, printable reason")
        }
        let rows = try QuernProcess.python(
            "import json; print(json.load(open('data/processed/preprocessing_stats.json'))['total_samples'])",
            cwd: ws.path)
        #expect(
            rows.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "20",
            "the 4 good files' 20 rows, and only those")
    }
}
