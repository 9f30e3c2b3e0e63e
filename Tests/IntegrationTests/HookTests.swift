import Foundation
import QuernCore
import QuernPlugins
import QuernTestSupport
import Testing

/// Real hook scripts run by the real executable.
@Suite("Shell hooks", .serialized)
struct HookTests {
    static let config = ExtractEndToEndTests.config

    /// A workspace with 12 generated games and a hooks folder.
    func workspace() throws -> TempWorkspace {
        let ws = TempWorkspace("quern-hooks")
        let r = try QuernProcess.run(["generate", "--files", "12", "--rows", "5", "--out", "\(ws.path)/in"])
        #expect(r.status == 0)
        return ws
    }

    func hook(_ ws: TempWorkspace, _ name: String, _ body: String, executable: Bool = true) throws {
        try ws.writeHook(name, body, executable: executable)
    }

    func run(_ ws: TempWorkspace, _ extra: [String] = [], config: String = config) throws -> QuernProcess.Result {
        try QuernProcess.run(
            ["run", "--config", config, "--input-dir", "in", "--files-per-batch", "5"] + extra, cwd: ws.path)
    }

    func read(_ ws: TempWorkspace, _ file: String) -> String { ws.text(file) }

    @Test func hooksRunInOrderAndSeeTheirEnvironmentAndContext() throws {
        let ws = try workspace()
        try hook(ws, "pre-merge", "echo pre-merge >> order.log")
        try hook(ws, "pre-merge.d/20-b", "echo 20-b >> order.log")
        try hook(
            ws, "pre-merge.d/10-a.sh",
            "echo 10-a.sh >> order.log; env | grep ^QUERN_ | sort > env.txt; cp \"$QUERN_CONTEXT\" context.json")
        try hook(ws, "pre-merge.d/30-off", "echo 30-off >> order.log", executable: false)
        try hook(ws, "pre-merge.d/40-x.sample", "echo sample >> order.log")
        try hook(ws, "post-batch", "echo \"$QUERN_BATCH_FILE\" >> batches.log")
        try hook(ws, "post-run", "echo \"post-run $QUERN_STATUS\" >> order.log")
        ws.write(
            "hooks.yaml",
            try String(contentsOfFile: Self.config, encoding: .utf8)
                + "\nhooks:\n  commands:\n    pre-merge: [\"echo config-command >> order.log\"]\n")
        let r = try run(ws, config: "\(ws.path)/hooks.yaml")
        #expect(r.status == 0, "\(r.stderr)")
        #expect(read(ws, "order.log") == "pre-merge\n10-a.sh\n20-b\nconfig-command\npost-run ok\n")
        #expect(r.stderr.contains("pre-merge.d/30-off is not executable"))
        #expect(
            read(ws, "batches.log").split(separator: "\n").sorted()
                == (0..<3).map { "\(ws.path)/data/intermediate/batch_00000\($0).npz"[...] })
        let env = read(ws, "env.txt")
        for expected in [
            "QUERN_STAGE=merge", "QUERN_WHEN=pre", "QUERN_MERGE_STRATEGY=concat", "QUERN_CODEC=lz4",
            "QUERN_DATASET=default",
            "QUERN_INPUT_DIR=\(ws.path)/in", "QUERN_INTERMEDIATE_DIR=\(ws.path)/data/intermediate",
            "QUERN_OUTPUT_DIR=\(ws.path)/data/processed",
            "QUERN_CONFIG=\(ws.path)/hooks.yaml", "QUERN_HOOK=pre-merge.d/10-a.sh",
        ] {
            #expect(env.contains(expected + "\n"), "\(expected)")
        }
        #expect(env.contains("QUERN_RUN_ID=") && env.contains("QUERN_OVERRIDES=") && env.contains("QUERN_CONTEXT="))
        let context = try #require(
            try JSONSerialization.jsonObject(with: Data(read(ws, "context.json").utf8)) as? [String: Any])
        #expect((context["stages"] as? [String: Any])?["extract"] != nil)
        #expect((context["batches"] as? [Any])?.count == 3)
        #expect((context["input_files"] as? [String])?.count == 12)
        #expect(
            ((context["config"] as? [String: Any])?["batch"] as? [String: Any])?["files_per_batch"] as? String == "5")
    }

    @Test func aFailingPreHookStopsItsStageAndPostHooksLearnIt() throws {
        let ws = try workspace()
        try hook(ws, "pre-merge", "echo 'the merge is not allowed today' >&2; exit 3")
        try hook(ws, "post-merge", "echo \"$QUERN_STATUS|$QUERN_ERROR\" > post.txt")
        let r = try run(ws)
        #expect(r.status == 1)
        #expect(r.stderr.contains("pre hook pre-merge exited with status 3"))
        #expect(r.stderr.contains("the merge is not allowed today"))
        #expect(
            !FileManager.default.fileExists(atPath: "\(ws.path)/data/processed"), "the stage's output does not appear")
        #expect(
            ws.files(in: "data/intermediate").contains("batch_000000.npz"), "the stages before it keep their output")
        #expect(read(ws, "post.txt").hasPrefix("failed|pre hook pre-merge exited"))
    }

    @Test func aFailingPostHookFailsTheRunAndKeepsTheOutput() throws {
        let ws = try workspace()
        try hook(ws, "post-save", "exit 1")
        var r = try run(ws)
        #expect(r.status == 1)
        #expect(r.stderr.contains("post hook post-save (exit 1) failed"))
        #expect(FileManager.default.fileExists(atPath: "\(ws.path)/data/processed/X_train.npy"))
        ws.write(
            "warn.yaml",
            try String(contentsOfFile: Self.config, encoding: .utf8) + "\nhooks:\n  on_post_failure: warn\n")
        r = try run(ws, config: "\(ws.path)/warn.yaml")
        #expect(r.status == 0)
        #expect(r.stderr.contains("warning: post hook post-save (exit 1) failed"))
    }

    @Test func overridesChangeTheCodecAndTheStrategy() throws {
        let ws = try workspace()
        try hook(ws, "pre-extract", "echo batch.codec=lz4 >> \"$QUERN_OVERRIDES\"")
        try hook(ws, "pre-merge", "printf '# pick dedupe\\nmerge.strategy = dedupe\\n' >> \"$QUERN_OVERRIDES\"")
        let r = try run(ws)
        #expect(r.status == 0, "\(r.stderr)")
        let batch = try BatchFile.load(path: "\(ws.path)/data/intermediate/batch_000000.npz") {
            try PluginRegistry.builtIn.codec(zipMethod: $0)
        }
        #expect(batch.meta.codec == "lz4:-3")
        let stats = try #require(
            try JSONSerialization.jsonObject(with: Data(read(ws, "data/processed/preprocessing_stats.json").utf8))
                as? [String: Any])
        #expect((stats["merge"] as? [String: Any])?["strategy"] as? String == "dedupe")
        let overrides = stats["hook_overrides"] as? [[String: String]] ?? []
        #expect(overrides.map { $0["key"] ?? "" } == ["batch.codec", "merge.strategy"])
        #expect(r.stderr.contains("hook pre-merge set merge.strategy=dedupe"))
    }

    @Test func aBadOverrideIsRejectedNamingTheHook() throws {
        let ws = try workspace()
        try hook(ws, "pre-merge", "echo merge.strategy=nope >> \"$QUERN_OVERRIDES\"")
        var r = try run(ws)
        #expect(r.status == 1)
        #expect(r.stderr.contains("hook pre-merge wrote a bad override") && r.stderr.contains("unknown merge 'nope'"))
        try hook(ws, "pre-merge", "echo batch.cdec=lz4 >> \"$QUERN_OVERRIDES\"")
        r = try run(ws)
        #expect(r.status == 1 && r.stderr.contains("did you mean batch.codec?"))
    }

    @Test func aHangingHookIsKilledAtItsTimeoutWithEverythingItStarted() throws {
        let ws = try workspace()
        try hook(ws, "pre-merge", "sleep 300 & echo $! > child.pid; sleep 300")
        ws.write("short.yaml", try String(contentsOfFile: Self.config, encoding: .utf8) + "\nhooks:\n  timeout: 1\n")
        let started = Date()
        let r = try run(ws, config: "\(ws.path)/short.yaml")
        #expect(r.status == 1)
        #expect(r.stderr.contains("was stopped at its timeout"))
        #expect(Date().timeIntervalSince(started) < 60)
        let child = try #require(Int32(read(ws, "child.pid").trimmingCharacters(in: .whitespacesAndNewlines)))
        usleep(200_000)
        // Gone, or a zombie waiting for its new parent to reap it (PID 1 in some containers never does).
        let stat = (try? String(contentsOfFile: "/proc/\(child)/stat", encoding: .utf8)) ?? ""
        let alive = !stat.isEmpty && !stat.contains(") Z ")
        #expect(!alive, "the hook's background child was ended with its group")
    }

    @Test func sigintReachesTheRunningHookAndQuernExitsCleanly() throws {
        let ws = try workspace()
        try hook(ws, "pre-merge", "sleep 60 & echo $! > child.pid; sleep 60")
        let running = try QuernProcess.start(
            ["run", "--config", Self.config, "--input-dir", "in", "-q"], cwd: ws.path, quietOutput: true)
        let deadline = Date().addingTimeInterval(60)
        while read(ws, "child.pid").isEmpty && Date() < deadline { usleep(10_000) }
        let sent = Date()
        kill(running.pid, SIGINT)
        running.wait()
        #expect(running.wait().status == 130)
        #expect(Date().timeIntervalSince(sent) < 5)
        let child = try #require(Int32(read(ws, "child.pid").trimmingCharacters(in: .whitespacesAndNewlines)))
        usleep(200_000)
        let stat = (try? String(contentsOfFile: "/proc/\(child)/stat", encoding: .utf8)) ?? ""
        #expect(stat.isEmpty || stat.contains(") Z "), "the hook's process group got the signal")
    }

    @Test func hostileFileNamesReachHooksIntactAndRunNothing() throws {
        let ws = try workspace()
        let hostile = "a b'c\"$(touch PWNED);x `touch PWNED2`.csv"
        try FileManager.default.copyItem(atPath: "\(ws.path)/in/game_000000.csv", toPath: "\(ws.path)/in/\(hostile)")
        try hook(
            ws, "post-discover",
            "python3 -c 'import json, os; print(json.dumps(json.load(open(os.environ[\"QUERN_CONTEXT\"]))[\"input_files\"]))' > names.json"
        )
        try hook(ws, "post-batch", "printf '%s\\n' \"$QUERN_BATCH_FILE\" >> batches.log")
        let r = try run(ws)
        #expect(r.status == 0, "\(r.stderr)")
        let names = try JSONSerialization.jsonObject(with: Data(read(ws, "names.json").utf8)) as? [String] ?? []
        #expect(names.contains(hostile))
        let pwned = ["PWNED", "PWNED2"].filter {
            FileManager.default.fileExists(atPath: "\(ws.path)/\($0)")
                || FileManager.default.fileExists(atPath: "\(ws.path)/in/\($0)")
        }
        #expect(pwned.isEmpty)
    }

    /// A hook in a `.d` folder named by bytes that are not UTF-8 cannot be run; it is said, in the
    /// run's warnings and in `quern hooks`, and the other hooks run.
    @Test func aHookWhoseNameIsNotUTF8IsReportedNotLeftOutSilently() throws {
        let ws = try workspace()
        try hook(ws, "pre-extract.d/10-ok", "touch ran-ok")
        #expect(
            ws.makeRaw(
                in: "hooks/pre-extract.d", name: Array("20-".utf8) + [0xFF], contents: Array("#!/bin/sh\ntrue\n".utf8),
                mode: 0o755))
        let r = try run(ws)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(FileManager.default.fileExists(atPath: "\(ws.path)/ran-ok"))
        #expect(
            r.stderr.contains("pre-extract.d/20-\\xff is named with bytes that are not valid UTF-8"), "\(r.stderr)")
        let list = try QuernProcess.run(["hooks"], cwd: ws.path)
        #expect(
            list.stdout.contains("pre-extract.d/20-\\xff: named with bytes that are not valid UTF-8"), "\(list.stdout)")
    }

    @Test func noHooksAndTheListing() throws {
        let ws = try workspace()
        try hook(ws, "pre-extract", "touch ran")
        try hook(ws, "post-save.d/10-a", "true")
        try hook(ws, "pre-mrege", "true")
        let list = try QuernProcess.run(["hooks"], cwd: ws.path)
        #expect(list.stdout.contains("pre-extract:\n    1. pre-extract\n"))
        #expect(list.stdout.contains("post-save:\n    1. post-save.d/10-a\n"))
        #expect(list.stdout.contains("pre-mrege matches no hook point (did you mean pre-merge?)"))
        let r = try run(ws, ["--no-hooks"])
        #expect(r.status == 0)
        #expect(!FileManager.default.fileExists(atPath: "\(ws.path)/ran"))
    }

    /// A hook file still open for writing somewhere (an editor saving it, or a process that
    /// inherited the writer's descriptor across a fork) cannot be executed: ETXTBSY. That lasts
    /// moments, so quern tries again for up to two seconds instead of failing the stage.
    @Test func aHookStillOpenForWritingForAMomentRunsOnceItIsClosed() throws {
        let ws = try workspace()
        try hook(ws, "pre-extract", "echo ran > ran.txt")
        let writer = open("\(ws.path)/hooks/pre-extract", O_WRONLY | O_APPEND | O_CLOEXEC)
        try #require(writer >= 0)
        Thread.detachNewThread {
            usleep(600_000)
            close(writer)
        }
        let r = try run(ws)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(read(ws, "ran.txt") == "ran\n")
    }
}
