import Foundation
import Testing

/// The `team-quern` executable end to end, as the team runs it: it lists the team's plugins beside
/// the built-ins; a whole run (generated data, the `pairs` extractor, the `stratified-head` merge)
/// publishes outputs that `team-quern verify` accepts; and the child processes of `compare` and
/// `run --datasets` know the team's plugins too.
@Suite("team-quern end to end")
struct TeamQuernTests {
    /// `team-quern`, built next to this test bundle by `swift build` / `swift test`.
    static var binary: String {
        if let b = ProcessInfo.processInfo.environment["TEAM_QUERN_BIN"], !b.isEmpty { return b }
        let me =
            (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return String(me[..<(me.lastIndex(of: "/") ?? me.startIndex)]) + "/team-quern"
    }

    /// Runs `team-quern args...` in `cwd`; returns its status and output.
    static func run(_ args: [String], cwd: String) throws -> (status: Int32, stdout: String, stderr: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: binary)
        p.arguments = args
        p.currentDirectoryURL = URL(fileURLWithPath: cwd)
        let out = Pipe()
        let err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
    }

    @Test func pluginsListsTheTeamsBesideTheBuiltIns() throws {
        let r = try Self.run(["plugins"], cwd: "/")
        #expect(r.status == 0, "\(r.stderr)")
        for name in ["pairs", "stratified-head", "tabular", "hashed", "zstd", "csv", "concat", "balance"] {
            #expect(r.stdout.contains("  \(name) "), "team-quern plugins lists \(name)")
        }
    }

    /// Usage lines and hints name the executable the team runs, not `quern`.
    @Test func usageNamesTheTeamsExecutable() throws {
        let r = try Self.run(["run", "--no-such-flag"], cwd: "/")
        #expect(r.status == 64)
        #expect(r.stderr.contains("Usage: team-quern run"), "\(r.stderr)")
        #expect(r.stderr.contains("See 'team-quern run --help'"), "\(r.stderr)")
    }

    @Test func aWholeRunWithTheTeamsPlugins() throws {
        let ws = TempFolder("team-quern-run")
        let generated = try Self.run(
            ["generate", "--files", "12", "--rows", "20", "--seed", "2", "--out", "in"], cwd: ws.path)
        try #require(generated.status == 0, "\(generated.stderr)")
        let config = """
            paths: {input: in, intermediate: mid, output: out, logs: logs}
            batch: {files_per_batch: 4}
            extractor:
              name: pairs
              pairs: [f00/f01, turn/num_players]
              label: action
              classes: 84
              group: game_id
            merge:
              strategy: stratified-head:per_class=1
            """
        try config.write(toFile: "\(ws.path)/team.yaml", atomically: true, encoding: .utf8)
        let run = try Self.run(["run", "--config", "team.yaml", "--quiet"], cwd: ws.path)
        #expect(run.status == 0, "\(run.stderr)")
        let verify = try Self.run(["verify", "--output-dir", "out"], cwd: ws.path)
        #expect(verify.status == 0, "\(verify.stdout)\(verify.stderr)")
        // 4 features (a-b and a/b of two pairs), and at most one row per class and split.
        let header = try #require(FileManager.default.contents(atPath: "\(ws.path)/out/X_train.npy")).prefix(128)
        let text = String(decoding: header, as: UTF8.self)
        let shape = try #require(
            text.range(of: #"\(\d+, 4\)"#, options: .regularExpression), "X_train.npy holds 4 features: \(text)")
        let rows = Int(text[shape].dropFirst().prefix { $0.isNumber }) ?? -1
        #expect(rows > 0 && rows <= 84, "one row per class at most in train, got \(rows)")
        let summary = try String(contentsOfFile: "\(ws.path)/logs/summary.json", encoding: .utf8)
        #expect(summary.contains("\"rows_dropped\""), "the rows stratified-head dropped are counted in summary.json")
        // Child processes are this same executable, so they know the team's plugins too:
        // compare runs each strategy as a child `merge`, run --datasets each dataset as a child `run`.
        let compare = try Self.run(
            [
                "compare", "--config", "team.yaml", "--merge-strategies", "concat,stratified-head:per_class=1",
                "--compare-dir", "cmp", "--quiet",
            ], cwd: ws.path)
        #expect(compare.status == 0, "\(compare.stdout)\(compare.stderr)")
        #expect(compare.stdout.contains("stratified-head"), "\(compare.stdout)")
        try FileManager.default.createDirectory(atPath: "\(ws.path)/many", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: "\(ws.path)/in", toPath: "\(ws.path)/many/first")
        try FileManager.default.copyItem(atPath: "\(ws.path)/in", toPath: "\(ws.path)/many/second")
        let datasets = try Self.run(
            ["run", "--config", "team.yaml", "--datasets", "many", "--output-dir", "per-dataset", "--quiet"],
            cwd: ws.path)
        #expect(datasets.status == 0, "\(datasets.stdout)\(datasets.stderr)")
        for name in ["first", "second"] {
            #expect(
                FileManager.default.fileExists(atPath: "\(ws.path)/per-dataset/\(name)/X_train.npy"),
                "dataset \(name) was run with the team's plugins")
        }
    }
}
