import CQuernSys
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Writes files so that a reader (or a crash) never sees a half-written file under its final name:
/// write to a temporary file in the same folder, fsync, rename over the final name, fsync the folder.
public enum AtomicFile {
    /// Prefix of temporary files; anything starting with it is debris of an interrupted write.
    public static let tempPrefix = ".quern-tmp-"

    public static func write(_ bytes: [UInt8], to path: String, durable: Bool = true) throws(StorageError) {
        let r: Result<Void, StorageError> = bytes.withUnsafeBytes { b in
            Result { () throws(StorageError) in try write(b, to: path, durable: durable) }
        }
        try r.get()
    }

    public static func write(_ text: String, to path: String, durable: Bool = true) throws(StorageError) {
        try write(Array(text.utf8), to: path, durable: durable)
    }

    /// `durable: false` skips both fsyncs: for a file that is only a view of state kept durably
    /// elsewhere (`progress.json`), whose loss in a power cut costs nothing. Readers still never see
    /// it half-written; the rename stays atomic.
    public static func write(_ bytes: UnsafeRawBufferPointer, to path: String, durable: Bool = true)
        throws(StorageError)
    {
        let temp = tempPath(for: path)
        track(temp)
        let fd = open(temp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            let e = errno
            untrack(temp)
            throw .io(path: temp, operation: "create", errno: e)
        }
        do throws(StorageError) {
            try writeAll(fd, bytes, path: temp)
            if durable {
                guard fsync(fd) == 0 else { throw StorageError.io(path: temp, operation: "fsync", errno: errno) }
            }
        } catch {
            close(fd)
            discard(temp)
            throw error
        }
        close(fd)
        try publish(temp, as: path, syncFolder: durable)
    }

    /// A fresh temporary name beside `path`.
    public static func tempPath(for path: String) -> String {
        "\(UserPath.parent(of: path))/\(tempPrefix)\(getpid())-\(UInt32.random(in: 0...UInt32.max))-\(UserPath.lastComponent(of: path))"
    }

    /// Renames a fully written and synced temporary file to its final name and syncs the folder.
    public static func publish(_ temp: String, as path: String, syncFolder sync: Bool = true) throws(StorageError) {
        guard rename(temp, path) == 0 else {
            let e = errno
            discard(temp)
            throw .io(path: path, operation: "rename into place", errno: e)
        }
        untrack(temp)
        if sync { syncFolder(of: path) }
    }

    /// Records a temporary file about to be created, so SIGINT or SIGTERM removes it (the C
    /// handler in CQuernSys) and an interrupted run leaves no debris.
    public static func track(_ temp: String) { _ = quern_track_temp(temp) }

    /// The temporary file was renamed into place or removed.
    public static func untrack(_ temp: String) { quern_untrack_temp(temp) }

    /// Removes a temporary file that will not be published.
    public static func discard(_ temp: String) {
        unlink(temp)
        untrack(temp)
    }

    /// Creates `path` and its missing parents, reporting the real reason (read-only, not a
    /// folder, no space) with the part of the path that failed.
    public static func makeFolders(_ path: String, for purpose: String) throws(StorageError) {
        var st = stat()
        if stat(path, &st) == 0 {
            guard (st.st_mode & S_IFMT) == S_IFDIR else { throw .io(path: path, operation: purpose, errno: ENOTDIR) }
            return
        }
        var partial = path.hasPrefix("/") ? "" : "."
        for component in path.split(separator: "/") {
            partial += "/" + component
            if mkdir(partial, 0o755) != 0 && errno != EEXIST {
                throw .io(path: partial == "./" + path ? path : partial, operation: purpose, errno: errno)
            }
        }
        guard stat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR else {
            throw .io(path: path, operation: purpose, errno: ENOTDIR)
        }
    }

    public static func syncFolder(of path: String) {
        let dfd = open(UserPath.parent(of: path), O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dfd >= 0 {
            fsync(dfd)
            close(dfd)
        }
    }

    static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, path: String) throws(StorageError) {
        var done = 0
        while done < bytes.count {
            let n = Glibc.write(fd, bytes.baseAddress! + done, bytes.count - done)
            if n < 0 {
                if errno == EINTR { continue }
                throw .io(path: path, operation: "write", errno: errno)
            }
            done += n
        }
    }

