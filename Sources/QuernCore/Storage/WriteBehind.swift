import CQuernSys
public import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Writes handed to one background thread, in the order they were handed over, so the thread
/// that prepares rows does not also pay for copying them into the page cache. The merge's
/// profile showed the kernel's write copies as 28% of all CPU, all on the one thread that every
/// block waits for; now they overlap with the next block's preparation.
///
/// Arrays are handed over without a copy (they are retained until written). At most
/// `limitBytes` wait at any time; `submit` blocks beyond, so memory stays bounded. The first
/// error is kept and thrown by the next `submit` or by `drain`.
public final class WriteBehind: Sendable {
    private let queue: WriteBehindQueue

    public init(limitBytes: Int = 16 << 20) {
        let queue = WriteBehindQueue(limitBytes: limitBytes)
        self.queue = queue
        // The thread holds the queue, not this object: it ends after this object goes away and the
        // queue is empty.
        let thread = Thread { queue.loop() }
        thread.name = "quern.write-behind"
        thread.start()
    }

    deinit { queue.stop() }

    /// Queues `bytes` to be appended to `fd` (opened by the caller, kept open until `drain`);
    /// with `ranges`, only those byte ranges of it, in order (`count` is their total).
    /// With `writeback`, the disk is asked to start writing the bytes as soon as they are in the
    /// page cache (for a file that is final as written): the fsync before publishing then finds
    /// them written instead of waiting for all of them at once.
    public func submit(
        fd: Int32, path: String, _ bytes: some ContiguousBytes & Sendable, count: Int, ranges: [Range<Int>] = [],
        writeback: Bool = false
    ) throws(StorageError) {
        try queue.submit(fd: fd, path: path, bytes, count: count, ranges: ranges, writeback: writeback)
    }

    /// Waits until everything submitted is written; throws the first error.
    public func drain() throws(StorageError) { try queue.drain() }

    /// How many writes have been submitted so far: a mark for ``wait(through:)``.
    public var submitted: Int { queue.submittedCount }

    /// Waits until the first `mark` writes are done (their arrays released); throws the first error.
    public func wait(through mark: Int) throws(StorageError) { try queue.wait(through: mark) }
}

final class WriteBehindQueue: @unchecked Sendable {
    private struct Job {
        var fd: Int32
        var path: String
        var bytes: any ContiguousBytes & Sendable
        var count: Int
        var ranges: [Range<Int>]
        var writeback: Bool
    }

    private let condition = NSCondition()
    private var jobs: [Job] = []
    private var head = 0
    private var pendingBytes = 0
    private var busy = false
    private var submitted = 0
    private var completed = 0
    private var failure: StorageError?
    private var stopped = false
    private let limitBytes: Int

    init(limitBytes: Int) {
        self.limitBytes = limitBytes
    }

    /// Lets the thread end once the queue is empty.
    func stop() {
        condition.lock()
        stopped = true
        condition.broadcast()
        condition.unlock()
    }

    /// Queues `bytes` to be appended to `fd` (opened by the caller, kept open until `drain`).
    func submit(
        fd: Int32, path: String, _ bytes: some ContiguousBytes & Sendable, count: Int, ranges: [Range<Int>],
        writeback: Bool
    ) throws(StorageError) {
        guard count > 0 else { return }
        condition.lock()
        defer { condition.unlock() }
        while pendingBytes > 0 && pendingBytes + count > limitBytes && failure == nil { condition.wait() }
        if let failure { throw failure }
        jobs.append(Job(fd: fd, path: path, bytes: bytes, count: count, ranges: ranges, writeback: writeback))
        submitted += 1
        pendingBytes += count
        condition.broadcast()
    }

    var submittedCount: Int {
        condition.lock()
        defer { condition.unlock() }
        return submitted
    }

    func wait(through mark: Int) throws(StorageError) {
        condition.lock()
        defer { condition.unlock() }
        while completed < mark && failure == nil { condition.wait() }
        if let failure { throw failure }
    }

    /// Waits until everything submitted is written; throws the first error.
    func drain() throws(StorageError) {
        condition.lock()
        defer { condition.unlock() }
        while (head < jobs.count || busy) && failure == nil { condition.wait() }
        if let failure { throw failure }
    }

    func loop() {
        while true {
            condition.lock()
            while head == jobs.count && !stopped { condition.wait() }
            if head == jobs.count && stopped {
                condition.unlock()
                return
            }
            var job = jobs[head]
            jobs[head].bytes = [UInt8]()  // release the array once written, not when the queue empties
            head += 1
            if head > 1024 && head * 2 > jobs.count {
                jobs.removeFirst(head)
                head = 0
            }
            busy = true
            let skip = failure != nil
            condition.unlock()
            var error: StorageError? = nil
            if !skip {
                job.bytes.withUnsafeBytes { raw in
                    do throws(StorageError) {
                        if job.ranges.isEmpty {
                            try AtomicFile.writeAll(job.fd, raw, path: job.path)
                        } else {
                            try AtomicFile.writeAll(job.fd, raw, ranges: job.ranges, path: job.path)
                        }
                    } catch let e { error = e }
                }
                if job.writeback && error == nil {
                    let end = lseek(job.fd, 0, SEEK_CUR)
                    if end >= job.count {
                        _ = quern_start_writeback(job.fd, Int64(end) - Int64(job.count), Int64(job.count))
                    }
                }
            }
            // Let go of the array before the job counts as done: whoever waits for it (a merge
            // reusing the block's arrays) must find them no longer shared.
            job.bytes = [UInt8]()
            condition.lock()
            busy = false
            completed += 1
            pendingBytes -= job.count
            if let error, failure == nil { failure = error }
            condition.broadcast()
            condition.unlock()
        }
    }
}
