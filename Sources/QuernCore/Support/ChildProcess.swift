import CQuernSys
import Foundation
import Synchronization

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
        /// Why the child could not be started at all (then `status` is 127), with a hint.
        public var startError: String? = nil
    }

    public static func run(argv: [String], env: [String: String], name: String, timeout: Double, console: Console) async
        -> Result
    {
        await OffPool.run { runBlocking(argv: argv, env: env, name: name, timeout: timeout, console: console) }
    }

    static func runBlocking(argv: [String], env: [String: String], name: String, timeout: Double, console: Console)
        -> Result
    {
        let started = monotonicSeconds()
        // `wake`: closing its write end tells the output readers to stop (see below).
        var out: [Int32] = [-1, -1]
        var err: [Int32] = [-1, -1]
        var wake: [Int32] = [-1, -1]
        guard quern_pipe_cloexec(&out) == 0, quern_pipe_cloexec(&err) == 0, quern_pipe_cloexec(&wake) == 0 else {
            for fd in out + err + wake where fd >= 0 { close(fd) }
            return Result(
                status: 127, timedOut: false, seconds: 0,
                stderrTail: ["cannot create pipes: \(String(cString: strerror(errno)))"])
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
        // A quern child reads this at start and asks to end with this process (PR_SET_PDEATHSIG):
        // a SIGKILLed `run --datasets` or `compare` must not leave it running, holding its locks.
        var env = env
        env["QUERN_PARENT_PID"] = String(getpid())
        let cEnv = env.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for p in cArgs { free(p) }
            for p in cEnv { free(p) }
        }
        var pid: pid_t = 0
        let rc = SpawnedProcess.retryingWhileBusy { posix_spawn(&pid, argv[0], &actions, &attr, cArgs, cEnv) }
        close(out[1])
        close(err[1])
        guard rc == 0 else {
            for fd in [out[0], err[0]] + wake { close(fd) }
            let why = "cannot start \(argv[0]): \(String(cString: strerror(rc)))\(startHint(rc, program: argv[0]))"
            return Result(status: 127, timedOut: false, seconds: 0, stderrTail: [why], startError: why)
        }
        quern_track_group(pid)
        defer { quern_untrack_group(pid) }
        // Each stream has a reader thread that owns its end of the pipe; closing the write end of
        // `wake` tells them to stop reading, and they close their own descriptors.
        let output = ChildOutput(name: name, console: console)
        let done = DispatchGroup()
        for (fd, isErr) in [(out[0], false), (err[0], true)] {
            done.enter()
            let wakeFd = wake[0]
            Thread.detachNewThread {
                output.pump(fd: fd, wake: wakeFd, isStderr: isErr)
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
        // Output ends when every process holding the pipes is gone. Background processes the
        // child left behind get a moment to finish writing, then the readers stop: they close the
        // pipes, and what a daemon writes after that goes nowhere (it gets EPIPE, or SIGPIPE).
        if done.wait(timeout: .now() + (timedOut ? 0.5 : 2)) == .timedOut {
            close(wake[1])
            wake[1] = -1
        }
        done.wait()
        for fd in wake where fd >= 0 { close(fd) }
        output.finish()
        let code: Int32 = (status & 0x7F) == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
        return Result(
            status: code, timedOut: timedOut, seconds: monotonicSeconds() - started, stderrTail: output.stderrTail,
            peakBytes: sampledPeak > 0 ? sampledPeak : Int(usage.ru_maxrss) * 1024)
    }

    /// What to check when `program` cannot be executed: the kernel says only ENOEXEC for a script
    /// without a `#!` line, and ENOENT for an existing script whose interpreter does not exist.
    static func startHint(_ error: Int32, program: String) -> String {
        if error == ENOEXEC { return " (a script needs a #! line, such as #!/bin/sh, as its first line)" }
        if error == ENOENT && access(program, F_OK) == 0 {
            return " (the interpreter its #! line names does not exist)"
        }
        if error == ETXTBSY {
            return " (another process still has it open for writing; close it, or write it to a new name and rename)"
        }
        return ""
    }

    /// VmHWM of a running process (its peak resident memory since exec), or 0.
    static func highWaterMark(of pid: pid_t) -> Int {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
            let line = text.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
            let kb = Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "")
        else { return 0 }
        return kb * 1024
    }
}
