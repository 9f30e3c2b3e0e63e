import CQuernSys
import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A child process started with posix_spawn and waited for with wait4 on its own pid: `sbatch`
/// for `quern slurm`, and every process the tests start (quern itself, python3, the Slurm
/// cluster script).
///
/// Hand-written rather than Foundation's `Process`: on Linux `Process.waitUntilExit()` can miss
/// the child's exit and wait forever (seen here: the Slurm test hung CI for an hour waiting for a
/// shell script that had long exited; swift-corelibs-foundation and swift issues report the same),
/// because it depends on a run loop noticing SIGCHLD. Waiting on the pid cannot miss it.
///
///     let r = try SpawnedProcess.run(["python3", "-c", "print(1)"])   // r.status == 0, r.stdout == "1\n"
public final class SpawnedProcess: @unchecked Sendable {
    /// Where the child's stdout or stderr goes.
    public enum Output: Sendable {
        /// Into a private file, read back by `output()` once the child has ended. A file rather than
        /// a pipe: daemons the child starts cannot hold it open and make the reader wait.
        case capture
        /// /dev/null.
        case discard
        /// The same stream as this process's.
        case inherit
    }

    /// How a child ended.
    public struct Termination: Sendable, Equatable {
        /// The exit status, or 128 + the signal's number when a signal ended it (as a shell says).
        public var status: Int32
        /// The signal that ended it, if one did.
        public var signal: Int32?
    }

    /// What `run` returns: how the child ended and what it wrote.
    public struct Result: Sendable {
        public var status: Int32
        public var signal: Int32?
        public var stdout: String
        public var stderr: String
    }

    public let pid: Int32
    private let captured: (out: Int32, err: Int32)
    private let ended = Mutex<Termination?>(nil)

    /// Starts `argv` (argv[0] is looked up in PATH when it has no slash). `env` nil keeps this
    /// process's environment; `cwd` nil keeps its folder. stdin is /dev/null.
    public init(
        _ argv: [String], env: [String: String]? = nil, cwd: String? = nil, stdout: Output = .capture,
        stderr: Output = .capture
    ) throws {
        precondition(!argv.isEmpty, "SpawnedProcess needs a program to run")
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        let out = try Self.route(stdout, to: 1, &actions)
        let err = try Self.route(stderr, to: 2, &actions)
        if let cwd { quern_spawn_addchdir(&actions, cwd) }
        var attr = posix_spawnattr_t()
        posix_spawnattr_init(&attr)
        defer { posix_spawnattr_destroy(&attr) }
        Self.resetSignals(&attr)
        let cArgs = argv.map { strdup($0) } + [nil]
        let cEnv = env.map { $0.map { strdup("\($0.key)=\($0.value)") } + [nil] }
        defer {
            for p in cArgs { free(p) }
            for p in cEnv ?? [] { free(p) }
        }
        var pid: pid_t = 0
        let rc = Self.retryingWhileBusy {
            cEnv.map { posix_spawnp(&pid, argv[0], &actions, &attr, cArgs, $0) }
                ?? posix_spawnp(&pid, argv[0], &actions, &attr, cArgs, environ)
        }
        guard rc == 0 else {
            for fd in [out, err] where fd >= 0 { close(fd) }
            throw SpawnError.cannotStart(argv[0], reason: String(cString: strerror(rc)))
        }
        self.pid = pid
        captured = (out, err)
    }

    deinit {
        for fd in [captured.out, captured.err] where fd >= 0 { close(fd) }
    }

    /// Runs `spawn` again while it fails with ETXTBSY, for up to two seconds. A program file is
    /// "busy" while any process has it open for writing, and that includes a process that only
    /// inherited the descriptor across a fork of the writer and has not reached its exec yet: a
    /// hook or program written just before it runs, by a process that starts others, can hit
    /// this for a moment. The same file is fine a few milliseconds later.
    static func retryingWhileBusy(_ spawn: () -> Int32) -> Int32 {
        var rc = spawn()
        var waited = 0
        while rc == ETXTBSY && waited < 2_000 {
            usleep(20_000)
            waited += 20
            rc = spawn()
        }
        return rc
    }

