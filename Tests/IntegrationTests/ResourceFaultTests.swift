import Foundation
import QuernCore
import QuernTestSupport
import Testing

/// Resource faults: missing and unwritable folders, an input that vanishes mid-run, a full disk
/// (a small tmpfs the test mounts), and a memory limit below the data's size.
@Suite("Resource faults", .serialized)
struct ResourceFaultTests {
    static let config = ExtractEndToEndTests.config

    /// Whether this process may mount a tmpfs (root, outside a locked-down container).
    static let canMount: Bool = {
        let dir = "\(FileManager.default.temporaryDirectory.path)/quern-mount-probe-\(getpid())"
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        return (try? QuernProcess.shell("mount -t tmpfs -o size=1m tmpfs \(dir) 2>/dev/null && umount \(dir)")) == 0
    }()

    func games(_ ws: TempWorkspace, files: Int, rows: Int) throws {
        #expect(
            try QuernProcess.run(["generate", "--files", "\(files)", "--rows", "\(rows)", "--out", "\(ws.path)/in"])
                .status == 0)
    }

    func quern(_ ws: TempWorkspace, _ args: [String]) throws -> QuernProcess.Result {
        try QuernProcess.run(args + ["--config", Self.config, "--no-hooks", "-q"], cwd: ws.path)
    }

    @Test func missingInputFolderAndFoldersUnderAFileAreNamed() throws {
        let ws = TempWorkspace()
        var r = try quern(ws, ["extract", "--input-dir", "nowhere"])
        #expect(r.status == 1 && r.stderr.contains("input folder nowhere does not exist"), "\(r.stderr)")
        try games(ws, files: 4, rows: 5)
        ws.write("afile", "not a folder")
        // The logs elsewhere: by default they would go beside the intermediate folder, under afile too.
        r = try quern(
            ws, ["extract", "--input-dir", "in", "--intermediate-dir", "afile/mid", "--log-dir", "data/logs"])
        #expect(r.status == 1 && r.stderr.contains("afile/mid cannot be created: afile is a file"), "\(r.stderr)")
        #expect(try quern(ws, ["extract", "--input-dir", "in"]).status == 0)
        r = try quern(ws, ["merge", "--output-dir", "afile/out"])
        #expect(r.status == 1 && r.stderr.contains("afile/out cannot be created: afile is a file"), "\(r.stderr)")
        #expect(!r.stderr.contains("NSCocoaErrorDomain"))
        // The default log folder beside afile/mid is named with the reason too.
        r = try quern(ws, ["extract", "--input-dir", "in", "--intermediate-dir", "afile/mid"])
        #expect(
            r.status == 1 && r.stderr.contains("afile/logs: cannot create the log folder")
                && r.stderr.contains("is a file, not a folder"), "\(r.stderr)")
    }

    @Test(.enabled(if: canMount, "needs to mount a tmpfs (root): skipped")) func readOnlyFoldersAreNamed() throws {
        let ws = TempWorkspace()
        try games(ws, files: 4, rows: 5)
        try FileManager.default.createDirectory(atPath: "\(ws.path)/ro", withIntermediateDirectories: true)
        #expect(try QuernProcess.shell("mount -t tmpfs -o ro,size=1m tmpfs \(ws.path)/ro") == 0)
        defer { _ = try? QuernProcess.shell("umount \(ws.path)/ro") }
        var r = try quern(
            ws, ["extract", "--input-dir", "in", "--intermediate-dir", "ro/mid", "--log-dir", "data/logs"])
        #expect(
            r.status == 1 && r.stderr.contains("ro/mid cannot be created") && r.stderr.contains("ro is not writable"),
            "\(r.stderr)")
        #expect(try quern(ws, ["extract", "--input-dir", "in"]).status == 0)
        r = try quern(ws, ["merge", "--output-dir", "ro/out"])
        #expect(
            r.status == 1 && r.stderr.contains("ro/out cannot be created") && r.stderr.contains("ro is not writable"),
            "\(r.stderr)")
    }

    @Test func anInputThatVanishesAfterDiscoveryIsListedAndTheRestIsProcessed() throws {
        let ws = TempWorkspace()
        try games(ws, files: 6, rows: 5)
        let hook = ws.write("hooks/pre-extract", "#!/bin/sh\nrm \"$QUERN_INPUT_DIR/game_000003.csv\"\n")
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: hook)
        let r = try QuernProcess.run(["run", "--config", Self.config, "--input-dir", "in", "-q"], cwd: ws.path)
        #expect(r.status == 3, "\(r.stderr)")
        let failed = try String(contentsOfFile: "\(ws.path)/data/intermediate/failed.jsonl", encoding: .utf8)
        #expect(failed.contains("\"file\":\"game_000003.csv\"") && failed.contains("No such file"), "\(failed)")
        #expect(r.stdout.contains("5 processed, 1 failed"))
    }

    @Test(.enabled(if: canMount, "needs to mount a tmpfs (root): skipped"))
    func aFullDiskStopsCleanlyAndTheRunResumesOnceThereIsSpace() throws {
        let ws = TempWorkspace()
        try games(ws, files: 40, rows: 200)
        let flags = ["run", "--input-dir", "in", "--codec", "none", "--files-per-batch", "4"]
        #expect(try quern(ws, flags + ["--intermediate-dir", "ref-mid", "--output-dir", "ref-out"]).status == 0)
        try FileManager.default.createDirectory(atPath: "\(ws.path)/small", withIntermediateDirectories: true)
        #expect(try QuernProcess.shell("mount -t tmpfs -o size=8m tmpfs \(ws.path)/small") == 0)
        defer { _ = try? QuernProcess.shell("umount \(ws.path)/small") }
        // Pre-flight sees room for the ~4 MiB expected; then another process fills the disk but
        // 2 MiB (a pre-extract hook writing 6 MiB), and the 10 batches of 280 KiB do not fit.
        let hook = ws.write("hooks/pre-extract", "#!/bin/sh\nhead -c 6291456 /dev/zero > \(ws.path)/small/ballast\n")
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: hook)
        var r = try QuernProcess.run(
            flags + ["--config", Self.config, "-q", "--intermediate-dir", "small/mid", "--output-dir", "out"],
            cwd: ws.path)
        #expect(r.status == 1)
        #expect(
            r.stderr.contains("small/mid/batch_0000") && r.stderr.contains("No space left on device")
                && r.stderr.contains("Free some space"), "\(r.stderr)")
        #expect(!ws.files(in: "small/mid").contains { $0.hasPrefix(AtomicFile.tempPrefix) }, "no temporary file left")
        let v = try QuernProcess.run(["verify", "--intermediate-dir", "small/mid"], cwd: ws.path)
        let problems = v.stdout.split(separator: "\n").filter { $0.hasPrefix("problem:") }
        #expect(
            !problems.isEmpty && problems.allSatisfy { $0.contains("planned but not complete") },
            "every file under a final name is whole: \(v.stdout)")
        #expect(!FileManager.default.fileExists(atPath: "\(ws.path)/out"))

        // Space is freed; the same command (without the filling hook) resumes.
        try FileManager.default.removeItem(atPath: "\(ws.path)/small/ballast")
        try FileManager.default.removeItem(atPath: "\(ws.path)/hooks")
        r = try quern(ws, flags + ["--intermediate-dir", "small/mid", "--output-dir", "out"])
        #expect(r.status == 0, "\(r.stderr)")
        for name in ["X_train.npy", "X_val.npy", "X_test.npy", "labels_train.npz", "masks_test.npz"] {
            #expect(
                FileManager.default.contents(atPath: "\(ws.path)/out/\(name)")
                    == FileManager.default.contents(atPath: "\(ws.path)/ref-out/\(name)"), "\(name)")
        }
    }

    @Test func aMemoryLimitBelowTheDataKeepsThePeakUnderIt() throws {
        let ws = TempWorkspace()
        // 69 MiB of CSV (201,600 rows, about 70 MiB as arrays) under a 64 MiB limit (a debug quern
        // itself holds about 45 MiB before any row, libhdf5 and its libraries included).
        try games(ws, files: 840, rows: 240)
        // The peak comes from wait4 after a plain fork and exec, in Python: a vfork-style spawn
        // (posix_spawn, Foundation's Process) would report the parent's own peak if larger, as
        // Linux carries the old memory's high-water mark across exec.
        let r = try QuernProcess.python(
            """
            import os, sys, json
            pid = os.fork()
            if pid == 0:
                fd = os.open(os.devnull, os.O_WRONLY); os.dup2(fd, 1)
                os.execv(sys.argv[1], [sys.argv[1], 'run', '--config', sys.argv[2], '--no-hooks', '-q', '--memory-limit', '64MiB',
                                       '--input-dir', 'in', '--intermediate-dir', 'mid', '--output-dir', 'out'])
            _, status, usage = os.wait4(pid, 0)
            print(os.waitstatus_to_exitcode(status), usage.ru_maxrss * 1024)
            s = json.load(open('out/preprocessing_stats.json'))
            assert s['total_samples'] == 201600, s['total_samples']
            assert sum(os.path.getsize('in/' + f) for f in os.listdir('in')) > 64 * 2**20
            parts = [json.loads(l) for l in open('mid/journal.jsonl')]
            print(sum(len(p['parts']) for p in parts), len(parts))
            """, cwd: ws.path, arguments: [QuernProcess.binary, Self.config])
        #expect(r.status == 0, "\(r.stderr)")
        let numbers = r.stdout.split(whereSeparator: { $0 == " " || $0 == "\n" }).compactMap { Int($0) }
        try #require(numbers.count == 4, "\(r.stdout)")
        #expect(numbers[0] == 0, "quern exits 0")
        #expect(numbers[1] > 0 && numbers[1] < 64 << 20, "peak \(Human.bytes(numbers[1])) under the 64 MiB limit")
        #expect(
            numbers[2] > numbers[3],
            "the limit cut batches into more parts (\(numbers[2]) parts, \(numbers[3]) batches)")

        // README and reliability.md promise the same outputs with or without the limit: the same
        // data without it, into other folders, gives byte-identical arrays.
        let r2 = try quern(
            ws, ["run", "--input-dir", "in", "--intermediate-dir", "ref-mid", "--output-dir", "ref-out"])
        #expect(r2.status == 0, "\(r2.stderr)")
        func arrays(_ dir: String) -> [String] {
            ws.files(in: dir).filter { $0.hasSuffix(".npy") || $0.hasSuffix(".npz") }
        }
        let limited = arrays("out")
        #expect(limited.contains("X_train.npy") && limited.contains("labels_train.npz"), "\(limited)")
        #expect(limited == arrays("ref-out"), "the same arrays are written")
        for name in limited {
            let a = try #require(FileManager.default.contents(atPath: "\(ws.path)/out/\(name)"))
            let b = try #require(FileManager.default.contents(atPath: "\(ws.path)/ref-out/\(name)"))
            #expect(a == b, "\(name) is the same with and without --memory-limit (\(a.count) and \(b.count) bytes)")
        }
    }
}
