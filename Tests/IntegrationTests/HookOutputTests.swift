import Foundation
import QuernCore
import QuernPlugins
import QuernTestSupport
import Testing

/// What quern does with a hook's output: reads it without ever closing a descriptor under its
/// reader, stops reading when the hook is done (a daemon's later output goes nowhere), and keeps a
/// bounded amount of it in the console and the log.
@Suite("Hook output", .serialized)
struct HookOutputTests {
    static let config = ExtractEndToEndTests.config

    func workspace(files: Int = 12, rows: Int = 20) throws -> TempWorkspace {
        let ws = TempWorkspace("quern-hook-output")
        let r = try QuernProcess.run(["generate", "--files", "\(files)", "--rows", "\(rows)", "--out", "\(ws.path)/in"])
        #expect(r.status == 0)
        return ws
    }

    func hook(_ ws: TempWorkspace, _ name: String, _ body: String) throws { try ws.writeHook(name, body) }

    func read(_ ws: TempWorkspace, _ file: String) -> String { ws.text(file) }

    /// Ends the process groups whose leaders' pids a hook wrote to `file` (one per line).
    func killGroups(_ ws: TempWorkspace, _ file: String) {
        for line in read(ws, file).split(separator: "\n") {
            if let pid = Int32(line.trimmingCharacters(in: .whitespaces)), pid > 1 { kill(-pid, SIGKILL) }
        }
    }

    @Test func aDaemonLeftByAPostBatchHookCannotCorruptBatches() throws {
        let ws = try workspace(files: 48, rows: 300)
        // $$ is the hook's shell: the leader of its process group, which the daemon shares.
        try hook(ws, "post-batch", "echo $$ >> groups.txt\n( while true; do echo tick; sleep 0.01; done ) &\nexit 0")
        defer { killGroups(ws, "groups.txt") }
        // Serial post-batch hooks: while one worker waits for its hook's output to end, the other
        // opens and writes files, so a descriptor closed under a reader is soon reused.
        ws.write("serial.yaml", try String(contentsOfFile: Self.config, encoding: .utf8) + "\nhooks:\n  serial: true\n")
        let r = try QuernProcess.run(
            ["run", "--config", "serial.yaml", "--input-dir", "in", "--files-per-batch", "3", "--workers", "2", "-q"],
            cwd: ws.path)
        #expect(r.status == 0, "\(r.stderr.suffix(2000))")
        #expect(!r.stderr.contains("Bad file descriptor"), "\(r.stderr.suffix(2000))")
        let verify = try QuernProcess.run(
            ["verify", "--intermediate-dir", "data/intermediate", "--output-dir", "data/processed"], cwd: ws.path)
        #expect(verify.status == 0, "\(verify.stdout)\(verify.stderr)")
        let batches = ws.files(in: "data/intermediate").filter { $0.hasSuffix(".npz") }
        #expect(batches.count == 16)
        for b in batches {
            let attributes = try FileManager.default.attributesOfItem(atPath: "\(ws.path)/data/intermediate/\(b)")
            #expect((attributes[.size] as? Int ?? 0) > 0, "\(b) is empty")
            _ = try BatchFile.load(path: "\(ws.path)/data/intermediate/\(b)") {
                try PluginRegistry.builtIn.codec(zipMethod: $0)
            }
        }
        // Every row reached the outputs: 48 files of 300 rows.
        let count = try QuernProcess.python(
            "import numpy as np, sys; print(sum(np.load(f'data/processed/X_{s}.npy').shape[0] for s in ['train', 'val', 'test']))",
            cwd: ws.path)
        #expect(count.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "14400", "\(count.stderr)")
        // The daemons' output after their hook ended went nowhere: their pipes were closed, so
        // the next `echo` ends them with SIGPIPE.
        usleep(300_000)
        let alive = read(ws, "groups.txt").split(separator: "\n").compactMap { Int32($0) }.filter { kill(-$0, 0) == 0 }
        let living = alive.filter { group in
            // A zombie waiting for its new parent to reap it has ended.
            let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
            return tasks.contains { pid in
                guard let p = Int32(pid), let stat = try? String(contentsOfFile: "/proc/\(p)/stat", encoding: .utf8)
                else { return false }
                let fields = stat.split(separator: ")").last?.split(separator: " ") ?? []
                return fields.count > 3 && fields[0] != "Z" && Int32(fields[3]) == group
            }
        }
        #expect(living.isEmpty, "daemons still writing after their hook ended: groups \(living)")
    }

    @Test func aHookPrintingManyLinesFinishesAndTheLogSaysHowMuchWasCut() throws {
        let ws = try workspace()
        try hook(ws, "pre-merge", "seq 1 200000; seq 1 1000 >&2")
        ws.write("t.yaml", try String(contentsOfFile: Self.config, encoding: .utf8) + "\nhooks:\n  timeout: 60\n")
        let r = try QuernProcess.run(
            ["run", "--config", "\(ws.path)/t.yaml", "--input-dir", "in", "--files-per-batch", "5"], cwd: ws.path)
        #expect(r.status == 0, "\(r.stderr.suffix(1000))")
        #expect(!r.stderr.contains("stopped at its"), "the hook did not time out")
        let events = read(ws, "data/logs/events.jsonl")
        #expect(events.contains("[pre-merge] 1\\n[pre-merge] 2\\n"), "the first lines are kept")
        #expect(!events.contains("[pre-merge] 200000"), "the end of its output is cut")
        #expect(events.contains("lines) of its output were not kept"), "the log says how much was cut")
        #expect(events.utf8.count < 4 << 20, "the log holds a bounded amount: \(events.utf8.count) bytes")
        #expect(events.split(separator: "\n").count < 2000, "output is logged in batches, not an event a line")
    }

    @Test func aHookWritingOneHugeLineIsCappedInTheLog() throws {
        let ws = try workspace()
        try hook(ws, "pre-merge", "head -c 20000000 /dev/zero | tr '\\0' x")
        let r = try QuernProcess.run(
            ["run", "--config", Self.config, "--input-dir", "in", "--files-per-batch", "5"], cwd: ws.path)
        #expect(r.status == 0, "\(r.stderr.suffix(1000))")
        let events = read(ws, "data/logs/events.jsonl")
        #expect(events.contains("[pre-merge] xxxxxxxx"))
        #expect(events.utf8.count < 2 << 20, "the 20 MB line is cut: \(events.utf8.count) bytes")
        #expect(events.contains("bytes of this line were not kept"))
        #expect(r.stderr.utf8.count < 2 << 20)
    }
}
