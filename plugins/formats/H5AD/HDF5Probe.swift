import Glibc

/// Reads a file's HDF5 structure first in a child process, so that a damaged file crashes the
/// child, not quern.
///
/// libhdf5 does not defend against damaged metadata: a few changed bytes in an object header
/// or a heap make it read through wild pointers (a fuzz of flipped bytes crashes it, as it
/// crashes h5py). Before the reader touches a file, ``check(_:)`` forks; the child parses the
/// layout (every attribute, the gene names, each obs column's type) and reads the first and
/// the last cell (the matrix's index at both ends), then exits. A child killed by a signal, or
/// still running after ``timeoutSeconds``, means the file is damaged: a ``H5ADProblem``, and
/// the file fails alone. Damage inside the matrix's data between its ends can still reach
/// libhdf5 in quern itself; the structure is where a byte flip most often lands.
///
/// The fork happens holding ``HDF5Lock`` (no other thread is inside libhdf5, so the child's
/// copy of its state is consistent); the child runs this code only, then `_exit`s without
/// running exit handlers.
enum HDF5Probe {
    static let timeoutSeconds = 120

    /// In the child: a crash ends it quietly (the default action, not the Swift runtime's
    /// backtrace on stderr), and a damaged length cannot make it allocate without bound: its
    /// address space may grow 1 GiB past what it inherited.
    private static func quietAndBounded() {
        for sig in [SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGTRAP] { signal(sig, SIG_DFL) }
        var pages = 0
        if let f = fopen("/proc/self/statm", "r") {
            var size: Int = 0
            if withUnsafeMutablePointer(to: &size, { fscanfLong(f, $0) }) { pages = size }
            fclose(f)
        }
        if pages > 0 {
            let bytes = rlim_t(pages) * rlim_t(sysconf(Int32(_SC_PAGESIZE))) + (1 << 30)
            var limit = rlimit(rlim_cur: bytes, rlim_max: bytes)
            _ = withUnsafePointer(to: &limit) { setrlimit(__rlimit_resource_t(RLIMIT_AS.rawValue), $0) }
        }
        alarm(UInt32(timeoutSeconds))
    }

    /// The first number of a `/proc` file (`fscanf` is variadic, which Swift does not call).
    private static func fscanfLong(_ f: UnsafeMutablePointer<FILE>, _ out: UnsafeMutablePointer<Int>) -> Bool {
        var digits = 0
        var value = 0
        while true {
            let c = getc(f)
            guard c >= 48 && c <= 57 else { break }
            value = value * 10 + Int(c - 48)
            digits += 1
        }
        out.pointee = value
        return digits > 0
    }

    /// nil when the child read the structure; else what went wrong.
    static func check(_ body: () throws(H5ADProblem) -> Void) -> H5ADProblem? {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { return nil }
        let pid = fork()
        if pid == 0 {
            HDF5Lock.inProbeChild = true
            close(fds[0])
            quietAndBounded()
            var message = ""
            do { try body() } catch { message = error.description }
            let bytes = Array(message.utf8.prefix(4000))
            _ = bytes.withUnsafeBytes { write(fds[1], $0.baseAddress, $0.count) }
            _exit(message.isEmpty ? 0 : 1)
        }
        close(fds[1])
        defer { close(fds[0]) }
        guard pid > 0 else { return nil }
        var message: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        let deadline = time(nil) + timeoutSeconds
        var timedOut = false
        while true {
            var p = pollfd(fd: fds[0], events: Int16(POLLIN), revents: 0)
            let ready = poll(&p, 1, 1000)
            if ready < 0 && errno == EINTR { continue }
            if ready == 0 {
                if time(nil) >= deadline {
                    timedOut = true
                    kill(pid, SIGKILL)
                    break
                }
                continue
            }
            let n = buffer.withUnsafeMutableBytes { read(fds[0], $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            message += buffer[0..<n]
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        if timedOut || status & 0x7f == SIGALRM {
            return H5ADProblem(
                "libhdf5 was still reading this file's structure after \(timeoutSeconds) s (a damaged file makes it loop)"
            )
        }
        // WIFSIGNALED / WTERMSIG, which Swift does not import (macros).
        let signal = status & 0x7f
        if signal != 0 && signal != 0x7f {
            return H5ADProblem(
                "libhdf5 crashed (signal \(signal)) reading this file's HDF5 structure: the file is damaged; check it with h5dump -H or h5py"
            )
        }
        return message.isEmpty ? nil : H5ADProblem(String(decoding: message, as: UTF8.self))
    }
}
