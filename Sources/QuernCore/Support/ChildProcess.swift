public import Foundation
import Synchronization
import CQuernSys
#if canImport(Glibc)
import Glibc
#endif

/// Runs a child (a hook, or a `quern merge` that `quern compare` measures) as its own process
/// group, so a timeout or Ctrl-C ends everything it started: stdin is /dev/null, stdout and stderr
/// stream to the console line by line, prefixed with its name. Hand-written on posix_spawn
/// because Foundation's Process can neither start a process group nor report the child's peak
/// memory (wait4's rusage), and both are the point.
public enum ChildProcess {
    public struct Result: Sendable {
        /// Exit status, or 128 + signal when it was killed.
        public var status: Int32
        public var timedOut: Bool
        public var seconds: Double
        /// The last lines it wrote to stderr.
        public var stderrTail: [String]
        /// Peak resident memory of the child, in bytes.
        public var peakBytes: Int = 0
    }


    public static func run(argv: [String], env: [String: String], name: String, timeout: Double, console: Console) async -> Result {
        return await withCheckedContinuation { continuation in
            Thread.detachNewThread {
                continuation.resume(returning: runBlocking(argv: argv, env: env, name: name, timeout: timeout, console: console))
            }
        }
    }

    static func runBlocking(argv: [String], env: [String: String], name: String, timeout: Double, console: Console) -> Result {
        let started = monotonicSeconds()
        var out: [Int32] = [0, 0], err: [Int32] = [0, 0]
        guard quern_pipe_cloexec(&out) == 0, quern_pipe_cloexec(&err) == 0 else {
            return Result(status: 127, timedOut: false, seconds: 0, stderrTail: ["cannot create pipes: \(String(cString: strerror(errno)))"])
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, out[1], 1)
        posix_spawn_file_actions_adddup2(&actions, err[1], 2)
        var attr = posix_spawnattr_t()
        posix_spawnattr_init(&attr)
        defer { posix_spawnattr_destroy(&attr) }
        posix_spawnattr_setpgroup(&attr, 0)
        SpawnedProcess.resetSignals(&attr, flags: Int32(POSIX_SPAWN_SETPGROUP))
        let cArgs = argv.map { strdup($0) } + [nil]
        let cEnv = env.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            cArgs.forEach { free($0) }
            cEnv.forEach { free($0) }
        }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, argv[0], &actions, &attr, cArgs, cEnv)
        close(out[1])
        close(err[1])
        guard rc == 0 else {
            close(out[0])
            close(err[0])
            let hint = rc == ENOEXEC ? " (does it start with a #! line?)" : ""
            return Result(status: 127, timedOut: false, seconds: 0, stderrTail: ["cannot start \(argv[0]): \(String(cString: strerror(rc)))\(hint)"])
        }
        quern_track_group(pid)
        defer { quern_untrack_group(pid) }
        let tail = Mutex<[String]>([])
        let done = DispatchGroup()
        for (fd, isErr) in [(out[0], false), (err[0], true)] {
            done.enter()
            Thread.detachNewThread {
                pump(fd: fd, name: name, console: console) { line in
                    if isErr { tail.withLock { $0.append(line); if $0.count > 20 { $0.removeFirst() } } }
                }
                done.leave()
            }
        }
        var status: Int32 = 0
        var timedOut = false
        var usage = rusage()
        let deadline = started + timeout
        // The child's own peak, sampled while it runs: wait4's ru_maxrss also counts the memory
        // of this process at the spawn (a vfork-style spawn carries its high-water mark across exec).
        var sampledPeak = 0
        while true {
            sampledPeak = max(sampledPeak, highWaterMark(of: pid))
            let r = wait4(pid, &status, WNOHANG, &usage)
            if r == pid || (r < 0 && errno != EINTR) { break }
            if monotonicSeconds() > deadline && !timedOut {
                timedOut = true
                kill(-pid, SIGTERM)
                let grace = monotonicSeconds() + 3
                while monotonicSeconds() < grace, wait4(pid, &status, WNOHANG, &usage) == 0 { usleep(20_000) }
                kill(-pid, SIGKILL)
                wait4(pid, &status, 0, &usage)
                break
            }
            usleep(5_000)
        }
        // Output ends when every process holding the pipes is gone; don't wait long for daemons.
        if done.wait(timeout: .now() + (timedOut ? 0.5 : 2)) == .timedOut {
            close(out[0])
            close(err[0])
        }
        let code: Int32 = (status & 0x7F) == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
        return Result(status: code, timedOut: timedOut, seconds: monotonicSeconds() - started, stderrTail: tail.withLock { $0 }, peakBytes: sampledPeak > 0 ? sampledPeak : Int(usage.ru_maxrss) * 1024)
    }

    /// VmHWM of a running process (its peak resident memory since exec), or 0.
    static func highWaterMark(of pid: pid_t) -> Int {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
            let line = text.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
            let kb = Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "")
        else { return 0 }
        return kb * 1024
    }

    /// Reads `fd` to its end, printing each line with the hook's name.
    static func pump(fd: Int32, name: String, console: Console, onLine: (String) -> Void) {
        var pending: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 1 << 14)
        while true {
            let n = buf.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            pending += buf[0..<n]
            while let nl = pending.firstIndex(of: 10) {
                let line = String(decoding: pending[..<nl], as: UTF8.self)
                pending.removeSubrange(...nl)
                console.info("[\(name)] \(line)")
                onLine(line)
            }
        }
        if !pending.isEmpty {
            let line = String(decoding: pending, as: UTF8.self)
            console.info("[\(name)] \(line)")
            onLine(line)
        }
        close(fd)
    }
}
