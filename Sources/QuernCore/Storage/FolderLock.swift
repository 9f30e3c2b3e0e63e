import CQuernSys
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// An exclusive lock on a folder for one kind of work, held with `flock(2)` on `.lock.<name>`:
/// the kernel drops it when the process dies, so a crashed quern never leaves a lock that blocks
/// the next run, and taking over after a crash is safe by construction.
///
/// Who holds it is written beside it, to `.lock.<name>.holder` (pid, host, start time), by a
/// temporary file renamed into place, so a second process never reads half a record. The lock
/// file itself is never renamed or deleted: its inode is what `flock` locks. The record is
/// removed on a clean release and when quern ends on Ctrl-C or SIGTERM, so one found when the lock
/// is taken was left by a holder that died without a chance to clean up (SIGKILL, a power cut), and
/// is reported as taken over.
public final class FolderLock {
    public let path: String
    /// The holder record of a process that died holding this lock, when this one took it over.
    public private(set) var tookOverFrom: Holder? = nil
    private let fd: Int32

    /// Who holds a lock, as its record says.
    public struct Holder: Codable, Sendable, Equatable, CustomStringConvertible {
        public var pid: Int32
        public var host: String
        public var started: String
        public var command: String

        public var description: String {
            "pid \(pid) on \(host), started \(started)\(command.isEmpty ? "" : ", running `\(command)`")"
        }

        /// Whether the process is still alive; nil when it runs on another host (no way to tell).
        public var isRunning: Bool? {
            guard host == ProcessInfo.processInfo.hostName else { return nil }
            return kill(pid, 0) == 0 || errno == EPERM
        }
    }

    public var holderPath: String { Self.holderPath(path) }

    /// The lock file of the lock `name`: `.lock.<name>`.
    public static func fileName(_ name: String) -> String { ".lock.\(name)" }
    /// The holder record beside the lock file at `lockPath`.
    static func holderPath(_ lockPath: String) -> String { lockPath + ".holder" }

    /// The lock name of a lock file's name (`.lock.<name>` -> `<name>`); nil for anything else,
    /// holder records included.
    public static func lockName(inFileName fileName: String) -> String? {
        let prefix = Self.fileName("")
        guard fileName.hasPrefix(prefix), !fileName.hasSuffix(holderPath("")) else { return nil }
        return String(fileName.dropFirst(prefix.count))
    }

    public init(folder: String, name: String, blocking: Bool = false) throws(LockError) {
        // Locals until the lock is taken: a class whose stored properties are all set runs its
        // deinit when init throws, which would remove the holder's record.
        let path = "\(folder)/\(Self.fileName(name))"
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw .cannotOpen(path: path, reason: String(cString: strerror(errno))) }
        while flock(fd, blocking ? LOCK_EX : (LOCK_EX | LOCK_NB)) != 0 {
            if errno == EINTR { continue }
            let why = errno
            close(fd)
            guard why == EWOULDBLOCK else { throw .cannotOpen(path: path, reason: String(cString: strerror(why))) }
            throw .held(path: path, holder: Self.currentHolder(Self.holderPath(path)))
        }
        self.path = path
        self.fd = fd
        let previous = Self.readHolder(holderPath)
        if let previous, previous.pid != getpid() { tookOverFrom = previous }
        let me = Holder(
            pid: getpid(), host: ProcessInfo.processInfo.hostName, started: ISO8601DateFormatter().string(from: Date()),
            command: CommandLine.arguments.dropFirst().prefix(3).joined(separator: " "))
        try? AtomicFile.write(JSONLines.encode(me) + "\n", to: holderPath)
        // Ctrl-C (or SIGTERM) ends quern in a signal handler that runs no deinit: it removes the
        // files tracked here, so the next run does not report this lock as taken over.
        quern_track_temp(holderPath)
    }

    deinit {
        // Record first, lock second: whoever takes the lock next finds no record of a live holder.
        quern_untrack_temp(holderPath)
        unlink(holderPath)
        flock(fd, LOCK_UN)
        close(fd)
    }

    /// Who holds the lock `.lock.<name>` of `folder` now, or nil when nobody does (or it does not
    /// exist). Takes the lock for an instant to find out, and creates nothing.
    public static func holder(folder: String, name: String) -> String? {
        let path = "\(folder)/\(Self.fileName(name))"
        let fd = open(path, O_RDWR | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        while flock(fd, LOCK_EX | LOCK_NB) != 0 {
            if errno == EINTR { continue }
            return errno == EWOULDBLOCK ? currentHolder(holderPath(path)) : nil
        }
        flock(fd, LOCK_UN)
        return nil
    }

    static func readHolder(_ path: String) -> Holder? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        return try? JSONDecoder().decode(Holder.self, from: data)
    }

    /// The holder of a lock this process could not take, for the message. The holder writes its
    /// record just after taking the lock, so a missing record, or one naming a process that is
    /// gone, is read again for a moment before being reported as such.
    static func currentHolder(_ path: String) -> String {
        var last: Holder? = nil
        for _ in 0..<20 {
            last = readHolder(path)
            if let h = last, h.isRunning != false { return h.description }
            usleep(25_000)
        }
        if let h = last {
            return
                "\(h.description), though that process seems gone: the lock is held by a process that has not written its record"
        }
        return "a process that has not written its record yet"
    }
}

public enum LockError: Error, CustomStringConvertible, Equatable {
    case cannotOpen(path: String, reason: String)
    case held(path: String, holder: String)
    /// Another extract works in the folder with a different shard count.
    case otherShardCount(path: String, holder: String, theirs: String, ours: String)

    public var description: String {
        switch self {
        case .cannotOpen(let path, let reason):
            "cannot create the lock file \(path): \(reason). Is the folder writable?"
        case .held(let path, let holder):
            "another quern is working in this folder (\(holder)); wait for it to finish or stop it. Lock: \(path)"
        case .otherShardCount(let path, let holder, let theirs, let ours):
            "another quern is extracting into this folder as \(theirs) (\(holder)), and this one would be \(ours): a folder's batches are made with one shard count at a time. Wait for it to finish or stop it, or give the same shard count. Lock: \(path)"
        }
    }
}
