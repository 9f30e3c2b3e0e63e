import Foundation
import QuernCore
import QuernTestSupport
import Testing

/// A hook that cannot run, or a hooks folder that is not there, is said clearly: a typo must not
/// silently switch off a safety gate such as a pre-merge check.
@Suite("Hook setup errors", .serialized)
struct HookSetupTests {
    static let config = ExtractEndToEndTests.config

    func workspace() throws -> TempWorkspace {
        let ws = TempWorkspace("quern-hook-setup")
        let r = try QuernProcess.run(["generate", "--files", "6", "--rows", "5", "--out", "\(ws.path)/in"])
        #expect(r.status == 0)
        return ws
    }

    @Test(arguments: ["pre-merge", "post-merge"])
    func aHookWithoutAShebangLineSaysSo(point: String) throws {
        let ws = try workspace()
        let path = ws.write("hooks/\(point)", "echo checked > checked.txt\n")
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: path)
        let r = try QuernProcess.run(["run", "--config", Self.config, "--input-dir", "in"], cwd: ws.path)
        #expect(r.status == 1)
        #expect(r.stderr.contains("#!"), "\(r.stderr)")
        #expect(r.stderr.contains(point))
    }

    @Test func aMissingHooksDirGivenExplicitlyIsAnError() throws {
        let ws = try workspace()
        let strict = try QuernProcess.run(
            ["validate", "--config", Self.config, "--input-dir", "in", "--hooks-dir", "hoks", "--strict"], cwd: ws.path)
        #expect(strict.status == 1)
        #expect(strict.stderr.contains("hoks") && strict.stderr.contains("does not exist"), "\(strict.stderr)")
        let plain = try QuernProcess.run(
            ["validate", "--config", Self.config, "--input-dir", "in", "--hooks-dir", "hoks"], cwd: ws.path)
        #expect(plain.stderr.contains("hoks"), "validate without --strict still says it")
        let run = try QuernProcess.run(
            ["run", "--config", Self.config, "--input-dir", "in", "--hooks-dir", "hoks"], cwd: ws.path)
        #expect(run.status == 1)
        #expect(run.stderr.contains("hoks"), "\(run.stderr)")
        #expect(!FileManager.default.fileExists(atPath: "\(ws.path)/data/processed"), "nothing ran")
        let listing = try QuernProcess.run(["hooks", "--hooks-dir", "hoks"], cwd: ws.path)
        #expect(
            listing.status == 1 && listing.stderr.contains("hoks") && listing.stderr.contains("does not exist"),
            "\(listing.stderr)")
        // From the config too.
        ws.write("h.yaml", try String(contentsOfFile: Self.config, encoding: .utf8) + "\nhooks:\n  dir: gone\n")
        let fromConfig = try QuernProcess.run(
            ["validate", "--config", "h.yaml", "--input-dir", "in", "--strict"], cwd: ws.path)
        #expect(fromConfig.status == 1 && fromConfig.stderr.contains("gone"), "\(fromConfig.stderr)")
        // A symlink loop, and a file where a folder belongs.
        try FileManager.default.createSymbolicLink(atPath: "\(ws.path)/loop", withDestinationPath: "loop")
        let loop = try QuernProcess.run(
            ["validate", "--config", Self.config, "--input-dir", "in", "--hooks-dir", "loop", "--strict"], cwd: ws.path)
        #expect(loop.status == 1 && loop.stderr.contains("loop"), "\(loop.stderr)")
        ws.write("afile", "x")
        let file = try QuernProcess.run(
            ["validate", "--config", Self.config, "--input-dir", "in", "--hooks-dir", "afile", "--strict"], cwd: ws.path
        )
        #expect(
            file.status == 1 && file.stderr.contains("afile") && file.stderr.contains("not a folder"), "\(file.stderr)")
        // The default folder may be absent: no hooks then.
        let none = try QuernProcess.run(
            ["validate", "--config", Self.config, "--input-dir", "in", "--strict"], cwd: ws.path)
        #expect(none.status == 0, "\(none.stderr)")
        // --no-hooks wins over a missing folder.
        let off = try QuernProcess.run(
            [
                "validate", "--config", Self.config, "--input-dir", "in", "--hooks-dir", "hoks", "--no-hooks",
                "--strict",
            ], cwd: ws.path)
        #expect(off.status == 0, "\(off.stderr)")
    }
}
