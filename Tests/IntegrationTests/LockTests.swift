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
    func startHolder(_ ws: TempWorkspace, hook: String, _ args: [String]) throws -> SpawnedProcess {
        let path = ws.write("hooks/\(hook)", "#!/bin/sh\necho $$ > hook.pid\ntouch holding\nexec sleep 60\n")
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: path)
        // Serial hooks: post-batch runs while the extract still holds its lock.
        ws.write("serial.yaml", try String(contentsOfFile: Self.config, encoding: .utf8) + "\nhooks:\n  serial: true\n")
        let first = try QuernProcess.start(args + ["--config", "\(ws.path)/serial.yaml", "-q"], cwd: ws.path, quietOutput: true)
        let deadline = Date().addingTimeInterval(30)
        while !FileManager.default.fileExists(atPath: "\(ws.path)/holding") && Date() < deadline && first.isRunning { usleep(10_000) }
        #expect(FileManager.default.fileExists(atPath: "\(ws.path)/holding"), "the first quern reached its hook")
        return first
    }

    func killHolder(_ ws: TempWorkspace, _ first: SpawnedProcess) {
        // Frozen first, so it cannot finish cleanly once its hook is gone; the hook before the wait,
        // as Foundation's Process waits for the child's output pipes, which the hook holds too.
        kill(first.pid, SIGSTOP)
        if let text = try? String(contentsOfFile: "\(ws.path)/hook.pid", encoding: .utf8), let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)) {
            kill(pid, SIGKILL)
        }
        kill(first.pid, SIGKILL)
        first.wait()
        try? FileManager.default.removeItem(atPath: "\(ws.path)/holding")
        try? FileManager.default.removeItem(atPath: "\(ws.path)/hooks")
    }

    @Test func aSecondExtractRefusesNamingTheHolderAndTakesOverAfterItDies() throws {
        let ws = try workspace()
        let first = try startHolder(ws, hook: "post-batch", ["extract", "--input-dir", "in", "--files-per-batch", "2"])
        let pid = first.pid
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
        #expect(second.stderr.contains("(pid \(first.pid) on \(ProcessInfo.processInfo.hostName), started 20"), "\(second.stderr)")
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
