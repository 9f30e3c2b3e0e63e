import Foundation
import QuernCore
import QuernTestSupport
import Testing

/// `quern slurm` on a real single-node Slurm cluster that the test starts on this machine
/// (`.ci/slurm-cluster.sh`: installs slurm-wlm and munge from Debian when missing). When the
/// daemons cannot start, the test fails and says why: it never passes without running the jobs.
///
/// The jobs run as `nobody` when the tests run as root, as a user's jobs would, so that an input
/// file with its read permission removed really cannot be read.
@Suite("quern slurm on a real cluster", .serialized)
struct SlurmTests {
    static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path
    static let config = ExtractEndToEndTests.config

    /// A started cluster; `stop()` ends the daemons it started.
    final class Cluster {
        let dir: String
        let env: [String: String]

        init(dir: String) throws {
            self.dir = dir
            let r = try Shell.run("'\(SlurmTests.repo)/.ci/slurm-cluster.sh' start '\(dir)'")
            guard r.status == 0,
                let line = r.output.split(separator: "\n").last(where: { $0.hasPrefix("export SLURM_CONF=") })
            else {
                Issue.record("the Slurm test cluster did not start, so quern slurm could not be tested:\n\(r.output)")
                throw ClusterError.notStarted
            }
            env = ["SLURM_CONF": String(line.dropFirst("export SLURM_CONF=".count))]
        }

        func stop() { _ = try? Shell.run("'\(SlurmTests.repo)/.ci/slurm-cluster.sh' stop '\(dir)'") }

        /// A job's state from `scontrol show job` (no accounting daemon, so no sacct).
        func states(_ job: String) throws -> [String] {
            let r = try Shell.run("scontrol -o show job \(job)", env: env)
            return r.output.split(separator: "\n").compactMap { line in
                line.split(separator: " ").first { $0.hasPrefix("JobState=") }.map {
                    String($0.dropFirst("JobState=".count))
                }
            }
        }

        /// Waits until every task of `job` has ended; returns their states.
        func wait(_ job: String, timeout: Double = 180) throws -> [String] {
            let ended: Set<String> = [
                "COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "NODE_FAIL", "OUT_OF_MEMORY", "BOOT_FAIL", "DEADLINE",
                "PREEMPTED",
            ]
            let deadline = Date().addingTimeInterval(timeout)
            while Date() < deadline {
                let s = try states(job)
                if !s.isEmpty && s.allSatisfy(ended.contains) { return s }
                Thread.sleep(forTimeInterval: 0.5)
            }
            Issue.record(
                "job \(job) did not end within \(Int(timeout)) s: \(try states(job)); \(try Shell.run("scontrol show job \(job)", env: env).output)"
            )
            return try states(job)
        }
    }

    enum ClusterError: Error { case notStarted }

    /// `command` as the jobs' user: `nobody` when we are root.
    func asUser(_ command: String) -> String {
        getuid() == 0 ? "runuser -u nobody -- bash -c \(ShellQuote.quote(command))" : command
    }

