public import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// An exclusive lock on a folder for one kind of work, held with `flock(2)` on a lock file: the
/// kernel drops it when the process dies, so a crashed quern never leaves a stale lock. The file
/// holds the holder's pid, host and start time, for the message a second process prints.
public final class FolderLock {
    public let path: String
    private let fd: Int32

    public init(folder: String, name: String, blocking: Bool = false) throws(LockError) {
        path = "\(folder)/.lock.\(name)"
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw .cannotOpen(path: path, reason: String(cString: strerror(errno))) }
        if flock(fd, blocking ? LOCK_EX : (LOCK_EX | LOCK_NB)) != 0 {
            let holder = (try? String(contentsOfFile: path, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
            close(fd)
            throw .held(path: path, holder: holder.isEmpty ? "unknown" : holder)
        }
        let host = ProcessInfo.processInfo.hostName
        let info = "pid \(getpid()) on \(host), started \(ISO8601DateFormatter().string(from: Date()))\n"
        ftruncate(fd, 0)
        _ = info.withCString { pwrite(fd, $0, strlen($0), 0) }
    }

    deinit {
        flock(fd, LOCK_UN)
        close(fd)
    }
}

public enum LockError: Error, CustomStringConvertible, Equatable {
    case cannotOpen(path: String, reason: String)
    case held(path: String, holder: String)

    public var description: String {
        switch self {
        case .cannotOpen(let path, let reason): "cannot create the lock file \(path): \(reason). Is the folder writable?"
        case .held(let path, let holder):
            "another quern is working in this folder (\(holder)); wait for it to finish or stop it. Lock: \(path)"
        }
    }
}
