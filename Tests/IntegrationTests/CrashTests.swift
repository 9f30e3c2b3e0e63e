import Foundation
import QuernCore
import QuernKit
import QuernTestSupport
import Testing

/// Crash anywhere, resume exactly: `quern run` is killed with SIGKILL at every named crash point
/// (`QUERN_CRASH_AT`, see CrashPoint.swift) and at seeded random times, then run again once: that
/// run must complete, its outputs must be byte-identical to an uninterrupted run, and both folders
/// must pass `quern verify`. 30 kill points here; `QUERN_CRASH_POINTS=200` runs more random ones,
/// `QUERN_CRASH_SEED=<n>` other random times.
/// Run alone: `swift test --filter CrashTests`.
@Suite("Crash anywhere, resume exactly", .serialized)
struct CrashTests {
    static let config = ExtractEndToEndTests.config
    /// Small on purpose: 24 games of 10 rows, 8 batches of 3 files, each cut into 2 parts.
    static let flags = [
        "--input-dir", "../in", "--files-per-batch", "3", "--rows-per-batch", "16", "--workers", "2",
        "--merge-strategy", "shuffle", "--seed", "3",
    ]

    static let namedPoints = [
        "pre-run", "pre-discover", "post-discover", "pre-extract", "batch-written#1", "batch-published#1",
        "batch-journaled#1",
        "batch-written#4", "batch-published#5", "batch-journaled#7", "post-extract", "pre-merge", "post-merge",
        "pre-split",
        "post-split", "pre-normalize", "post-normalize", "pre-save", "outputs-staged", "output-moved#2", "post-save",
        "post-run",
    ]

    func run(_ dir: String, env: [String: String] = [:]) throws -> QuernProcess.Result {
        try QuernProcess.run(
            ["run", "--config", Self.config, "--no-hooks", "-q"] + Self.flags + [
                "--intermediate-dir", "mid", "--output-dir", "out",
            ], cwd: dir, env: env)
    }

