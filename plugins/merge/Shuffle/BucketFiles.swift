import QuernKit

#if canImport(Glibc)
    import Glibc
#endif

/// The shuffle's spill: one scratch file per bucket, appended to through a small buffer each. A
/// file is opened only for the moment of a write (so a million buckets need no million
/// descriptors), and a bucket whose rows all fit in its buffer never touches the disk. Errors name
/// the file and the system's reason.
final class BucketFiles {
    let dir: String
    let bufferBytes: Int
    private var buffers: [[UInt8]]
    private var written: [Bool]

    init(dir: String, count: Int, bufferBytes: Int) throws {
        self.dir = dir
        self.bufferBytes = bufferBytes
        // The folder it lives in (the staging folder) exists already.
        guard mkdir(dir, 0o700) == 0 || errno == EEXIST else {
            throw PluginError.io(path: dir, operation: "create the shuffle's scratch folder", errno: errno)
        }
        buffers = Array(repeating: [], count: count)
        written = Array(repeating: false, count: count)
    }

    func path(_ b: Int) -> String { "\(dir)/bucket_\(b).bin" }

    func append(_ row: [UInt8], to b: Int) throws {
        buffers[b].append(contentsOf: row)
        if buffers[b].count >= bufferBytes { try flush(b) }
    }

    private func flush(_ b: Int) throws {
        guard !buffers[b].isEmpty else { return }
        let p = path(b)
        let fd = open(p, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw PluginError.io(path: p, operation: "write a shuffle bucket", errno: errno) }
        defer { close(fd) }
        try buffers[b].withUnsafeBytes { raw in
            var done = 0
            while done < raw.count {
                let n = write(fd, raw.baseAddress! + done, raw.count - done)
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else {
                    throw PluginError.io(path: p, operation: "write a shuffle bucket", errno: n < 0 ? errno : ENOSPC)
                }
                done += n
            }
        }
        written[b] = true
        buffers[b].removeAll(keepingCapacity: false)
    }

    /// Writes out what the buffers of spilled buckets still hold.
    func finish() throws {
        for b in buffers.indices where written[b] { try flush(b) }
    }

    /// Bucket `b`'s rows, in the order they were appended.
    func read(_ b: Int) throws -> [UInt8] {
        guard written[b] else { return buffers[b] }
        let p = path(b)
        let fd = open(p, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw PluginError.io(path: p, operation: "read a shuffle bucket", errno: errno) }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else {
            throw PluginError.io(path: p, operation: "read a shuffle bucket", errno: errno)
        }
        let size = Int(st.st_size)
        return try [UInt8](unsafeUninitializedCapacity: size) { out, count in
            var done = 0
            while done < size {
                let n = pread(fd, out.baseAddress! + done, size - done, off_t(done))
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else {
                    throw PluginError.io(path: p, operation: "read a shuffle bucket", errno: n < 0 ? errno : EIO)
                }
                done += n
            }
            count = done
        }
    }

    func remove(_ b: Int) {
        buffers[b] = []
        if written[b] { unlink(path(b)) }
    }
}
