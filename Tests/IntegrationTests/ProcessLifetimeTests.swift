import Foundation
import QuernCore
import QuernTestSupport
import Testing

/// How a quern process starts and ends: under a too small memory limit it says so at once; its
/// child querns die with it; after Ctrl-C the next run finds nothing left behind.
@Suite("Process lifetime", .serialized)
struct ProcessLifetimeTests {
    static let config = ExtractEndToEndTests.config

    func workspace(_ input: String = "in") throws -> TempWorkspace {
        let ws = TempWorkspace("quern-lifetime")
        let r = try QuernProcess.run(["generate", "--files", "6", "--rows", "5", "--out", "\(ws.path)/\(input)"])
        #expect(r.status == 0)
        return ws
    }

    func hook(_ ws: TempWorkspace, _ name: String, _ body: String) throws { try ws.writeHook(name, body) }

    func read(_ ws: TempWorkspace, _ file: String) -> String { ws.text(file) }

    func waitFor(_ ws: TempWorkspace, _ file: String) {
        let deadline = Date().addingTimeInterval(60)
        while read(ws, file).isEmpty && Date() < deadline { usleep(10_000) }
    }

    /// Whether `pid` is a live process (a zombie waiting to be reaped has ended).
    func isAlive(_ pid: Int32) -> Bool {
        let stat = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)) ?? ""
        return !stat.isEmpty && !stat.contains(") Z ")
    }

    @Test func aTooSmallAddressSpaceLimitFailsFastWithAMessage() throws {
        // `timeout` only guards the test against the old hang; the point is the message. The
        // limit (146 MiB, under quern's 512) leaves the dynamic loader room to map quern's shared
        // libraries (libhdf5 brings libcurl, Kerberos, LDAP: about 110 MiB of address space)
        // before quern's own check can speak; below that the loader fails before main.
        for command in ["--help", "run --config \(Self.config) --input-dir in"] {
            let r = try SpawnedProcess.run([
                "/bin/bash", "-c", "ulimit -v 150000; exec timeout 60 \"$0\" \(command)", QuernProcess.binary,
            ])
            #expect(r.status == 1, "\(command): status \(r.status) \(r.stderr.prefix(500))")
            #expect(r.stderr.contains("ulimit -v"), "\(r.stderr.prefix(500))")
            #expect(!r.stderr.contains("Fatal error"))
        }
        let ok = try SpawnedProcess.run([
            "/bin/bash", "-c", "ulimit -v 4000000; exec timeout 60 \"$0\" --help", QuernProcess.binary,
        ])
        #expect(ok.status == 0, "a generous limit is fine: \(ok.stderr.prefix(500))")
    }

    @Test func aCleanCtrlCLeavesNoTakeoverMessage() throws {
        let ws = try workspace()
        // A serial post-batch hook runs while extract holds its folder's lock.
        try hook(ws, "post-batch", "echo started > started.txt; sleep 60")
        ws.write("serial.yaml", try String(contentsOfFile: Self.config, encoding: .utf8) + "\nhooks:\n  serial: true\n")
        let running = try QuernProcess.start(
            ["run", "--config", "serial.yaml", "--input-dir", "in", "--files-per-batch", "3"], cwd: ws.path,
            quietOutput: true)
        waitFor(ws, "started.txt")
        kill(running.pid, SIGINT)
        #expect(running.wait().status == 130)
        try hook(ws, "post-batch", "true")
        let r = try QuernProcess.run(
            ["run", "--config", "serial.yaml", "--input-dir", "in", "--files-per-batch", "3"], cwd: ws.path)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(!r.stderr.contains("took over"), "\(r.stderr)")
        #expect(!r.stderr.contains("stopped without releasing"), "\(r.stderr)")
    }

    @Test func aQuernKilledHardIsStillReportedAsTakenOver() throws {
        let ws = try workspace()
        // A serial post-batch hook runs while extract holds its folder's lock.
        try hook(ws, "post-batch", "echo started > started.txt; sleep 60")
        ws.write("serial.yaml", try String(contentsOfFile: Self.config, encoding: .utf8) + "\nhooks:\n  serial: true\n")
        let running = try QuernProcess.start(
            ["run", "--config", "serial.yaml", "--input-dir", "in", "--files-per-batch", "3"], cwd: ws.path,
            quietOutput: true)
        waitFor(ws, "started.txt")
        kill(running.pid, SIGKILL)
        running.wait()
        try hook(ws, "post-batch", "true")
        let r = try QuernProcess.run(
            ["run", "--config", "serial.yaml", "--input-dir", "in", "--files-per-batch", "3"], cwd: ws.path)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.contains("took over the lock"), "\(r.stderr)")
    }

    /// `quern run --datasets` runs each dataset in a child quern (as `quern compare` runs its
    /// merges, through the same ChildProcess): SIGKILL of the parent ends the child too, so an
    /// immediate re-run does not fail that dataset on its lock.
    @Test func childQuernsDieWithTheirParent() throws {
        let ws = try workspace("many/a")
        // The child `quern run` of dataset a runs this hook; $PPID is that child.
        try hook(ws, "pre-merge", "echo $PPID > child.pid; sleep 60")
        let args = ["run", "--config", Self.config, "--datasets", "many"]
        let parent = try QuernProcess.start(args, cwd: ws.path, quietOutput: true)
        waitFor(ws, "child.pid")
        let child = try #require(Int32(read(ws, "child.pid").trimmingCharacters(in: .whitespacesAndNewlines)))
        defer { kill(child, SIGKILL) }
        kill(parent.pid, SIGKILL)
        parent.wait()
        let gone = Date().addingTimeInterval(20)
        while isAlive(child) && Date() < gone { usleep(20_000) }
        #expect(!isAlive(child), "the child quern \(child) ended with its parent")
        try hook(ws, "pre-merge", "true")
        let again = try QuernProcess.run(args, cwd: ws.path)
        #expect(again.status == 0, "a re-run finds no lock held: \(again.stdout)\(again.stderr)")
    }
}