    /// The arrays an output folder holds, by name (compared byte for byte).
    func outputs(_ dir: String) -> [String: Data] {
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).filter {
            $0.hasSuffix(".npy") || $0.hasSuffix(".npz")
        }
        return Dictionary(
            uniqueKeysWithValues: names.map { ($0, FileManager.default.contents(atPath: "\(dir)/\($0)") ?? Data()) })
    }

    /// What a resumed run must give: the reference outputs, clean folders, nothing left behind.
    /// The first run after the kill must complete: a user re-runs the command once.
    func expectResumed(_ dir: String, like reference: [String: Data], _ label: String) throws {
        let r = try run(dir)
        #expect(
            r.status == 0,
            "\(label): the first run after the kill completes (status \(r.status)\(r.signal.map { ", signal \($0)" } ?? "")): \(r.stderr)"
        )
        let got = outputs("\(dir)/out")
        #expect(got.keys.sorted() == reference.keys.sorted(), "\(label)")
        for (name, bytes) in reference {
            #expect(
                got[name] == bytes,
                "\(label): \(name) differs from the uninterrupted run (CRC \(crc32Hex(got[name])) vs \(crc32Hex(bytes)))"
            )
        }
        let v = try QuernProcess.run(["verify", "--intermediate-dir", "mid", "--output-dir", "out"], cwd: dir)
        #expect(v.status == 0, "\(label): \(v.stdout)")
        let debris = ((try? FileManager.default.contentsOfDirectory(atPath: "\(dir)/mid")) ?? []).filter {
            $0.hasPrefix(AtomicFile.tempPrefix)
        }
        #expect(debris.isEmpty, "\(label): \(debris)")
        #expect(
            !((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).contains { $0.contains(".staging-") },
            "\(label): staging debris")
    }

    func crc32Hex(_ d: Data?) -> String { d.map { String(CRC32.of([UInt8]($0)), radix: 16) } ?? "none" }

    @Test func killedAtEveryCrashPointAndAtRandomTimesItResumesToIdenticalOutputs() throws {
        let ws = TempWorkspace("quern-crash")
        #expect(
            try QuernProcess.run(["generate", "--files", "24", "--rows", "10", "--seed", "5", "--out", "\(ws.path)/in"])
                .status == 0)
        try FileManager.default.createDirectory(atPath: "\(ws.path)/reference", withIntermediateDirectories: true)
        let started = Date()
        let r = try run("\(ws.path)/reference")
        let referenceSeconds = Date().timeIntervalSince(started)
        #expect(r.status == 0, "\(r.stderr)")
        let reference = outputs("\(ws.path)/reference/out")
        #expect(reference.count == 9)

        var killPoints = 0
        for (i, point) in Self.namedPoints.enumerated() {
            let dir = "\(ws.path)/named-\(i)"
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            let killed = try run(dir, env: ["QUERN_CRASH_AT": point])
            #expect(
                killed.signal == SIGKILL, "\(point): the crash point is reached (\(killed.status), \(killed.stderr))")
            if killed.signal == SIGKILL { killPoints += 1 }
            try expectResumed(dir, like: reference, point)
        }

        // Seeded random times: each case is killed twice (the second time while resuming), then
        // finishes. The delays span the whole uninterrupted run.
        let wanted = Int(ProcessInfo.processInfo.environment["QUERN_CRASH_POINTS"] ?? "") ?? 30
        // Cases continue until enough kills landed while quern ran (a kill timed after a short
        // resume has finished does not count), within a bound.
        let wantedRandom = max(9, wanted - Self.namedPoints.count)
        var randomKills = 0
        var rng = SplitMix64(seed: UInt64(ProcessInfo.processInfo.environment["QUERN_CRASH_SEED"] ?? "") ?? 20_261_123)
        var c = 0
        while randomKills < wantedRandom && c < wantedRandom * 3 {
            let dir = "\(ws.path)/random-\(c)"
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            var delays: [Int] = []
            for _ in 0..<2 {
                let delay = Int(rng.unit() * referenceSeconds * 0.9 * 1_000_000)
                delays.append(delay / 1000)
                let p = try QuernProcess.start(
                    ["run", "--config", Self.config, "--no-hooks", "-q"] + Self.flags + [
                        "--intermediate-dir", "mid", "--output-dir", "out",
                    ], cwd: dir,
                    quietOutput: true)
                usleep(UInt32(delay))
                if p.isRunning { randomKills += 1 }
                kill(p.pid, SIGKILL)
                p.wait()
            }
            try expectResumed(dir, like: reference, "random case \(c), killed after \(delays) ms")
            c += 1
        }
        killPoints += randomKills
        #expect(killPoints >= min(wanted, 30), "\(killPoints) kills landed while quern was running")
        print(
            "crash harness: \(killPoints) kill points survived (\(Self.namedPoints.count) named, the rest at random times; reference run \(Int(referenceSeconds * 1000)) ms)"
        )
    }

    @Test(
        "SIGINT and SIGTERM stop quern promptly, cleanly, resumably",
        arguments: [(SIGINT, Int32(130)), (SIGTERM, Int32(143))])
    func signalsStopPromptly(_ signal: Int32, _ expectedStatus: Int32) throws {
        let ws = TempWorkspace("quern-signal")
        #expect(
            try QuernProcess.run([
                "generate", "--files", "240", "--rows", "150", "--seed", "2", "--out", "\(ws.path)/in",
            ]).status == 0)
        let flags = [
            "run", "--config", Self.config, "--no-hooks", "--input-dir", "in", "--files-per-batch", "4", "--workers",
            "1", "-q",
        ]
        let running = try QuernProcess.start(flags, cwd: ws.path)
        var journaled = 0
        let deadline = Date().addingTimeInterval(60)
        while journaled < 2 && running.isRunning && Date() < deadline {
            journaled = ((try? JSONLines.read("\(ws.path)/data/intermediate/journal.jsonl")) ?? []).count
            usleep(5_000)
        }
        #expect(running.isRunning, "still extracting when the signal is sent")
        let sent = Date()
        kill(running.pid, signal)
        var stoppedIn = 0.0
        while running.isRunning && Date().timeIntervalSince(sent) < 10 { usleep(2_000) }
        stoppedIn = Date().timeIntervalSince(sent)
        running.wait()
        let err = running.output().stderr
        #expect(stoppedIn < 2, "stopped \(stoppedIn) s after the signal")
        #expect(running.wait().signal == nil && running.wait().status == expectedStatus)
        #expect(err.contains("interrupted: run the same command again to resume"), "\(err)")
        let journal = (try? JSONLines.read("\(ws.path)/data/intermediate/journal.jsonl")) ?? []
        #expect(journal.count < 60, "stopped before the 60 batches were done (\(journal.count))")
        #expect(
            journal.allSatisfy { (try? JSONDecoder().decode(JournalEntry.self, from: $0)) != nil },
            "every journal line is whole")
        #expect(
            !ws.files(in: "data/intermediate").contains { $0.hasPrefix(AtomicFile.tempPrefix) },
            "no temporary files left")
        // What verify finds is only work still to do, never damage.
        let v = try QuernProcess.run(["verify", "--intermediate-dir", "data/intermediate"], cwd: ws.path)
        let problems = v.stdout.split(separator: "\n").filter { $0.hasPrefix("problem:") }
        #expect(
            problems.allSatisfy {
                $0.contains("planned but not complete") || $0.contains("no journal records this file")
            }, "\(v.stdout)")

        let resumed = try QuernProcess.run(flags, cwd: ws.path)
        #expect(resumed.status == 0, "\(resumed.stderr)")
        let reference = try QuernProcess.run(
            flags + ["--intermediate-dir", "ref-mid", "--output-dir", "ref-out"], cwd: ws.path)
        #expect(reference.status == 0)
        #expect(
            outputs("\(ws.path)/data/processed") == outputs("\(ws.path)/ref-out"), "identical to an uninterrupted run")
    }

    @Test func sigintMidMergeRemovesTheStagingFolderAndKeepsThePreviousOutputs() throws {
        let ws = TempWorkspace("quern-signal-merge")
        #expect(
            try QuernProcess.run(["generate", "--files", "12", "--rows", "5", "--out", "\(ws.path)/in"]).status == 0)
        #expect(
            try QuernProcess.run(
                ["run", "--config", Self.config, "--input-dir", "in", "--no-hooks", "-q"], cwd: ws.path
            ).status == 0)
        let before = outputs("\(ws.path)/data/processed")
        let hook = ws.write("hooks/pre-split", "#!/bin/sh\ntouch holding\nexec sleep 30\n")
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: hook)
        let running = try QuernProcess.start(
            ["merge", "--config", Self.config, "--merge-strategy", "shuffle", "-q"], cwd: ws.path)
        let deadline = Date().addingTimeInterval(30)
        while !FileManager.default.fileExists(atPath: "\(ws.path)/holding") && running.isRunning && Date() < deadline {
            usleep(5_000)
        }
        #expect(
            ws.files(in: "data").contains { $0.hasPrefix(".processed.staging-") },
            "the merge is filling its staging folder")
        let sent = Date()
        kill(running.pid, SIGINT)
        while running.isRunning && Date().timeIntervalSince(sent) < 10 { usleep(2_000) }
        let stoppedIn = Date().timeIntervalSince(sent)
        running.wait()
        let err = running.output().stderr
        #expect(stoppedIn < 2, "stopped \(stoppedIn) s after the signal")
        #expect(
            running.wait().status == 130 && err.contains("run the same command again to resume"),
            "\(running.wait().status) \(running.wait().signal.map { "signal \($0)" } ?? "exit"): \(err)")
        #expect(!ws.files(in: "data").contains { $0.contains(".staging-") }, "no staging folder left")
        #expect(outputs("\(ws.path)/data/processed") == before, "the previous outputs are untouched")
        try FileManager.default.removeItem(atPath: "\(ws.path)/hooks")
        #expect(
            try QuernProcess.run(["merge", "--config", Self.config, "--merge-strategy", "shuffle", "-q"], cwd: ws.path)
                .status == 0)
    }
}