    /// Writes the byte ranges `ranges` of `bytes`, in order, with as few `writev` calls as the
    /// kernel allows: the rows of one split taken straight from a merged block, without gathering
    /// them into a new buffer first.
    static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, ranges: [Range<Int>], path: String)
        throws(StorageError)
    {
        guard let base = bytes.baseAddress else { return }
        var vectors = [iovec](repeating: iovec(), count: min(ranges.count, 1024))
        var next = 0
        while next < ranges.count {
            let batch = min(vectors.count, ranges.count - next)
            var total = 0
            for k in 0..<batch {
                let r = ranges[next + k]
                vectors[k] = iovec(iov_base: UnsafeMutableRawPointer(mutating: base + r.lowerBound), iov_len: r.count)
                total += r.count
            }
            let n = vectors.withUnsafeBufferPointer { writev(fd, $0.baseAddress, Int32(batch)) }
            if n < 0 {
                if errno == EINTR { continue }
                throw .io(path: path, operation: "write", errno: errno)
            }
            if n == total {
                next += batch
                continue
            }
            // A short write: finish the range it stopped in, then go on with the next ones.
            var done = n
            var k = next
            while done >= ranges[k].count {
                done -= ranges[k].count
                k += 1
            }
            try writeAll(
                fd, UnsafeRawBufferPointer(rebasing: bytes[(ranges[k].lowerBound + done)..<ranges[k].upperBound]),
                path: path)
            next = k + 1
        }
    }

    /// Removes temporary files left in `folder` by interrupted writes of this or earlier runs.
    /// Returns how many were removed.
    @discardableResult
    /// `owns` gets the final name a temporary file was meant for (`batch_000003.npz`): processes
    /// that share a folder (extract shards) sweep only their own debris, never a file another
    /// one is still writing.
    public static func sweepDebris(in folder: String, owns: (String) -> Bool = { _ in true }) -> Int {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else { return 0 }
        var removed = 0
        for name in names where name.hasPrefix(tempPrefix) {
            // .quern-tmp-<pid>-<random>-<final name>
            let parts = name.dropFirst(tempPrefix.count).split(separator: "-", maxSplits: 2)
            guard parts.count == 3, owns(String(parts[2])) else { continue }
            if unlink("\(folder)/\(name)") == 0 { removed += 1 }
        }
        return removed
    }
}

/// Appends lines to a file: each append is one write of whole lines, then (when `durable`) fsync.
/// A torn last line (a crash mid-write) is cut off before the next append, so the file always ends
/// in a newline when quern writes to it. The journal and the plan are durable; the run's logs are
/// not (a line written survives a crash of quern, only not one of the machine, and an fsync per
/// log line was a tenth of a large extract's waiting).
public final class LineAppender {
    public let path: String
    private let fd: Int32
    private let durable: Bool

    public init(path: String, durable: Bool = true) throws(StorageError) {
        self.path = path
        self.durable = durable
        fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw .io(path: path, operation: "open for append", errno: errno) }
        try repairTornTail()
    }

    deinit { close(fd) }

    private func repairTornTail() throws(StorageError) {
        var st = stat()
        guard fstat(fd, &st) == 0, st.st_size > 0 else { return }
        let rfd = open(path, O_RDONLY | O_CLOEXEC)
        guard rfd >= 0 else { return }
        defer { close(rfd) }
        // Find the last newline; anything after it is a torn line.
        var end = Int(st.st_size)
        var buf = [UInt8](repeating: 0, count: 4096)
        while end > 0 {
            let start = max(0, end - buf.count)
            let n = pread(rfd, &buf, end - start, off_t(start))
            guard n > 0 else { break }
            if let i = buf[0..<n].lastIndex(of: UInt8(ascii: "\n")) {
                let keep = start + i + 1
                if keep < Int(st.st_size) { ftruncate(fd, off_t(keep)) }
                return
            }
            end = start
        }
        ftruncate(fd, 0)
    }

    public func append(_ line: String) throws(StorageError) {
        var text = line
        if !text.hasSuffix("\n") { text += "\n" }
        let r: Result<Void, StorageError> = Array(text.utf8).withUnsafeBytes { b in
            Result { () throws(StorageError) in try AtomicFile.writeAll(fd, b, path: path) }
        }
        try r.get()
        if durable { guard fsync(fd) == 0 else { throw .io(path: path, operation: "fsync", errno: errno) } }
    }
}