    /// Children start with default signal handling and nothing blocked, whatever quern set for
    /// itself (its SIGINT/SIGTERM handler, a blocked signal in a worker thread); `flags` adds to
    /// the spawn flags (a process group, for hooks).
    static func resetSignals(_ attr: inout posix_spawnattr_t, flags: Int32 = 0) {
        var none = sigset_t()
        sigemptyset(&none)
        posix_spawnattr_setsigmask(&attr, &none)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for s in [SIGINT, SIGTERM, SIGPIPE, SIGQUIT, SIGCHLD] { sigaddset(&defaults, s) }
        posix_spawnattr_setsigdefault(&attr, &defaults)
        posix_spawnattr_setflags(&attr, Int16(Int32(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF) | flags))
    }

    /// Runs `argv` to its end and returns its status and output.
    public static func run(_ argv: [String], env: [String: String]? = nil, cwd: String? = nil) throws -> Result {
        let p = try SpawnedProcess(argv, env: env, cwd: cwd)
        let t = p.wait()
        let (out, err) = p.output()
        return Result(status: t.status, signal: t.signal, stdout: out, stderr: err)
    }

    /// Whether the child is still running (reaps it once it has ended).
    public var isRunning: Bool { reap(blocking: false) == nil }

    /// Waits for the child to end.
    @discardableResult
    public func wait() -> Termination {
        while true {
            if let t = reap(blocking: true) { return t }
        }
    }

    /// What the child wrote to its captured streams (empty for streams not captured). Call after `wait()`.
    public func output() -> (stdout: String, stderr: String) {
        (Self.readAll(captured.out), Self.readAll(captured.err))
    }

    private func reap(blocking: Bool) -> Termination? {
        if blocking {
            // Sleep until the child has ended without reaping it, so that `isRunning` on another
            // thread and this wait never race for the status.
            var info = siginfo_t()
            while waitid(P_PID, id_t(pid), &info, WEXITED | WNOWAIT) != 0 && errno == EINTR {}
        }
        return ended.withLock { ended in
            if let t = ended { return t }
            var status: Int32 = 0
            let r = waitpid(pid, &status, WNOHANG)
            if r == 0 { return nil }
            if r < 0 {
                // Nobody else waits for this pid, so this is not expected; report it as a failure
                // rather than spin.
                ended = Termination(status: 127, signal: nil)
                return ended
            }
            let signal = status & 0x7F
            ended =
                signal == 0
                ? Termination(status: (status >> 8) & 0xFF, signal: nil)
                : Termination(status: 128 + signal, signal: signal)
            return ended
        }
    }

    private static func route(_ output: Output, to target: Int32, _ actions: inout posix_spawn_file_actions_t) throws
        -> Int32
    {
        switch output {
        case .inherit:
            return -1
        case .discard:
            posix_spawn_file_actions_addopen(&actions, target, "/dev/null", O_WRONLY, 0)
            return -1
        case .capture:
            var template = Array((NSTemporaryDirectory() + "/quern-spawn-XXXXXX").utf8CString)
            let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
            guard fd >= 0 else {
                throw SpawnError.cannotStart(
                    "a child process",
                    reason: "cannot create a file for its output: \(String(cString: strerror(errno)))")
            }
            template.withUnsafeBufferPointer { _ = unlink($0.baseAddress!) }
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            posix_spawn_file_actions_adddup2(&actions, fd, target)
            return fd
        }
    }

    private static func readAll(_ fd: Int32) -> String {
        guard fd >= 0 else { return "" }
        var data: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 1 << 16)
        var offset: off_t = 0
        while true {
            let n = buf.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, offset) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            data += buf[0..<n]
            offset += off_t(n)
        }
        return String(decoding: data, as: UTF8.self)
    }
}

/// A child process that could not be started.
public enum SpawnError: Error, CustomStringConvertible {
    case cannotStart(String, reason: String)

    public var description: String {
        switch self {
        case .cannotStart(let program, let reason): "cannot start \(program): \(reason)"
        }
    }
}
