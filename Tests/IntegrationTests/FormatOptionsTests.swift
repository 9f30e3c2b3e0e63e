import Foundation
import QuernCore
import QuernTestSupport
import Testing

/// Input formats take options like every other plugin kind: `--format csv:delimiter=;`, or
/// `input.format: {name: csv, delimiter: ";"}`; `quern init` takes `--format` and finds `;` and tab
/// delimiters in the sample.
@Suite("Input format options")
struct FormatOptionsTests {
    /// Two files of European CSV: `;` between fields, `,` inside the text of a field.
    func semicolonFiles(_ ws: TempWorkspace, in folder: String = "in", separator: String = ";") {
        let s = separator
        ws.write("\(folder)/a.csv", "x\(s)y\(s)note\(s)label\n1.5\(s)2\(s)\"a, b\"\(s)0\n3\(s)-4.25\(s)c\(s)1\n")
        ws.write("\(folder)/b.csv", "x\(s)y\(s)note\(s)label\n5\(s)6\(s)\"d;e\"\(s)1\n7.75\(s)8\(s)f, g\(s)0\n")
    }

    static let config = """
        paths: {input: in}
        extractor:
          name: tabular
          numeric: [x, y]
          labels: {label: {column: label, classes: 2}}
        split: {fractions: [1, 0, 0], by: row}
        normalize: {method: none}

        """

    /// The rows of X_train (its first two columns: x and y) and labels, as Python prints them, sorted.
    func arrays(_ ws: TempWorkspace) throws -> String {
        let py = try QuernProcess.python(
            """
            import numpy as np
            X = np.load('data/processed/X_train.npy'); y = np.load('data/processed/labels_train.npz')['label']
            print(sorted((float(a), float(b), int(c)) for (a, b), c in zip(X[:, :2].tolist(), y.tolist())))
            """, cwd: ws.path)
        #expect(py.status == 0, "\(py.stderr)")
        return py.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    static let expected = "[(1.5, 2.0, 0), (3.0, -4.25, 1), (5.0, 6.0, 1), (7.75, 8.0, 0)]"

    @Test func aSemicolonCSVIsReadWithTheDelimiterOptionInTheConfig() throws {
        let ws = TempWorkspace()
        semicolonFiles(ws)
        ws.write("q.yaml", Self.config + "input:\n  format: {name: csv, delimiter: \";\"}\n")
        let r = try QuernProcess.run(["run", "--config", "q.yaml", "--no-hooks"], cwd: ws.path)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(try arrays(ws) == Self.expected)
    }

    @Test func aSemicolonCSVIsReadWithTheFormatFlag() throws {
        let ws = TempWorkspace()
        semicolonFiles(ws)
        ws.write("q.yaml", Self.config)
        let r = try QuernProcess.run(
            ["run", "--config", "q.yaml", "--no-hooks", "--format", "csv:delimiter=;"], cwd: ws.path)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(try arrays(ws) == Self.expected)
    }

    @Test func aTabSeparatedCSVIsReadWithTheTabDelimiter() throws {
        let ws = TempWorkspace()
        semicolonFiles(ws, separator: "\t")
        ws.write("q.yaml", Self.config)
        let r = try QuernProcess.run(
            ["run", "--config", "q.yaml", "--no-hooks", "--format", "csv:delimiter=\\t"], cwd: ws.path)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(try arrays(ws) == Self.expected)
    }

    @Test func tsvQuotingIsAnOption() throws {
        let ws = TempWorkspace()
        ws.write("in/a.tsv", "x\ty\tnote\tlabel\n1.5\t2\t\"tab\there\"\t0\n")
        ws.write("q.yaml", Self.config + "input: {format: \"tsv:quoting=true\"}\n")
        let r = try QuernProcess.run(["run", "--config", "q.yaml", "--no-hooks"], cwd: ws.path)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(try arrays(ws) == "[(1.5, 2.0, 0)]")
    }

    @Test func anUnknownFormatOptionIsRefusedWithDidYouMean() throws {
        let ws = TempWorkspace()
        semicolonFiles(ws)
        ws.write("q.yaml", Self.config)
        var r = try QuernProcess.run(
            ["run", "--config", "q.yaml", "--no-hooks", "--format", "csv:delimeter=;"], cwd: ws.path)
        #expect(r.status != 0)
        #expect(
            r.stderr.contains("format 'csv' has no option 'delimeter'")
                && r.stderr.contains("Did you mean 'delimiter'?"), "\(r.stderr)")
        ws.write("bad.yaml", Self.config + "input:\n  format: {name: csv, delimeter: \";\"}\n")
        r = try QuernProcess.run(["validate", "--config", "bad.yaml"], cwd: ws.path)
        #expect(r.status != 0)
        #expect(r.stderr.contains("bad.yaml:9:") && r.stderr.contains("Did you mean 'delimiter'?"), "\(r.stderr)")
        r = try QuernProcess.run(
            ["run", "--config", "q.yaml", "--no-hooks", "--format", "csv:delimiter=;;"], cwd: ws.path)
        #expect(r.status != 0 && r.stderr.contains("one ASCII character"), "\(r.stderr)")
        r = try QuernProcess.run(
            ["run", "--config", "q.yaml", "--no-hooks", "--format", "auto:delimiter=;"], cwd: ws.path)
        #expect(r.status != 0 && r.stderr.contains("name the format"), "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: "\(ws.path)/data/processed"))
    }

