import Foundation
import QuernCore
import QuernTestSupport
import Testing

/// What a person at a terminal sees and relies on: a progress bar that fits the window, an ETA,
/// the version, quern.yaml picked up from the current folder, logs kept with the data.
@Suite("Terminal and conventions", .serialized)
struct TerminalTests {
    static let config = ExtractEndToEndTests.config

    /// A workspace with generated games files in `in/`.
    func inputs(files: Int = 30, rows: Int = 40) throws -> TempWorkspace {
        let ws = TempWorkspace("quern-terminal")
        #expect(
            try QuernProcess.run(["generate", "--files", "\(files)", "--rows", "\(rows)", "--out", "\(ws.path)/in"])
                .status == 0)
        return ws
    }

    /// Runs quern with stderr on a pseudo-terminal `columns` wide (0: the terminal reports no
    /// size, so $COLUMNS decides) and returns what the terminal received.
    func onTerminal(_ args: [String], columns: Int, env: [String: String] = [:], cwd: String) throws -> (
        status: Int32, text: String
    ) {
        let script = """
            import fcntl, json, os, pty, struct, subprocess, sys, termios
            cols = int(sys.argv[1])
            m, s = pty.openpty()
            if cols > 0:
                fcntl.ioctl(s, termios.TIOCSWINSZ, struct.pack('HHHH', 24, cols, 0, 0))
            p = subprocess.Popen(sys.argv[2:], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=s)
            os.close(s)
            out = b''
            while True:
                try:
                    chunk = os.read(m, 65536)
                except OSError:
                    break
                if not chunk:
                    break
                out += chunk
            print(json.dumps({'status': p.wait(), 'text': out.decode('utf-8', 'replace')}))
            """
        let r = try SpawnedProcess.run(
            [QuernProcess.pythonWithNumpy, "-c", script, "\(columns)", QuernProcess.binary] + args,
            env: ProcessInfo.processInfo.environment.merging(env) { $1 }, cwd: cwd)
        let object = try #require(
            try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any], "\(r.stderr)")
        return (Int32(object["status"] as? Int ?? -1), object["text"] as? String ?? "")
    }

    /// Each redraw of a progress bar: the text between carriage returns and newlines, the
    /// erase-to-end-of-line sequence removed.
    func redraws(_ text: String) -> [String] {
        // By scalars: "\r\n" is one Character in Swift.
        text.replacingOccurrences(of: "\u{1B}[K", with: "").unicodeScalars.split(whereSeparator: {
            $0 == "\r" || $0 == "\n"
        }).map {
            String(String.UnicodeScalarView($0))
        }
        .filter { ($0.hasPrefix("extract ") || $0.hasPrefix("merge ")) && $0.contains("%") }
    }

    @Test(arguments: [(40, [String: String]()), (80, [:]), (0, ["COLUMNS": "50"])])
    func progressBarRedrawsNeverExceedTheTerminalWidth(columns: Int, env: [String: String]) throws {
        let ws = try inputs()
        let r = try onTerminal(
            ["run", "--config", Self.config, "--input-dir", "in", "--files-per-batch", "5"], columns: columns, env: env,
            cwd: ws.path)
        #expect(r.status == 0, "\(r.text)")
        let lines = redraws(r.text)
        let width = columns > 0 ? columns : 50
        #expect(lines.contains { $0.hasPrefix("extract ") } && lines.contains { $0.hasPrefix("merge ") }, "\(r.text)")
        for line in lines { #expect(line.count < width, "\(line.count) > \(width): \(line)") }
    }

    @Test func mergeShowsAnEstimateOnceRowsFlow() throws {
        let ws = try inputs()
        let r = try onTerminal(
            ["run", "--config", Self.config, "--input-dir", "in", "--files-per-batch", "5"], columns: 250, cwd: ws.path)
        let merge = redraws(r.text).filter { $0.hasPrefix("merge ") }
        #expect(!merge.isEmpty, "\(r.text)")
        #expect(merge.allSatisfy { $0.contains("ETA ") && !$0.contains("ETA --") }, "\(merge)")
    }

    @Test func versionIsPrintedLoggedAndInTheSummary() throws {
        let v = try QuernProcess.run(["--version"])
        #expect(v.status == 0)
        #expect(v.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == QuernVersion.current)
        let ws = try inputs(files: 5)
        #expect(
            try QuernProcess.run(["run", "--config", Self.config, "--input-dir", "in", "-q"], cwd: ws.path).status == 0)
        let summary = try #require(
            try JSONSerialization.jsonObject(with: Data(ws.text("data/logs/summary.json").utf8)) as? [String: Any])
        #expect(summary["quern_version"] as? String == QuernVersion.current)
        let started = ws.text("data/logs/events.jsonl").split(separator: "\n").first { $0.contains("\"run_started\"") }
        #expect(started?.contains("\"version\":\"\(QuernVersion.current)\"") == true, "\(started ?? "")")
        #expect(ws.text("data/logs/quern.log").contains("quern \(QuernVersion.current) run started"))
    }

    @Test func quernYamlInTheCurrentFolderIsUsedAndSaidSo() throws {
        let ws = try inputs(files: 5)
        // Without a config the tabular extractor has no label; with it, the games labels are there.
        _ = ws.write("quern.yaml", try String(contentsOfFile: Self.config, encoding: .utf8))
        let r = try QuernProcess.run(["run", "--input-dir", "in"], cwd: ws.path)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.contains("using quern.yaml in the current folder (no --config given)"))
        #expect(FileManager.default.fileExists(atPath: "\(ws.path)/data/processed/labels_train.npz"))
        let quiet = try QuernProcess.run(["run", "--input-dir", "in", "-q", "--output-dir", "out2"], cwd: ws.path)
        #expect(quiet.status == 0 && !quiet.stderr.contains("using quern.yaml"), "\(quiet.stderr)")
        // An explicit --config wins, and no note is given.
        let other = ws.write("other.yaml", "batch:\n  codec: bogus\n")
        let explicit = try QuernProcess.run(["run", "--config", other, "--input-dir", "in"], cwd: ws.path)
        #expect(
            explicit.status != 0 && explicit.stderr.contains("bogus") && !explicit.stderr.contains("using quern.yaml"),
            "\(explicit.stderr)")
    }

    @Test func logsGoBesideTheIntermediateFolderUnlessSetElsewhere() throws {
        let ws = try inputs(files: 5)
        var r = try QuernProcess.run(
            ["run", "--config", Self.config, "--input-dir", "in", "--intermediate-dir", "work/batches", "-q"],
            cwd: ws.path)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(FileManager.default.fileExists(atPath: "\(ws.path)/work/logs/summary.json"))
        #expect(!FileManager.default.fileExists(atPath: "\(ws.path)/data/logs"))
        r = try QuernProcess.run(
            [
                "run", "--config", Self.config, "--input-dir", "in", "--intermediate-dir", "work/batches", "--log-dir",
                "mylogs", "-q",
            ], cwd: ws.path)
        #expect(
            r.status == 0 && FileManager.default.fileExists(atPath: "\(ws.path)/mylogs/summary.json"), "\(r.stderr)")
        // paths.logs in the file, and the environment over the file.
        let withLogs = ws.write(
            "logs.yaml",
            try String(contentsOfFile: Self.config, encoding: .utf8).replacingOccurrences(
                of: "paths:\n", with: "paths:\n  logs: filelogs\n"))
        r = try QuernProcess.run(
            ["run", "--config", withLogs, "--input-dir", "in", "-q", "--output-dir", "o1"], cwd: ws.path)
        #expect(
            r.status == 0 && FileManager.default.fileExists(atPath: "\(ws.path)/filelogs/summary.json"), "\(r.stderr)")
        r = try QuernProcess.run(
            ["run", "--config", withLogs, "--input-dir", "in", "-q", "--output-dir", "o2"], cwd: ws.path,
            env: ["QUERN_PATHS_LOGS": "envlogs"])
        #expect(
            r.status == 0 && FileManager.default.fileExists(atPath: "\(ws.path)/envlogs/summary.json"), "\(r.stderr)")
    }
}
