import Foundation
import QuernCore
import QuernKit
import QuernTestSupport
import Synchronization
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Seeded random combinations of every command's flags, read from each command's `--help` (so a
/// new flag is fuzzed without touching this file), with odd values: paths (empty, `.`, one
/// character, trailing slashes, spaces, unicode, `~`, very long), numbers (0, -1, huge, not
/// numbers) and names. A case passes when quern exits by itself, with any status: an exit by a
/// signal (a trap, an abort) or a run past the timeout fails the test.
///
/// Safety: every case runs in its own folder inside a temporary workspace. Folders quern may write
/// (output, intermediate, log, compare, script, generate's `--out`) get only relative names, never
/// `..`, `/` or an absolute path outside the workspace; `/` and system files are given only to
/// flags that read (`--input-dir`, `--config`, `--hooks-dir`). `generate` and `compare` get only
/// small counts, so a valid huge number never means hours of work.
///
/// `QUERN_CLI_FUZZ_SEED=<n>` and `QUERN_CLI_FUZZ_CASES=<n>` run other cases; a failure prints the
/// seed, the case number and the command line, run in the case's folder.
@Suite("CLI fuzz: no crash, no hang", .serialized)
struct CLIFuzzTests {
    static let config = ExtractEndToEndTests.config
    static let timeoutSeconds = 30.0
    static let commands = [
        "run", "extract", "merge", "validate", "verify", "init", "generate", "compare", "hooks", "plugins", "slurm",
        "inspect", "export",
    ]

    /// A flag of a command, as its `--help` lists it: the name, and the placeholder of its value
    /// (`dir`, `n`, `size`, ...) or nil for a switch.
    struct Flag: Sendable {
        var name: String
        var value: String?
    }

    /// The flags `quern <command> --help` lists (`-h/--help` left out).
    static func flags(of command: String) throws -> [Flag] {
        let help = try QuernProcess.run([command, "--help"]).stdout
        let pattern = try Regex(#"^  (?:-\w, )?(--[a-z][a-z0-9-]*)(?: <([^>]+)>)?"#)
        var flags: [Flag] = []
        for line in help.split(separator: "\n") {
            guard let m = try pattern.firstMatch(in: String(line)), let name = m.output[1].substring.map(String.init),
                name != "--help"
            else { continue }
            flags.append(Flag(name: name, value: m.output[2].substring.map(String.init)))
        }
        return flags
    }

    // Values. Folders quern may write: relative, inside the case's folder.
    static let writablePaths = [
        "", ".", "./", "x", "o/", "o/.", "o/results", "o//results///", " ", "-", "é", "é/", "~", "~/mid", "a b/c d",
        "データ/出力", "new\nline",
        "$(touch pwned)", String(repeating: "a", count: 255), String(repeating: "b", count: 256),
        String(repeating: "d/", count: 2100), ".hidden",
    ]
    static let readablePaths =
        writablePaths + [
            "/", "/nonexistent-quern", "/dev/null", "/etc/hostname", "../in", "../in/", "../in/game_000000.csv",
            "../q.yaml",
        ]
    static let numbers = [
        "0", "-1", "1", "2", "7", "3000000000", "9223372036854775807", "-9223372036854775808",
        "99999999999999999999999", "abc", "", "1.5", "1e3",
        "0x10", " 5", "5 ", "+3",
    ]
    static let smallNumbers = ["0", "-1", "1", "2", "abc", "", "99999999999999999999999", "1.5"]
    static let sizes = [
        "1MiB", "100MiB", "2GiB", "0", "-1", "abc", "", "1e100GiB", "18446744073709551616", "1KiB", "512",
    ]
    static let names = [
        "", "x", "-", "é", "zstd", "zstd:3", "zstd:99", "lz4", "none", "zlib:0", "brotli", "shuffle", "shuffle:seed=-1",
        "concat", "dedupe", "balance",
        "balance:head=nope", "csv", "tsv", "jsonl", "auto", "csv:delimiter=;", "tabular", "hashed", "standard",
        "minmax", "none", "text", "json", "dirs",
        "files",
        "concat,shuffle", "a=b", String(repeating: "n", count: 300), "name with spaces", "--", "-q",
    ]
    static let shards = ["0/1", "1/2", "3/2", "auto", "-1/2", "0/0", "x", "", "1/99999999999999999999"]
    static let fractions = ["0.8,0.1,0.1", "1,0,0", "0.5,0.5", "2,-1,0", "a,b,c", "", "0.8,0.1,0.1,0", "nan,0,1"]

    /// Flags whose folder quern creates or writes into.
    static let writes: Set<String> = [
        "--output-dir", "--intermediate-dir", "--log-dir", "--compare-dir", "--script-dir", "--out", "--to",
    ]

    static func value(for flag: Flag, command: String, _ rng: inout SplitMix64) -> String {
        func pick(_ pool: [String]) -> String { pool[Int(rng.next() % UInt64(pool.count))] }
        let placeholder = flag.value ?? ""
        if writes.contains(flag.name) { return pick(writablePaths) }
        if ["generate", "compare"].contains(command) && ["n", "files", "rows", "bad", "repeat"].contains(placeholder) {
            return pick(smallNumbers)
        }
        switch placeholder {
        case "dir", "file": return pick(flag.name == "--datasets" ? readablePaths.filter { $0 != "/" } : readablePaths)
        case "n", "files", "rows", "seed", "bad", "repeat": return pick(numbers)
        case "size": return pick(sizes)
        case "K/N|auto": return pick(shards)
        case "f,f,f": return pick(fractions)
        default: return pick(names + numbers.prefix(4))
        }
    }

    /// The flags that make a command do real work on the workspace's tiny inputs; the fuzzed
    /// flags come after them, and override them.
    static func base(_ command: String, _ rng: inout SplitMix64) -> [String] {
        if rng.next() % 10 == 0 { return [] }  // sometimes nothing but the fuzzed flags
        switch command {
        case "run":
            return ["--config", "../q.yaml", "--input-dir", "../in", "--intermediate-dir", "mid"]
                + (rng.next() % 2 == 0 ? ["--dry-run"] : [])
        case "extract", "validate":
            return ["--config", "../q.yaml", "--input-dir", "../in", "--intermediate-dir", "mid"]
        case "merge", "compare":
            return ["--config", "../q.yaml", "--intermediate-dir", "mid"]
                + (command == "compare" ? ["--merge-strategies", "concat"] : [])
        case "verify": return ["--intermediate-dir", "mid"]
        case "init": return ["--input-dir", "../in"]
        case "generate": return ["--out", "gen", "--files", "2", "--rows", "3"]
        case "hooks": return ["--config", "../q.yaml"]
        case "slurm": return ["--config", "../q.yaml", "--input-dir", "../in", "--dry-run"]
        case "inspect": return [["mid", "mid/batch_000000.npz", "../in", "."][Int(rng.next() % 4)]]
        case "export": return ["mid", "--to", "exp"]
        default: return []
        }
    }

    struct Case: Sendable {
        var number: Int
        var args: [String]
        var needsBatches: Bool
    }

    static func cases(seed: UInt64, count: Int, flags: [String: [Flag]]) -> [Case] {
        var rng = SplitMix64(seed: seed)
        var cases: [Case] = []
        for number in 0..<count {
            // compare runs child merges: fewer of them.
            var command = commands[Int(rng.next() % UInt64(commands.count))]
            if command == "compare" && rng.next() % 3 != 0 { command = "validate" }
            var args = [command] + base(command, &rng)
            let available = flags[command] ?? []
            for _ in 0..<(1 + Int(rng.next() % 4)) where !available.isEmpty {
                let flag = available[Int(rng.next() % UInt64(available.count))]
                args.append(flag.name)
                if flag.value != nil { args.append(value(for: flag, command: command, &rng)) }
            }
            // Slurm without --dry-run would submit jobs; slurm's fuzzed flags never drop it.
            if command == "slurm" && !args.contains("--dry-run") { args.append("--dry-run") }
            cases.append(
                Case(
                    number: number, args: args,
                    needsBatches: ["merge", "verify", "compare", "run", "inspect", "export"].contains(command)))
        }
        return cases
    }

    /// Shell-quoted, to paste into a terminal in the case's folder.
    static func commandLine(_ args: [String]) -> String {
        (["quern"] + args).map { a in
            a.isEmpty || a.contains(where: { !($0.isLetter || $0.isNumber || "-_./=:,".contains($0)) })
                ? "'" + a.replacingOccurrences(of: "'", with: "'\\''") + "'" : a
        }
        .joined(separator: " ")
    }

    @Test func randomFlagCombinationsOfEveryCommandNeverCrashOrHang() throws {
        let env = ProcessInfo.processInfo.environment
        let seed = UInt64(env["QUERN_CLI_FUZZ_SEED"] ?? "") ?? 20_261_201
        let count = Int(env["QUERN_CLI_FUZZ_CASES"] ?? "") ?? 300
        let ws = TempWorkspace("quern-cli-fuzz")
        #expect(
            try QuernProcess.run(["generate", "--files", "2", "--rows", "4", "--seed", "3", "--out", "\(ws.path)/in"])
                .status == 0)
        try FileManager.default.copyItem(atPath: Self.config, toPath: "\(ws.path)/q.yaml")
        let extracted = try QuernProcess.run(
            ["extract", "--config", "q.yaml", "--input-dir", "in", "--intermediate-dir", "mid", "--no-hooks", "-q"],
            cwd: ws.path)
        #expect(extracted.status == 0, "\(extracted.stderr)")
        var flags: [String: [Flag]] = [:]
        for command in Self.commands { flags[command] = try Self.flags(of: command) }
        #expect(
            flags["run"]?.contains { $0.name == "--output-dir" && $0.value == "dir" } == true,
            "flags are read from --help")

        let cases = Self.cases(seed: seed, count: count, flags: flags)
        let next = Mutex(0)
        let failures = Mutex<[String]>([])
        let statuses = Mutex<[Int32: Int]>([:])
        let workers = 4
        DispatchQueue.concurrentPerform(iterations: workers) { _ in
            while true {
                let i = next.withLock { n -> Int in
                    defer { n += 1 }
                    return n
                }
                guard i < cases.count else { return }
                let c = cases[i]
                let dir = "\(ws.path)/case-\(c.number)"
                do {
                    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
                    if c.needsBatches {
                        try FileManager.default.copyItem(atPath: "\(ws.path)/mid", toPath: "\(dir)/mid")
                    }
                    // No hooks from the environment, no backtracer (a crash is reported as its signal, fast).
                    let p = try QuernProcess.start(
                        c.args, cwd: dir, quietOutput: true, env: ["SWIFT_BACKTRACE": "enable=no", "HOME": dir])
                    let deadline = Date().addingTimeInterval(Self.timeoutSeconds)
                    while p.isRunning && Date() < deadline { usleep(5_000) }
                    var why: String? = nil
                    if p.isRunning {
                        kill(p.pid, SIGKILL)
                        why = "still running after \(Int(Self.timeoutSeconds)) s (a hang)"
                    }
                    let t = p.wait()
                    if why == nil, let s = t.signal { why = "ended by signal \(s)" }
                    statuses.withLock { $0[t.status, default: 0] += 1 }
                    if let why {
                        failures.withLock {
                            $0.append("case \(c.number) (seed \(seed)): \(why): \(Self.commandLine(c.args))")
                        }
                    }
                } catch {
                    failures.withLock { $0.append("case \(c.number) (seed \(seed)): could not run: \(error)") }
                }
                // rm, not FileManager: a `d/d/d/...` tree deeper than PATH_MAX defeats removeItem.
                _ = try? SpawnedProcess.run(["rm", "-rf", dir])
            }
        }
        let found = failures.withLock { $0 }.sorted()
        #expect(
            found.isEmpty,
            "\(found.count) of \(cases.count) cases crashed or hung; run each in an empty folder beside copies of in/, q.yaml and mid/:\n\(found.joined(separator: "\n"))"
        )
        let byStatus = statuses.withLock { $0 }.sorted { $0.key < $1.key }.map { "exit \($0.key): \($0.value)" }.joined(
            separator: ", ")
        // A good share must get past the flag checks (64: parsing, and since item 18 every bad flag
        // value too), or the fuzz tests only the parser.
        let parsed = statuses.withLock { $0 }.filter { $0.key != 64 }.values.reduce(0, +)
        #expect(
            parsed * 3 >= cases.count,
            "only \(parsed) of \(cases.count) cases got past the argument parser (\(byStatus))")
        print("CLI fuzz: \(cases.count) cases, seed \(seed), \(found.count) crashes or hangs; \(byStatus)")
    }
}
