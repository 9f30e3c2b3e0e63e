import Foundation
import QuernCore
import QuernTestSupport
import Testing

/// Runs a shell command with extra environment, capturing its output (sbatch, scontrol, runuser).
struct Shell {
    struct Result {
        var status: Int32
        var output: String
    }

    @discardableResult
    static func run(_ command: String, env: [String: String] = [:], cwd: String? = nil) throws -> Result {
        let r = try SpawnedProcess.run(
            ["/bin/bash", "-c", command], env: ProcessInfo.processInfo.environment.merging(env) { $1 }, cwd: cwd)
        return Result(status: r.status, output: r.stdout + r.stderr)
    }
}

/// The arrays of an output folder, by name, and the parts of its stats that do not depend on
/// where or how fast the run went.
func outputArrays(_ dir: String) -> [String: Data] {
    let names = ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).filter {
        $0.hasSuffix(".npy") || $0.hasSuffix(".npz")
    }
    return Dictionary(
        uniqueKeysWithValues: names.map { ($0, FileManager.default.contents(atPath: "\(dir)/\($0)") ?? Data()) })
}

/// Sharded extraction on one machine: `--shard auto` from the scheduler's variables, a merge that
/// names an incomplete shard and the command that redoes it, and scheduler retries.
@Suite("scale out: shards, auto shards, incomplete shards", .serialized)
struct ShardTests {
    static let config = ExtractEndToEndTests.config
    static let flags = ["--config", config, "-q"]
    static let extractFlags = flags + ["--files-per-batch", "5"]

    func reference(_ ws: TempWorkspace) throws -> [String: Data] {
        let r = try QuernProcess.run(
            ["run", "--input-dir", "in", "--intermediate-dir", "ref-im", "--output-dir", "ref-out"] + Self.extractFlags,
            cwd: ws.path)
        #expect(r.status == 0, "\(r.stderr)")
        return outputArrays("\(ws.path)/ref-out")
    }

    @Test func autoShardsFromSlurmVariablesThenAMergeThatNamesTheMissingShard() throws {
        let ws = TempWorkspace()
        #expect(
            try QuernProcess.run(["generate", "--files", "40", "--rows", "12", "--seed", "5", "--out", "\(ws.path)/in"])
                .status == 0)
        let expected = try reference(ws)
        let q = QuernProcess.binary
        // An array submitted as --array=1-4: tasks 1, 2 and 4 run; task 3 (shard 2/4) does not.
        for task in [1, 2, 4] {
            let env = [
                "SLURM_ARRAY_TASK_ID": "\(task)", "SLURM_ARRAY_TASK_MIN": "1", "SLURM_ARRAY_TASK_MAX": "4",
                "SLURM_ARRAY_TASK_COUNT": "4",
            ]
            let r = try Shell.run(
                "'\(q)' extract --input-dir in --intermediate-dir im --shard auto "
                    + Self.extractFlags.joined(separator: " "), env: env, cwd: ws.path)
            #expect(r.status == 0, "\(r.output)")
        }
        #expect(FileManager.default.fileExists(atPath: "\(ws.path)/im/journal.shard-1-of-4.jsonl"))
        #expect(!FileManager.default.fileExists(atPath: "\(ws.path)/im/journal.shard-2-of-4.jsonl"))

        var r = try QuernProcess.run(
            ["merge", "--intermediate-dir", "im", "--output-dir", "out"] + Self.flags, cwd: ws.path)
        #expect(r.status == 1)
        #expect(r.stderr.contains("shard 2/4: batches 2, 6 missing"), "\(r.stderr)")
        #expect(r.stderr.contains("never started"))
        #expect(!FileManager.default.fileExists(atPath: "\(ws.path)/out"), "nothing is published")
        // The message carries the exact command that redoes only that shard: run it as printed.
        let redo = try #require(r.stderr.split(separator: "\n").first { $0.contains("redo only this shard:") })
        let command = String(redo.split(separator: ":", maxSplits: 1)[1]).trimmingCharacters(in: .whitespaces)
        #expect(command.contains("--shard 2/4") && !command.contains("auto"), "\(command)")
        let redone = try Shell.run(command, cwd: ws.path)
        #expect(redone.status == 0, "\(redone.output)")
        #expect(FileManager.default.fileExists(atPath: "\(ws.path)/im/journal.shard-2-of-4.jsonl"))

