#if canImport(Glibc)
    import Glibc
#endif

/// A child program spoken to in lines: started with `posix_spawnp` (argv as given, no shell) in a
/// process group of its own, its stdin, stdout and stderr connected to this process. The
/// `command` extractor runs a user's program through it; any plugin may (the kit is all a plugin
/// sees).
///
/// Why sockets rather than pipes: a socket pair is created close-on-exec in one call
/// (`SOCK_CLOEXEC`), so a program started by another worker thread at the same moment never
/// inherits this one's ends (it would hold a program's stdin open after quern closed it, and the
/// program would never see its end); and writing to a program that died is an error to report
/// (`MSG_NOSIGNAL`), not a SIGPIPE that ends quern.
///
/// Not shared between threads: one owner sends, reads and ends it.
public final class LineProcess {
    /// Why a program could not be started.
    public struct StartError: Error, CustomStringConvertible, Sendable {
        public var program: String
        public var reason: String
        public var description: String {
            "cannot start \(OneLine.escape(program)): \(reason). Check the command: its first word must be a program in PATH or a path to one (a script needs its interpreter first, e.g. [python3, worker.py])."
        }
    }

    /// What waiting for a line gave.
    public enum Reply: Equatable {
        /// One line, without its newline.
        case line([UInt8])
        /// The program closed its stdout (it ended, or is ending).
        case ended
        /// No whole line within the time given.
        case timedOut
        /// A line longer than the most allowed.
        case tooLong
    }

    public let pid: Int32
    public let argv: [String]
    private var stdinFD: Int32
    private var stdoutFD: Int32
    private var stderrFD: Int32
    private var pending: [UInt8] = []
    private var tail: [UInt8] = []
    /// What each read lands in, reused from record to record.
    private var chunk = [UInt8](repeating: 0, count: 64 << 10)
    private var status: Int32? = nil
    /// Bytes of stderr kept for messages (the last ones).
    public static let tailBytes = 2048

