import Foundation
import QuernCore
import QuernTestSupport
import Testing

/// Messages for system errors, from the real binary. Under a small open-file limit, quern says
/// "too many open files" and how to raise the limit, whichever file it was opening: never a
/// Foundation error number, never "permission".
@Suite("Open-file limit")
struct OpenFileLimitTests {
    @Test(arguments: [8, 10, 12, 16])
    func tooManyOpenFilesSaysSoAndHowToRaiseTheLimit(limit: Int) throws {
        let ws = TempWorkspace()
        #expect(
            try QuernProcess.run(["generate", "--files", "6", "--rows", "5", "--out", "\(ws.path)/in"]).status == 0)
        let command =
            "ulimit -n \(limit); exec '\(QuernProcess.binary)' run --config '\(ExtractEndToEndTests.config)' --input-dir in --no-hooks -q"
        let r = try SpawnedProcess.run(["/bin/bash", "-c", command], cwd: ws.path)
        #expect(r.status != 0 && r.signal == nil, "limit \(limit): \(r.stderr)")
        #expect(
            r.stderr.contains("Too many open files") && r.stderr.contains("ulimit -n"), "limit \(limit): \(r.stderr)")
        #expect(
            !r.stderr.contains("NSCocoaErrorDomain") && !r.stderr.lowercased().contains("permission"),
            "limit \(limit): \(r.stderr)")
    }
}

/// A shuffle that spills into a full disk names the bucket file, says "no space left on device"
/// and what to do: never Foundation's `NSCocoaErrorDomain Code=640` dump.
@Suite("Full disk during a shuffle", .serialized)
struct ShuffleFullDiskTests {
    @Test(.enabled(if: ResourceFaultTests.canMount, "needs to mount a tmpfs (root): skipped"))
    func aShuffleThatFillsTheDiskSaysNoSpaceWithThePath() throws {
        let ws = TempWorkspace()
        #expect(
            try QuernProcess.run(["generate", "--files", "60", "--rows", "1000", "--out", "\(ws.path)/in"]).status == 0)
        let config = try String(contentsOfFile: ExtractEndToEndTests.config, encoding: .utf8)
        // A 16 MiB budget: the 20 MiB of rows spill into bucket files next to the outputs.
        ws.write("q.yaml", config + "\nmerge:\n  memory_budget_mb: 16\n")
        #expect(
            try QuernProcess.run(
                ["extract", "--config", "q.yaml", "--input-dir", "in", "--codec", "none", "--no-hooks", "-q"],
                cwd: ws.path
            ).status == 0)
        try FileManager.default.createDirectory(atPath: "\(ws.path)/small", withIntermediateDirectories: true)
        #expect(try QuernProcess.shell("mount -t tmpfs -o size=48m tmpfs \(ws.path)/small") == 0)
        defer { _ = try? QuernProcess.shell("umount \(ws.path)/small") }
        // Pre-flight sees room; then another process leaves 2 MiB (a pre-merge hook's ballast).
        let hook = ws.write("hooks/pre-merge", "#!/bin/sh\nhead -c 48234496 /dev/zero > \(ws.path)/small/ballast\n")
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: hook)
        let r = try QuernProcess.run(
            ["merge", "--config", "q.yaml", "--merge-strategy", "shuffle", "--output-dir", "small/out", "-q"],
            cwd: ws.path)
        #expect(r.status == 1, "\(r.stderr)")
        #expect(
            r.stderr.contains("small/.out.staging-") && r.stderr.contains("bucket_")
                && r.stderr.contains("No space left on device"), "\(r.stderr)")
        #expect(r.stderr.contains("Free some space") && !r.stderr.contains("NSCocoaErrorDomain"), "\(r.stderr)")
    }
}