    func submit(_ cluster: Cluster, _ ws: TempWorkspace, _ args: String) throws -> (extract: String, merge: String) {
        let r = try Shell.run(
            asUser("env SLURM_CONF=\(cluster.env["SLURM_CONF"]!) '\(QuernProcess.binary)' slurm " + args), cwd: ws.path)
        #expect(r.status == 0, "\(r.output)")
        let data = try #require(
            FileManager.default.contents(atPath: "\(ws.path)/im/slurm/jobs.json"),
            "quern slurm wrote no jobs.json: \(r.output)")
        let ids = try JSONDecoder().decode(SlurmJobs.Submitted.self, from: data)
        #expect(
            r.output.contains("extract array job \(ids.extractJob)") && r.output.contains("merge job \(ids.mergeJob)"),
            "\(r.output)")
        #expect(r.output.contains("squeue -j \(ids.extractJob),\(ids.mergeJob)"))
        return (ids.extractJob, ids.mergeJob)
    }

    func sbatch(_ cluster: Cluster, _ ws: TempWorkspace, _ args: String) throws -> String {
        let r = try Shell.run(
            asUser("env SLURM_CONF=\(cluster.env["SLURM_CONF"]!) sbatch --parsable \(args)"), cwd: ws.path)
        #expect(r.status == 0, "\(r.output)")
        return r.output.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ";").first.map(String.init)
            ?? ""
    }

    func logs(_ ws: TempWorkspace) -> String {
        (try? Shell.run("tail -n 20 '\(ws.path)'/im/slurm/logs/*").output) ?? ""
    }

    @Test func fourShardsThenOneMergeGiveTheArraysOfOneProcessAndAFailedShardIsRedoneAlone() throws {
        let ws = TempWorkspace("quern-slurm")
        let cluster = try Cluster(dir: "\(ws.path)/cluster")
        defer { cluster.stop() }
        chmod(ws.path, 0o755)
        #expect(
            try QuernProcess.run(["generate", "--files", "40", "--rows", "15", "--seed", "9", "--out", "\(ws.path)/in"])
                .status == 0)
        // The reference: one process, the same data and settings.
        let ref = try QuernProcess.run(
            [
                "run", "--config", Self.config, "--input-dir", "in", "--intermediate-dir", "ref-im", "--output-dir",
                "ref-out", "--files-per-batch", "5", "-q",
            ],
            cwd: ws.path)
        #expect(ref.status == 0, "\(ref.stderr)")
        let expected = outputArrays("\(ws.path)/ref-out")
        #expect(expected.count == 9)
        // Hooks run where their stage runs: post-extract in each array task (with its shard),
        // post-save in the merge job.
        for point in ["post-extract", "post-save"] {
            let hook = ws.write(
                "hooks/\(point)",
                "#!/bin/sh\necho \"${QUERN_SHARD:-none} ${SLURM_JOB_ID:-nojob}\" >> \"$PWD/hooks-ran.\(point)\"\n")
            chmod(hook, 0o755)
        }
        if getuid() == 0 { try Shell.run("chown -R nobody '\(ws.path)'") }

        // 1. The whole run: 4 shards (8 batches), then the merge, on the cluster.
        let args =
            "--config '\(Self.config)' --input-dir in --intermediate-dir im --output-dir out --files-per-batch 5 --shards 4 --cpus-per-task 1"
        let jobs = try submit(cluster, ws, args)
        let tasks = try cluster.wait(jobs.extract)
        #expect(tasks == Array(repeating: "COMPLETED", count: 4), "\(tasks)")
        let mergeState = try cluster.wait(jobs.merge)
        #expect(mergeState == ["COMPLETED"], "\(logs(ws))")
        #expect(outputArrays("\(ws.path)/out") == expected, "the cluster's arrays equal one process's, byte for byte")
        for k in 0..<4 {
            #expect(FileManager.default.fileExists(atPath: "\(ws.path)/im/journal.shard-\(k)-of-4.jsonl"))
        }
        let extractHooks = ((try? String(contentsOfFile: "\(ws.path)/hooks-ran.post-extract", encoding: .utf8)) ?? "")
            .split(separator: "\n")
        #expect(
            Set(extractHooks.map { $0.split(separator: " ").first.map(String.init) ?? "" }) == [
                "0/4", "1/4", "2/4", "3/4",
            ], "\(extractHooks)")
        #expect(
            extractHooks.allSatisfy { !$0.hasSuffix(" nojob") },
            "post-extract ran inside the array's jobs: \(extractHooks)")
        let saveHooks = ((try? String(contentsOfFile: "\(ws.path)/hooks-ran.post-save", encoding: .utf8)) ?? "").split(
            separator: "\n")
        #expect(saveHooks == ["0/1 \(jobs.merge)"], "post-save ran once, in the merge job: \(saveHooks)")
        try Shell.run("rm -rf '\(ws.path)/hooks' '\(ws.path)'/hooks-ran.*")

        // 2. A shard that fails: one of shard 2's inputs (batch 2 holds files 10-14) unreadable.
        try Shell.run("rm -rf '\(ws.path)/im' '\(ws.path)/out'")
        let unreadable = "\(ws.path)/in/game_000012.csv"
        chmod(unreadable, 0o000)
        let failing = try submit(cluster, ws, args)
        let states = try cluster.wait(failing.extract)
        #expect(states.sorted() == ["COMPLETED", "COMPLETED", "COMPLETED", "FAILED"], "\(states)")
        #expect(try cluster.wait(failing.merge) == ["CANCELLED"], "afterok: the merge does not run over a failed shard")
        let shardLog = try Shell.run("cat '\(ws.path)/im/slurm/logs/extract-\(failing.extract)_2.out'").output
        #expect(shardLog.contains("game_000012.csv") && shardLog.contains("Permission denied"), "\(shardLog)")
        #expect(!FileManager.default.fileExists(atPath: "\(ws.path)/out"))

        // The merge, run by hand, refuses and names the shard, its error and the command that redoes it.
        let refused = try Shell.run(asUser("bash '\(ws.path)/im/slurm/merge.sbatch'"), cwd: ws.path)
        #expect(refused.status == 1)
        #expect(refused.output.contains("shard 2/4: batch 2 missing; it failed"), "\(refused.output)")
        #expect(refused.output.contains("Slurm job \(failing.extract)_2"), "\(refused.output)")
        #expect(refused.output.contains("sbatch --array=2 \(ws.path)/im/slurm/extract.sbatch"), "\(refused.output)")

        // Fix the file, redo shard 2 alone as the message says, then the merge: the same arrays.
        chmod(unreadable, 0o644)
        let redo = try sbatch(cluster, ws, "--array=2 '\(ws.path)/im/slurm/extract.sbatch'")
        #expect(try cluster.wait(redo) == ["COMPLETED"])
        let merge = try sbatch(cluster, ws, "'\(ws.path)/im/slurm/merge.sbatch'")
        let again = try cluster.wait(merge)
        #expect(again == ["COMPLETED"], "\(logs(ws))")
        #expect(outputArrays("\(ws.path)/out") == expected, "after redoing one shard, the same arrays")
    }

    /// The sections of `quern slurm --dry-run`'s output, by the file each one would be:
    /// `extract.sbatch`, `merge.sbatch`, `quern.yaml` (each starts with a `# /abs/path/<file>` line).
    func dryRunSections(_ stdout: String) -> [String: [String]] {
        var sections: [String: [String]] = [:]
        var current: String? = nil
        for line in stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
            if line.hasPrefix("# /"),
                let file = ["extract.sbatch", "merge.sbatch", "quern.yaml"].first(where: { line.hasSuffix("/\($0)") })
            {
                current = file
                sections[file] = []
            } else if line.hasPrefix("# --dry-run") {
                current = nil
            } else if let current {
                sections[current]!.append(line)
            }
        }
        return sections
    }

    /// The two scripts of a dry run in `ws`, each required.
    func dryRunScripts(_ ws: TempWorkspace, _ args: [String]) throws -> (extract: [String], merge: [String]) {
        let r = try QuernProcess.run(["slurm"] + args + ["--dry-run"], cwd: ws.path)
        #expect(r.status == 0, "\(r.stderr)")
        let sections = dryRunSections(r.stdout)
        let extract = try #require(sections["extract.sbatch"], "no extract.sbatch in:\n\(r.stdout)")
        let merge = try #require(sections["merge.sbatch"], "no merge.sbatch in:\n\(r.stdout)")
        #expect(sections["quern.yaml"] != nil, "no quern.yaml in:\n\(r.stdout)")
        #expect(extract.first == "#!/bin/bash" && merge.first == "#!/bin/bash")
        return (extract, merge)
    }

    /// Every `#SBATCH` line of `script`, without the prefix (`--mem=4G`).
    func sbatchOptions(_ script: [String]) -> [String] {
        script.filter { $0.hasPrefix("#SBATCH ") }.map { String($0.dropFirst("#SBATCH ".count)) }
    }

    @Test func dryRunPrintsBothScriptsAndSubmitsNothing() throws {
        let ws = TempWorkspace("quern-slurm-dry")
        #expect(try QuernProcess.run(["generate", "--files", "4", "--rows", "5", "--out", "\(ws.path)/g"]).status == 0)
        let scripts = try dryRunScripts(
            ws,
            [
                "--config", Self.config, "--input-dir", "g", "--shards", "4", "--partition", "cpu", "--time", "2:00:00",
                "--mem", "4G",
                "--cpus-per-task", "3", "--sbatch-arg=--qos=high",
            ])
        let extract = sbatchOptions(scripts.extract)
        let merge = sbatchOptions(scripts.merge)
        // The extract array: the task resources as given.
        for option in [
            "--job-name=quern-extract", "--array=0-3", "--partition=cpu", "--time=2:00:00", "--mem=4G",
            "--cpus-per-task=3", "--qos=high",
        ] {
            #expect(extract.contains(option), "extract.sbatch lacks #SBATCH \(option): \(extract)")
        }
        #expect(
            scripts.extract.contains {
                $0.contains(" extract --config ") && $0.contains("--shard auto --shard-count 4")
            })
        #expect(!scripts.extract.contains { $0.contains(" merge --config ") })
        // The merge: the partition, time and memory of the tasks by default, its own 2 CPUs, no array.
        for option in [
            "--job-name=quern-merge", "--partition=cpu", "--time=2:00:00", "--mem=4G", "--cpus-per-task=2",
            "--qos=high",
        ] {
            #expect(merge.contains(option), "merge.sbatch lacks #SBATCH \(option): \(merge)")
        }
        #expect(!merge.contains { $0.hasPrefix("--array") || $0 == "--cpus-per-task=3" }, "\(merge)")
        #expect(scripts.merge.contains { $0.contains(" merge --config ") })
        #expect(!scripts.merge.contains { $0.contains(" extract --config ") })
        #expect(!FileManager.default.fileExists(atPath: "\(ws.path)/data"), "a dry run writes nothing")
        let noShards = try QuernProcess.run(
            ["slurm", "--config", Self.config, "--input-dir", "g", "--dry-run"], cwd: ws.path)
        #expect(noShards.status == 1 && noShards.stderr.contains("--shards N"), "\(noShards.stderr)")
    }

    @Test func dryRunTakesTheResourcesOfASlurmSectionAndFlagsWin() throws {
        let ws = TempWorkspace("quern-slurm-dry")
        #expect(try QuernProcess.run(["generate", "--files", "4", "--rows", "5", "--out", "\(ws.path)/g"]).status == 0)
        let base = try String(contentsOfFile: Self.config, encoding: .utf8)
        #expect(!base.contains("\nslurm:"), "the example config has no slurm section of its own")
        let config = ws.write(
            "quern.yaml",
            base + """

                slurm:
                  shards: 3
                  partition: gpu
                  account: ml-team
                  time: "4:00:00"
                  cpus_per_task: 6
                  mem: 8G
                  merge_time: "0:45:00"
                  merge_cpus: 5
                  merge_mem: 32G
                  sbatch_args: ["--qos=low"]

                """)
        var scripts = try dryRunScripts(ws, ["--config", config, "--input-dir", "g"])
        var extract = sbatchOptions(scripts.extract)
        var merge = sbatchOptions(scripts.merge)
        for option in [
            "--array=0-2", "--partition=gpu", "--account=ml-team", "--time=4:00:00", "--cpus-per-task=6", "--mem=8G",
            "--qos=low",
        ] {
            #expect(extract.contains(option), "extract.sbatch lacks #SBATCH \(option): \(extract)")
        }
        #expect(scripts.extract.contains { $0.contains("--shard auto --shard-count 3") })
        for option in [
            "--partition=gpu", "--account=ml-team", "--time=0:45:00", "--cpus-per-task=5", "--mem=32G", "--qos=low",
        ] {
            #expect(merge.contains(option), "merge.sbatch lacks #SBATCH \(option): \(merge)")
        }
        // The merge's own settings stay out of the tasks, and the tasks' out of the merge.
        #expect(!extract.contains { ["--time=0:45:00", "--cpus-per-task=5", "--mem=32G"].contains($0) }, "\(extract)")
        #expect(
            !merge.contains {
                ["--time=4:00:00", "--cpus-per-task=6", "--mem=8G"].contains($0) || $0.hasPrefix("--array")
            }, "\(merge)")

        // A flag overrides its key of the section, and only that one.
        scripts = try dryRunScripts(
            ws, ["--config", config, "--input-dir", "g", "--partition", "debug", "--mem", "2G", "--shards", "2"])
        extract = sbatchOptions(scripts.extract)
        merge = sbatchOptions(scripts.merge)
        for option in ["--array=0-1", "--partition=debug", "--mem=2G", "--time=4:00:00", "--cpus-per-task=6"] {
            #expect(extract.contains(option), "extract.sbatch lacks #SBATCH \(option): \(extract)")
        }
        for option in ["--partition=debug", "--mem=32G", "--time=0:45:00", "--cpus-per-task=5"] {
            #expect(merge.contains(option), "merge.sbatch lacks #SBATCH \(option): \(merge)")
        }
        #expect(!extract.contains("--partition=gpu") && !merge.contains("--partition=gpu"))
        #expect(!FileManager.default.fileExists(atPath: "\(ws.path)/data"), "a dry run writes nothing")
    }
}
