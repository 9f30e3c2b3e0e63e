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
        #expect(
            try QuernProcess.run(["generate", "--files", "6", "--rows", "5", "--out", "\(ws.path)/in"]).status == 0)
        return ws
    }

    /// Starts quern with a hook that says it is holding, then sleeps; waits until it holds.
    func startHolder(_ ws: TempWorkspace, hook: String, _ args: [String]) throws -> SpawnedProcess {
        let path = ws.write("hooks/\(hook)", "#!/bin/sh\necho $$ > hook.pid\ntouch holding\nexec sleep 60\n")
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: path)
        // Serial hooks: post-batch runs while the extract still holds its lock.
        ws.write("serial.yaml", try String(contentsOfFile: Self.config, encoding: .utf8) + "\nhooks:\n  serial: true\n")
        let first = try QuernProcess.start(
            args + ["--config", "\(ws.path)/serial.yaml", "-q"], cwd: ws.path, quietOutput: true)
        let deadline = Date().addingTimeInterval(30)
        while !FileManager.default.fileExists(atPath: "\(ws.path)/holding") && Date() < deadline && first.isRunning {
            usleep(10_000)
        }
        #expect(FileManager.default.fileExists(atPath: "\(ws.path)/holding"), "the first quern reached its hook")
        return first
    }

    func killHolder(_ ws: TempWorkspace, _ first: SpawnedProcess) {
        // Frozen first, so it cannot finish cleanly once its hook is gone; then the hook, so nothing
        // the first quern started outlives the test.
        kill(first.pid, SIGSTOP)
        if let text = try? String(contentsOfFile: "\(ws.path)/hook.pid", encoding: .utf8),
            let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines))
        {
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
        let second = try QuernProcess.run(
            ["extract", "--config", Self.config, "--input-dir", "in", "--files-per-batch", "2", "--no-hooks", "-q"],
            cwd: ws.path)
        #expect(second.status == 1)
        #expect(
            second.stderr.contains(
                "another quern is working in this folder (pid \(pid) on \(ProcessInfo.processInfo.hostName), started 20"
            ), "\(second.stderr)"
        )
        #expect(second.stderr.contains(".lock.extract-0-of-1"))

        killHolder(ws, first)
        let third = try QuernProcess.run(
            ["extract", "--config", Self.config, "--input-dir", "in", "--files-per-batch", "2", "--no-hooks"],
            cwd: ws.path)
        #expect(third.status == 0, "\(third.stderr)")
        #expect(
            third.stderr.contains("took over the lock of a quern that stopped without releasing it (pid \(pid)"),
            "\(third.stderr)")
        #expect(
            !FileManager.default.fileExists(atPath: "\(ws.path)/data/intermediate/.lock.extract-0-of-1.holder"),
            "a clean release removes the record")
        #expect(try QuernProcess.run(["verify", "--intermediate-dir", "data/intermediate"], cwd: ws.path).status == 0)
    }

    @Test func shardsOfAnotherCountRefuseWhileAnExtractRuns() throws {
        let ws = try workspace()
        let first = try startHolder(ws, hook: "post-batch", ["extract", "--input-dir", "in", "--files-per-batch", "2"])
        let sharded = try QuernProcess.run(
            [
                "extract", "--config", Self.config, "--input-dir", "in", "--files-per-batch", "2", "--shard", "1/2",
                "--no-hooks", "-q",
            ], cwd: ws.path)
        #expect(sharded.status == 1)
        #expect(
            sharded.stderr.contains(
                "another quern is extracting into this folder as an unsharded extract (pid \(first.pid) on"),
            "\(sharded.stderr)")
        #expect(sharded.stderr.contains("this one would be shard 1/2"), "\(sharded.stderr)")
        #expect(
            !ws.files(in: "data/intermediate").contains { $0.contains("shard-1-of-2") },
            "the refused shard wrote nothing")
        killHolder(ws, first)

        // And the other way round: an unsharded extract while a shard works.
        let shard = try startHolder(
            ws, hook: "post-batch", ["extract", "--input-dir", "in", "--files-per-batch", "2", "--shard", "0/2"])
        let whole = try QuernProcess.run(
            ["extract", "--config", Self.config, "--input-dir", "in", "--files-per-batch", "2", "--no-hooks", "-q"],
            cwd: ws.path)
        #expect(whole.status == 1)
        #expect(whole.stderr.contains("as shard 0/2 (pid \(shard.pid) on"), "\(whole.stderr)")
        // A shard of the same count is not in the way.
        let sibling = try QuernProcess.run(
            [
                "extract", "--config", Self.config, "--input-dir", "in", "--files-per-batch", "2", "--shard", "1/2",
                "--no-hooks", "-q",
            ], cwd: ws.path)
        #expect(sibling.status == 0, "\(sibling.stderr)")
        killHolder(ws, shard)
    }

    @Test func aSecondMergeIntoTheSameOutputRefuses() throws {
        let ws = try workspace()
        #expect(
            try QuernProcess.run(["extract", "--config", Self.config, "--input-dir", "in", "-q"], cwd: ws.path).status
                == 0)
        let first = try startHolder(ws, hook: "pre-split", ["merge"])
        let second = try QuernProcess.run(["merge", "--config", Self.config, "--no-hooks", "-q"], cwd: ws.path)
        #expect(second.status == 1)
        #expect(
            second.stderr.contains("(pid \(first.pid) on \(ProcessInfo.processInfo.hostName), started 20"),
            "\(second.stderr)")
        // Another output folder is not locked by it.
        #expect(
            try QuernProcess.run(
                ["merge", "--config", Self.config, "--no-hooks", "--output-dir", "other", "-q"], cwd: ws.path
            ).status == 0)
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
            // flock is per open file: held even within a process
            #expect(throws: LockError.self) { try FolderLock(folder: ws.path, name: "t") }
        }
        let again = try FolderLock(folder: ws.path, name: "t")
        #expect(again.tookOverFrom == nil, "a released lock leaves no record behind")
    }
}
