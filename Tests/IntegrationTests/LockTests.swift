import Foundation
import QuernCore
import QuernTestSupport
import Testing

/// One writer per folder, with two real quern processes: the second refuses naming the first
/// (pid, host, start time); after the first is killed, its lock is taken over.
@Suite("Folder locks between processes", .serialized)
struct LockTests {
    static let config = ExtractEndToEndTests.config

    func workspace() throws -> TempWorkspace {
        let ws = TempWorkspace("quern-lock")
        #expect(try QuernProcess.run(["generate", "--files", "6", "--rows", "5", "--out", "\(ws.path)/in"]).status == 0)
        return ws
    }

    /// Starts quern with a hook that says it is holding, then sleeps; waits until it holds.
    func startHolder(_ ws: TempWorkspace, hook: String, _ args: [String]) throws -> QuernProcess.Running {
        let path = ws.write("hooks/\(hook)", "#!/bin/sh\necho $$ > hook.pid\ntouch holding\nexec sleep 60\n")
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: path)
        // Serial hooks: post-batch runs while the extract still holds its lock.
        ws.write("serial.yaml", try String(contentsOfFile: Self.config, encoding: .utf8) + "\nhooks:\n  serial: true\n")
        let first = try QuernProcess.start(args + ["--config", "\(ws.path)/serial.yaml", "-q"], cwd: ws.path, quietOutput: true)
        let deadline = Date().addingTimeInterval(30)
        while !FileManager.default.fileExists(atPath: "\(ws.path)/holding") && Date() < deadline && first.process.isRunning { usleep(10_000) }
        #expect(FileManager.default.fileExists(atPath: "\(ws.path)/holding"), "the first quern reached its hook")
        return first
    }

    func killHolder(_ ws: TempWorkspace, _ first: QuernProcess.Running) {
        // Frozen first, so it cannot finish cleanly once its hook is gone; the hook before the wait,
        // as Foundation's Process waits for the child's output pipes, which the hook holds too.
        kill(first.process.processIdentifier, SIGSTOP)
        if let text = try? String(contentsOfFile: "\(ws.path)/hook.pid", encoding: .utf8), let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)) {
            kill(pid, SIGKILL)
        }
        kill(first.process.processIdentifier, SIGKILL)
        first.process.waitUntilExit()
        try? FileManager.default.removeItem(atPath: "\(ws.path)/holding")
        try? FileManager.default.removeItem(atPath: "\(ws.path)/hooks")
    }

    @Test func aSecondExtractRefusesNamingTheHolderAndTakesOverAfterItDies() throws {
        let ws = try workspace()
        let first = try startHolder(ws, hook: "post-batch", ["extract", "--input-dir", "in", "--files-per-batch", "2"])
        let pid = first.process.processIdentifier
        let second = try QuernProcess.run(["extract", "--config", Self.config, "--input-dir", "in", "--files-per-batch", "2", "--no-hooks", "-q"], cwd: ws.path)
        #expect(second.status == 1)
        #expect(second.stderr.contains("another quern is working in this folder (pid \(pid) on \(ProcessInfo.processInfo.hostName), started 20"), "\(second.stderr)")
        #expect(second.stderr.contains(".lock.extract-0-of-1"))

        killHolder(ws, first)
        let third = try QuernProcess.run(["extract", "--config", Self.config, "--input-dir", "in", "--files-per-batch", "2", "--no-hooks"], cwd: ws.path)
        #expect(third.status == 0, "\(third.stderr)")
        #expect(third.stderr.contains("took over the lock of a quern that stopped without releasing it (pid \(pid)"), "\(third.stderr)")
        #expect(!FileManager.default.fileExists(atPath: "\(ws.path)/data/intermediate/.lock.extract-0-of-1.holder"), "a clean release removes the record")
        #expect(try QuernProcess.run(["verify", "--intermediate-dir", "data/intermediate"], cwd: ws.path).status == 0)
    }

    @Test func aSecondMergeIntoTheSameOutputRefuses() throws {
        let ws = try workspace()
        #expect(try QuernProcess.run(["extract", "--config", Self.config, "--input-dir", "in", "-q"], cwd: ws.path).status == 0)
        let first = try startHolder(ws, hook: "pre-split", ["merge"])
        let second = try QuernProcess.run(["merge", "--config", Self.config, "--no-hooks", "-q"], cwd: ws.path)
        #expect(second.status == 1)
        #expect(second.stderr.contains("(pid \(first.process.processIdentifier) on \(ProcessInfo.processInfo.hostName), started 20"), "\(second.stderr)")
        // Another output folder is not locked by it.
        #expect(try QuernProcess.run(["merge", "--config", Self.config, "--no-hooks", "--output-dir", "other", "-q"], cwd: ws.path).status == 0)
        killHolder(ws, first)
        let third = try QuernProcess.run(["merge", "--config", Self.config, "--no-hooks"], cwd: ws.path)
        #expect(third.status == 0, "\(third.stderr)")
        #expect(third.stderr.contains("took over the lock"))
        #expect(!ws.files(in: "data").contains { $0.contains(".staging-") }, "the dead merge's staging folder is gone")
    }

    @Test func theLockIsFreeAgainAfterACleanRelease() throws {
        let ws = TempWorkspace()
        do {
            let lock = try FolderLock(folder: ws.path, name: "t")
            #expect(lock.tookOverFrom == nil)
            #expect(throws: LockError.self) { try FolderLock(folder: ws.path, name: "t") }  // flock is per open file: held even within a process
        }
        let again = try FolderLock(folder: ws.path, name: "t")
        #expect(again.tookOverFrom == nil, "a released lock leaves no record behind")
    }
}