    @Test func initFindsASemicolonDelimiterAndWritesAConfigThatReadsIt() throws {
        let ws = TempWorkspace()
        semicolonFiles(ws)
        let i = try QuernProcess.run(["init", "--input-dir", "in", "--label", "label"], cwd: ws.path)
        #expect(i.status == 0, "\(i.stderr)")
        #expect(i.stdout.contains("format: {name: \"csv\", delimiter: \";\"}"), "\(i.stdout)")
        #expect(i.stdout.contains("numeric: [\"x\", \"y\"]"), "\(i.stdout)")
        ws.write(
            "q.yaml",
            i.stdout.replacingOccurrences(of: "method: \"standard\"", with: "method: \"none\"")
                .replacingOccurrences(of: "fractions: [0.8, 0.1, 0.1]", with: "fractions: [1, 0, 0]"))
        let r = try QuernProcess.run(["run", "--config", "q.yaml", "--no-hooks"], cwd: ws.path)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(try arrays(ws) == Self.expected)
    }

    @Test func initFindsATabDelimiterAndTakesTheFormatFlag() throws {
        let ws = TempWorkspace()
        semicolonFiles(ws, separator: "\t")
        var i = try QuernProcess.run(["init", "--input-dir", "in", "--label", "label"], cwd: ws.path)
        #expect(i.status == 0, "\(i.stderr)")
        #expect(i.stdout.contains("format: {name: \"csv\", delimiter: \"\\t\"}"), "\(i.stdout)")
        // --format wins over what the sample suggests, and is written into the config.
        let other = TempWorkspace()
        semicolonFiles(other, separator: "|")
        i = try QuernProcess.run(
            ["init", "--input-dir", "in", "--label", "label", "--format", "csv:delimiter=|"], cwd: other.path)
        #expect(i.status == 0, "\(i.stderr)")
        #expect(
            i.stdout.contains("format: {name: \"csv\", delimiter: \"|\"}")
                && i.stdout.contains("numeric: [\"x\", \"y\"]"), "\(i.stdout)")
    }

    @Test func initRefusesFilesThatDisagreeOnTheDelimiter() throws {
        let ws = TempWorkspace()
        ws.write("in/a.csv", "x;y;label\n1;2;0\n3;4;1\n")
        ws.write("in/b.csv", "x,y,label\n1,2,0\n3,4,1\n")
        let i = try QuernProcess.run(["init", "--input-dir", "in", "--label", "label"], cwd: ws.path)
        #expect(i.status != 0)
        #expect(
            i.stderr.contains("a.csv") && i.stderr.contains("b.csv") && i.stderr.contains("--format"), "\(i.stderr)")
    }
}