        r = try QuernProcess.run(
            ["merge", "--intermediate-dir", "im", "--output-dir", "out"] + Self.flags, cwd: ws.path)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(outputArrays("\(ws.path)/out") == expected, "4 shards give the arrays of one process, byte for byte")
    }

    @Test func aFailedShardIsNamedWithItsErrorAndARetryOfACompleteShardDoesNothing() throws {
        let ws = TempWorkspace()
        #expect(
            try QuernProcess.run(["generate", "--files", "20", "--rows", "10", "--seed", "6", "--out", "\(ws.path)/in"])
                .status == 0)
        let expected = try reference(ws)
        let base = ["extract", "--input-dir", "in", "--intermediate-dir", "im"] + Self.extractFlags
        #expect(try QuernProcess.run(base + ["--shard", "0/2"], cwd: ws.path).status == 0)
        // Shard 1 fails: its pre-extract hook refuses (QUERN_SHARD says which shard runs it).
        ws.write(
            "hooks/pre-extract",
            "#!/bin/sh\necho \"shard $QUERN_SHARD\" >> \"$QUERN_INTERMEDIATE_DIR/../hook-shards.txt\"\n[ \"$QUERN_SHARD\" != 1/2 ] || [ -f ok ] || { echo 'scratch volume missing' >&2; exit 1; }\n"
        )
        chmod("\(ws.path)/hooks/pre-extract", 0o755)
        var r = try QuernProcess.run(base + ["--shard", "1/2"], cwd: ws.path)
        #expect(r.status == 1)
        let hookLog = (try? String(contentsOfFile: "\(ws.path)/hook-shards.txt", encoding: .utf8)) ?? ""
        #expect(hookLog == "shard 1/2\n", "\(hookLog)")

        r = try QuernProcess.run(
            ["merge", "--intermediate-dir", "im", "--output-dir", "out"] + Self.flags, cwd: ws.path)
        #expect(r.status == 1)
        #expect(
            r.stderr.contains("shard 1/2: batches 1, 3 missing; it never started"),
            "a hook that refuses stops the shard before it plans: \(r.stderr)")

        // Make the hook pass, redo the shard; then a scheduler's retry of a complete shard does nothing.
        ws.write("ok", "")
        #expect(try QuernProcess.run(base + ["--shard", "1/2"], cwd: ws.path).status == 0)
        let batch = "\(ws.path)/im/batch_000001.npz"
        let before = try FileManager.default.attributesOfItem(atPath: batch)
        let retry = try Shell.run(
            "'\(QuernProcess.binary)' "
                + (base + ["--shard", "auto", "--shard-count", "2"]).map { "'\($0)'" }.joined(separator: " "),
            env: ["SLURM_ARRAY_TASK_ID": "1", "SLURM_ARRAY_TASK_MIN": "1", "SLURM_ARRAY_TASK_COUNT": "1"], cwd: ws.path)
        #expect(retry.status == 0, "\(retry.output)")
        let after = try FileManager.default.attributesOfItem(atPath: batch)
        #expect(
            before[.modificationDate] as? Date == after[.modificationDate] as? Date, "a complete batch is not rewritten"
        )
        r = try QuernProcess.run(
            ["merge", "--intermediate-dir", "im", "--output-dir", "out"] + Self.flags, cwd: ws.path)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(outputArrays("\(ws.path)/out") == expected)
    }

    @Test func aShardSweepsOnlyItsOwnDebrisNeverAFileAnotherShardIsWriting() throws {
        let ws = TempWorkspace()
        #expect(
            try QuernProcess.run(["generate", "--files", "20", "--rows", "5", "--seed", "8", "--out", "\(ws.path)/in"])
                .status == 0)
        // What shard 1 (batches 1 and 3) and shard 0 would have in flight, mid-write.
        let theirs = ws.write("im/.quern-tmp-4242-17-batch_000003.npz", "half a batch")
        let theirProgress = ws.write("im/.quern-tmp-4242-18-progress.shard-1-of-2.json", "{")
        let mine = ws.write("im/.quern-tmp-4243-19-batch_000002.npz", "debris of a crash")
        let base = ["extract", "--input-dir", "in", "--intermediate-dir", "im"] + Self.extractFlags
        #expect(try QuernProcess.run(base + ["--shard", "0/2"], cwd: ws.path).status == 0)
        #expect(
            FileManager.default.fileExists(atPath: theirs) && FileManager.default.fileExists(atPath: theirProgress),
            "another shard's files in flight are left alone")
        #expect(!FileManager.default.fileExists(atPath: mine), "its own debris is swept")
        #expect(try QuernProcess.run(base + ["--shard", "1/2"], cwd: ws.path).status == 0)
        #expect(
            !FileManager.default.fileExists(atPath: theirs) && !FileManager.default.fileExists(atPath: theirProgress))
    }

    @Test func aSecondCopyOfASchedulerTaskWaitsForTheFirstAPersonsSecondCommandRefuses() throws {
        let ws = TempWorkspace()
        #expect(
            try QuernProcess.run(["generate", "--files", "10", "--rows", "10", "--seed", "7", "--out", "\(ws.path)/in"])
                .status == 0)
        try FileManager.default.createDirectory(atPath: "\(ws.path)/im", withIntermediateDirectories: true)
        // Hold the shard's lock the way a running quern does (flock on the lock file).
        let holder = try Process.run(
            URL(fileURLWithPath: "/usr/bin/flock"), arguments: ["\(ws.path)/im/.lock.extract-0-of-2", "sleep", "3"])
        defer { holder.terminate() }
        Thread.sleep(forTimeInterval: 0.3)
        let base = ["extract", "--input-dir", "in", "--intermediate-dir", "im"] + Self.extractFlags
        let refused = try QuernProcess.run(base + ["--shard", "0/2"], cwd: ws.path)
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("another quern is working in this folder"), "\(refused.stderr)")
        let waited = try Shell.run(
            "'\(QuernProcess.binary)' "
                + (base + ["--shard", "auto", "--shard-count", "2"]).map { "'\($0)'" }.joined(separator: " "),
            env: ["SLURM_ARRAY_TASK_ID": "0"], cwd: ws.path)
        #expect(waited.status == 0, "\(waited.output)")
        #expect(waited.output.contains("waiting for it"), "\(waited.output)")
        #expect(FileManager.default.fileExists(atPath: "\(ws.path)/im/batch_000000.npz"))
    }

    /// The JSON events of a log folder, one per line, each line whole.
    func events(_ dir: String) throws -> [[String: Any]] {
        let text = try String(contentsOfFile: "\(dir)/\(RunLog.eventsFile)", encoding: .utf8)
        #expect(text.hasSuffix("\n"))
        return try text.split(separator: "\n").map { line in
            try #require(
                try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "a whole JSON line: \(line)")
        }
    }

    @Test func shardsSharingALogFolderEachLogToTheirOwnSubfolder() throws {
        let ws = TempWorkspace()
        #expect(
            try QuernProcess.run(["generate", "--files", "20", "--rows", "10", "--seed", "4", "--out", "\(ws.path)/in"])
                .status == 0)
        func extract(_ im: String, logs: String) -> [String] {
            ["extract", "--input-dir", "in", "--intermediate-dir", im, "--log-dir", logs] + Self.extractFlags
        }
        let base = extract("im", logs: "logs")
        // Two shards at once, as on two nodes: one given as K/N, one from a Slurm array task.
        let shard0 = try QuernProcess.start(base + ["--shard", "0/2"], cwd: ws.path)
        let shard1 = try QuernProcess.start(
            base + ["--shard", "auto"], cwd: ws.path,
            env: ["SLURM_ARRAY_TASK_ID": "1", "SLURM_ARRAY_TASK_MIN": "0", "SLURM_ARRAY_TASK_COUNT": "2"])
        for p in [shard0, shard1] {
            let end = p.wait()
            #expect(end.status == 0 && end.signal == nil, "\(p.output().stderr)")
        }

        // Nothing is appended to, or replaced in, the shared folder itself.
        for file in [RunLog.eventsFile, RunLog.humanFile, RunLog.summaryFile] {
            #expect(
                !FileManager.default.fileExists(atPath: "\(ws.path)/logs/\(file)"), "logs/\(file) is shared by no shard"
            )
        }
        var filesOK = 0
        var runIds: Set<String> = []
        for (k, arg) in [(0, "0/2"), (1, "auto")] {
            let dir = "\(ws.path)/logs/shard-\(k)-of-2"
            let all = try events(dir)
            let ids = Set(all.compactMap { $0["run_id"] as? String })
            #expect(ids.count == 1, "shard \(k)'s events are its own run's only: \(ids)")
            let started = try #require(all.first { $0["event"] as? String == "run_started" })
            #expect((started["argv"] as? [String])?.contains(arg) == true, "shard \(k): \(started)")
            #expect(all.last?["event"] as? String == "run_finished")
            let human = try String(contentsOfFile: "\(dir)/\(RunLog.humanFile)", encoding: .utf8)
            #expect(human.contains("extract: ok in "), "\(human)")
            let summary = try #require(RunSummary.read(from: dir), "shard \(k) has its own summary.json")
            #expect(summary.command == "extract" && summary.status == "ok" && ids == [summary.runId], "\(summary)")
            #expect(summary.batches == 2, "shard \(k) made batches \(k) and \(k + 2)")
            filesOK += summary.filesOK ?? 0
            runIds.insert(summary.runId)
        }
        #expect(filesOK == 20, "the two summaries together count every file once")
        #expect(runIds.count == 2)

        // The merge, not a shard, logs at the top; the shards' summaries stay.
        let merged = try QuernProcess.run(
            ["merge", "--intermediate-dir", "im", "--output-dir", "out", "--log-dir", "logs"] + Self.flags, cwd: ws.path
        )
        #expect(merged.status == 0, "\(merged.stderr)")
        #expect(RunSummary.read(from: "\(ws.path)/logs")?.command == "merge")
        #expect(RunSummary.read(from: "\(ws.path)/logs/shard-0-of-2")?.command == "extract")
        // One shard of one is the whole run: no subfolder.
        let whole = try QuernProcess.run(extract("im1", logs: "logs1") + ["--shard", "0/1"], cwd: ws.path)
        #expect(whole.status == 0, "\(whole.stderr)")
        #expect(RunSummary.read(from: "\(ws.path)/logs1")?.command == "extract")
        #expect(ws.files(in: "logs1").allSatisfy { !$0.hasPrefix("shard-") }, "\(ws.files(in: "logs1"))")
    }
}
