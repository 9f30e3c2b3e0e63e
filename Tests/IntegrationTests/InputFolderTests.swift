import Foundation
import QuernCore
import QuernTestSupport
import Testing

/// What the input folder holds besides regular files, and names that would act on a terminal:
/// nothing is passed over without a word, and no file name reaches the terminal raw.
@Suite("Input folder entries and names")
struct InputFolderTests {
    func games(_ ws: TempWorkspace, files: Int) throws {
        #expect(
            try QuernProcess.run(["generate", "--files", "\(files)", "--rows", "5", "--out", "\(ws.path)/in"]).status
                == 0)
    }

    /// A FIFO, a dangling link, a link loop and a link to a device, each named `*.csv`: each is
    /// named in a warning with why, counted in the summary, and the FIFO is never opened (that
    /// would wait for a writer forever: the run would hang).
    @Test func entriesThatAreNotRegularFilesAreNamedWithTheReasonAndCounted() throws {
        let ws = TempWorkspace()
        try games(ws, files: 3)
        #expect(mkfifo("\(ws.path)/in/pipe.csv", 0o644) == 0)
        #expect(symlink("\(ws.path)/in/nothing-here.csv", "\(ws.path)/in/dangling.csv") == 0)
        #expect(symlink("loop.csv", "\(ws.path)/in/loop.csv") == 0)
        #expect(symlink("/dev/null", "\(ws.path)/in/device.csv") == 0)
        let r = try QuernProcess.run(
            ["run", "--config", ExtractEndToEndTests.config, "--input-dir", "in", "--no-hooks"], cwd: ws.path)
        #expect(r.status == 0, "\(r.stderr)")
        let warnings = r.stderr.split(separator: "\n").filter { $0.hasPrefix("warning: skipped ") }
        #expect(warnings.count == 4, "\(r.stderr)")
        #expect(warnings.contains { $0.contains("pipe.csv") && $0.contains("FIFO") }, "\(r.stderr)")
        #expect(warnings.contains { $0.contains("dangling.csv") && $0.contains("does not exist") }, "\(r.stderr)")
        #expect(warnings.contains { $0.contains("loop.csv") && $0.contains("loops") }, "\(r.stderr)")
        #expect(
            warnings.contains {
                $0.contains("device.csv") && $0.contains("character device") && $0.contains("/dev/null")
            }, "\(r.stderr)")
        #expect(r.stdout.contains("3 processed, 0 failed, 4 skipped"), "\(r.stdout)")
        let summary = try String(contentsOfFile: "\(ws.path)/data/logs/summary.json", encoding: .utf8)
        #expect(summary.contains("\"files_skipped\" : 4"), "\(summary)")
    }

    /// Linux allows a file name that is not valid UTF-8. The journal and the outputs record names
    /// as UTF-8, so such a file is not read: the warning says why (not "a dangling link", which a
    /// stat of its lossy String suggested), shows its bytes, and the file is counted as skipped.
    @Test func aFileWhoseNameIsNotUTF8IsSkippedWithItsBytesAndTheReason() throws {
        let ws = TempWorkspace()
        try games(ws, files: 2)
        let first = try #require(
            try FileManager.default.contentsOfDirectory(atPath: "\(ws.path)/in").sorted().first)
        let bad = Array("bad".utf8) + [0xFF, 0x22] + Array(".csv".utf8)
        #expect(ws.makeRaw(in: "in", name: bad, contents: Array(ws.text("in/\(first)").utf8)))
        let r = try QuernProcess.run(
            ["run", "--config", ExtractEndToEndTests.config, "--input-dir", "in", "--no-hooks"], cwd: ws.path)
        #expect(r.status == 0, "\(r.stderr)")
        let warnings = r.stderr.split(separator: "\n").filter { $0.hasPrefix("warning: skipped ") }
        #expect(warnings.count == 1, "\(r.stderr)")
        #expect(
            warnings.first?.contains("is not valid UTF-8 (bad\\xff\".csv)") == true
                && warnings.first?.contains("rename the file") == true, "\(r.stderr)")
        #expect(!r.stderr.contains("symbolic link"), "\(r.stderr)")
        #expect(r.stdout.contains("2 processed, 0 failed, 1 skipped"), "\(r.stdout)")
    }

    /// An escape sequence or a newline in a file name is shown escaped (as failed.jsonl writes it),
    /// in the warnings, the summary lines, errors and quern.log.
    @Test func fileNamesWithControlCharactersAreEscapedOnTheTerminal() throws {
        let ws = TempWorkspace()
        try games(ws, files: 2)
        let red = "evil\u{1B}[31mred\u{1B}[0m.csv"
        let split = "split\nfiles:    999 processed.csv"
        ws.write("in/\(red)", "not,the,header\n1,2,3\n")
        ws.write("in/\(split)", "a,b\n")
        #expect(mkfifo("\(ws.path)/in/fifo\u{1B}]0;title\u{07}.csv", 0o644) == 0)
        let r = try QuernProcess.run(
            ["run", "--config", ExtractEndToEndTests.config, "--input-dir", "in", "--no-hooks"], cwd: ws.path)
        #expect(r.status == 3, "\(r.stderr)")
        let log = try String(contentsOfFile: "\(ws.path)/data/logs/quern.log", encoding: .utf8)
        for (name, text) in [("stdout", r.stdout), ("stderr", r.stderr), ("quern.log", log)] {
            #expect(
                !text.contains("\u{1B}") && !text.contains("\u{07}"),
                "\(name) holds a raw control character: \(text.debugDescription)")
            #expect(
                !text.contains("\n    files:    999 processed") && !text.contains("\nfiles:    999 processed"),
                "\(name): a name split a line: \(text)")
        }
        #expect(r.stdout.contains("evil\\u001b[31mred\\u001b[0m.csv"), "\(r.stdout)")
        #expect(r.stdout.contains("split\\nfiles:    999 processed.csv"), "\(r.stdout)")
        #expect(r.stderr.contains("fifo\\u001b]0;title\\u0007.csv"), "\(r.stderr)")
    }

    /// The one escaping function: controls and bidirectional overrides escaped, text of any script
    /// and backslashes kept; whole messages keep their own line breaks.
    @Test(arguments: [
        ("plain name.csv", "plain name.csv"),
        ("données_日本.csv", "données_日本.csv"),
        ("a\nb", "a\\nb"),
        ("a\r\tb", "a\\r\\tb"),
        ("\u{1B}[2J", "\\u001b[2J"),
        ("x\u{85}y", "x\\u0085y"),
        ("abc\u{202E}gpj.csv", "abc\\u202egpj.csv"),
        ("back\\slash", "back\\slash"),
    ])
    func terminalTextEscapesWhatActsOnATerminal(input: String, expected: String) {
        #expect(TerminalText.escape(input) == expected)
    }

    @Test func terminalTextKeepsTheLineBreaksOfAWholeMessage() {
        #expect(TerminalText.escape("line one\n  line\u{1B}two", keepingNewlines: true) == "line one\n  line\\u001btwo")
    }
}