/// The debris sweep at the start of an extract removes only temporary files whose writer is gone:
/// another shard's write in progress in the same folder is left alone.
@Suite("Debris sweep")
struct DebrisSweepTests {
    @Test func onlyTheWritesOfGoneProcessesAreSwept() throws {
        let ws = TempWorkspace("quern-sweep")
        #expect(try QuernProcess.run(["generate", "--files", "3", "--rows", "5", "--out", "\(ws.path)/in"]).status == 0)
        try FileManager.default.createDirectory(atPath: "\(ws.path)/mid", withIntermediateDirectories: true)
        // A write in progress of a live process on this host: this test's own.
        let live = (AtomicFile.tempPath(for: "\(ws.path)/mid/batch_000007.npz") as NSString).lastPathComponent
        // The same from a process that is gone.
        let gone = Process()
        gone.executableURL = URL(fileURLWithPath: "/bin/true")
        try gone.run()
        gone.waitUntilExit()
        let fields = live.dropFirst(AtomicFile.tempPrefix.count).split(separator: "-", maxSplits: 3)
        let dead = "\(AtomicFile.tempPrefix)\(fields[0])-\(gone.processIdentifier)-\(fields[2])-\(fields[3])"
        let otherHostNew = "\(AtomicFile.tempPrefix)00000000-123-456-batch_000001.npz"
        let otherHostOld = "\(AtomicFile.tempPrefix)00000000-124-456-batch_000002.npz"
        for name in [live, dead, otherHostNew, otherHostOld] { ws.write("mid/\(name)", "partial") }
        #expect(try QuernProcess.shell("touch -d '3 days ago' mid/\(otherHostOld)", cwd: ws.path) == 0)
        let r = try QuernProcess.run(["extract", "--config", ExtractEndToEndTests.config, "--input-dir", "in", "--intermediate-dir", "mid", "-q"], cwd: ws.path)
        #expect(r.status == 0, "\(r.stderr)")
        let left = Set(ws.files(in: "mid").filter { $0.hasPrefix(AtomicFile.tempPrefix) })
        #expect(left == [live, otherHostNew], "kept: a live writer's and a recent one from another host")
    }
}