    /// Starts `argv` (argv[0] looked up in PATH when it has no slash) in this process's folder,
    /// with its environment.
    public init(_ argv: [String]) throws(StartError) {
        guard let program = argv.first, !program.isEmpty else {
            throw StartError(program: "", reason: "the command is empty")
        }
        self.argv = argv
        var ends: [[Int32]] = []
        for _ in 0..<3 {
            var pair: [Int32] = [-1, -1]
            let type = Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
            guard socketpair(AF_UNIX, type, 0, &pair) == 0 else {
                let e = errno
                for p in ends { for fd in p { close(fd) } }
                throw StartError(program: program, reason: String(cString: strerror(e)))
            }
            ends.append(pair)
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        // The child's ends become its 0, 1 and 2 (dup2 clears close-on-exec on the copy).
        for (k, pair) in ends.enumerated() { posix_spawn_file_actions_adddup2(&actions, pair[1], Int32(k)) }
        var attr = posix_spawnattr_t()
        posix_spawnattr_init(&attr)
        defer { posix_spawnattr_destroy(&attr) }
        var none = sigset_t()
        sigemptyset(&none)
        posix_spawnattr_setsigmask(&attr, &none)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for s in [SIGINT, SIGTERM, SIGPIPE, SIGQUIT, SIGCHLD] { sigaddset(&defaults, s) }
        posix_spawnattr_setsigdefault(&attr, &defaults)
        posix_spawnattr_setpgroup(&attr, 0)
        posix_spawnattr_setflags(
            &attr, Int16(Int32(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP)))
        let cArgs = argv.map { strdup($0) } + [nil]
        defer { for p in cArgs { free(p) } }
        var child: pid_t = 0
        var rc: Int32 = EAGAIN
        for attempt in 0..<50 {
            rc = posix_spawnp(&child, program, &actions, &attr, cArgs, environ)
            guard rc == EAGAIN || rc == ETXTBSY else { break }
            usleep(useconds_t(1000 * (attempt + 1)))
        }
        for pair in ends { close(pair[1]) }
        guard rc == 0 else {
            for pair in ends { close(pair[0]) }
            throw StartError(program: program, reason: String(cString: strerror(rc)))
        }
        pid = child
        stdinFD = ends[0][0]
        stdoutFD = ends[1][0]
        stderrFD = ends[2][0]
    }

    deinit { kill() }

    /// Sends `bytes` (a whole line, newline included). False when the program is gone.
    public func send(_ bytes: [UInt8]) -> Bool {
        guard stdinFD >= 0 else { return false }
        return bytes.withUnsafeBytes { raw -> Bool in
            var done = 0
            while done < raw.count {
                let n = Glibc.send(stdinFD, raw.baseAddress! + done, raw.count - done, Int32(MSG_NOSIGNAL))
                if n < 0 {
                    if errno == EINTR { continue }
                    return false
                }
                done += n
            }
            return true
        }
    }

    /// Waits up to `timeout` seconds for one line on the program's stdout (at most `maxBytes`),
    /// reading its stderr meanwhile (the last ``tailBytes`` are kept for messages).
    public func readLine(timeout: Double, maxBytes: Int = 64 << 20) -> Reply {
        let deadline = kitMonotonicSeconds() + timeout
        while true {
            if let nl = pending.firstIndex(of: 0x0A) {
                let line = Array(pending[..<nl])
                pending.removeSubrange(...nl)
                return .line(line)
            }
            if pending.count > maxBytes { return .tooLong }
            guard stdoutFD >= 0 else { return .ended }
            let left = deadline - kitMonotonicSeconds()
            if left <= 0 { return .timedOut }
            var fds = [pollfd(fd: stdoutFD, events: Int16(POLLIN), revents: 0)]
            if stderrFD >= 0 { fds.append(pollfd(fd: stderrFD, events: Int16(POLLIN), revents: 0)) }
            let ready = poll(&fds, nfds_t(fds.count), Int32(min(left * 1000 + 1, 1_000_000)))
            if ready < 0 && errno != EINTR { return .ended }
            if fds.count > 1 && fds[1].revents != 0 { drainStderr() }
            if fds[0].revents != 0 {
                let n = chunk.withUnsafeMutableBytes { read(stdoutFD, $0.baseAddress, $0.count) }
                if n > 0 {
                    pending.append(contentsOf: chunk[0..<n])
                } else if n == 0 || (errno != EINTR && errno != EAGAIN) {
                    close(stdoutFD)
                    stdoutFD = -1
                    return .ended
                }
            }
        }
    }

    private func drainStderr() {
        let n = chunk.withUnsafeMutableBytes { read(stderrFD, $0.baseAddress, $0.count) }
        if n > 0 {
            tail.append(contentsOf: chunk[0..<n])
            if tail.count > Self.tailBytes { tail.removeFirst(tail.count - Self.tailBytes) }
        } else if n == 0 || (errno != EINTR && errno != EAGAIN) {
            close(stderrFD)
            stderrFD = -1
        }
    }

    /// The last lines the program wrote to stderr (up to ``tailBytes``), read as far as it got.
    public var stderrTail: String {
        while stderrFD >= 0 {
            var fd = pollfd(fd: stderrFD, events: Int16(POLLIN), revents: 0)
            guard poll(&fd, 1, 0) > 0 else { break }
            drainStderr()
        }
        return String(decoding: tail, as: UTF8.self)
    }

    /// How the program ended ("exited with status 2", "was killed by signal 9"), waiting up to
    /// `grace` seconds for it; nil when it is still running then.
    public func ending(grace: Double = 2) -> String? {
        let deadline = kitMonotonicSeconds() + grace
        while status == nil {
            var st: Int32 = 0
            let r = waitpid(pid, &st, WNOHANG)
            if r == pid {
                status = st
            } else if r < 0 {
                status = -1
            } else if kitMonotonicSeconds() >= deadline {
                return nil
            } else {
                usleep(5000)
            }
        }
        guard let st = status, st >= 0 else { return "ended" }
        let signal = st & 0x7F
        return signal == 0 ? "exited with status \((st >> 8) & 0xFF)" : "was killed by signal \(signal)"
    }

    /// Ends the program and its process group now (SIGKILL) and reaps it.
    public func kill() {
        closeAll()
        if status == nil {
            Glibc.kill(-pid, SIGKILL)
            Glibc.kill(pid, SIGKILL)
            var st: Int32 = 0
            while waitpid(pid, &st, 0) < 0 && errno == EINTR {}
            status = st
        }
    }

    /// Closes the program's stdin (its signal to end), waits up to `grace` seconds for it to
    /// exit, then ends its group.
    public func finish(grace: Double = 5) {
        if stdinFD >= 0 {
            close(stdinFD)
            stdinFD = -1
        }
        if ending(grace: grace) == nil { kill() }
        closeAll()
    }

    private func closeAll() {
        for fd in [stdinFD, stdoutFD, stderrFD] where fd >= 0 { close(fd) }
        stdinFD = -1
        stdoutFD = -1
        stderrFD = -1
    }
}
