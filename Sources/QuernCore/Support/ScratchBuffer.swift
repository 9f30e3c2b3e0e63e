/// Memory reused from batch to batch: it grows when a batch needs more and is never shrunk or
/// zeroed. Fresh multi-megabyte arrays for every batch cost the kernel a page fault and a page
/// clear per 4 KiB, each time: with the copies they fed, about a sixth of extract's CPU
/// (docs/performance.md). One per worker, so never shared between threads at once.
public final class ScratchBuffer: @unchecked Sendable {
    private var storage = UnsafeMutableRawBufferPointer(start: nil, count: 0)

    public init() {}

    deinit { storage.deallocate() }

    /// `count` bytes of scratch. What they held before is not kept when the buffer grows.
    public func bytes(_ count: Int) -> UnsafeMutableRawBufferPointer {
        if storage.count < count {
            storage.deallocate()
            // A quarter more than asked, so batches that grow a little do not reallocate each time.
            storage = .allocate(byteCount: count + count / 4, alignment: 64)
        }
        return UnsafeMutableRawBufferPointer(rebasing: storage[0..<count])
    }
}
