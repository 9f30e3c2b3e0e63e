/// Memory that stays put while records point into it (a ``QuernKit/NumericBlock`` holds pointers
/// valid until the reader's next call), grown only between blocks of cells.
final class OwnedBuffer<T: BitwiseCopyable> {
    private(set) var pointer: UnsafeMutablePointer<T>
    private(set) var capacity: Int
    var count = 0

    init() {
        pointer = .allocate(capacity: 1)
        capacity = 1
    }

    deinit { pointer.deallocate() }

    /// Makes room for `n` elements (contents are not kept) and sets `count` to `n`.
    func resize(_ n: Int) {
        if n > capacity {
            pointer.deallocate()
            capacity = max(n, capacity * 2)
            pointer = .allocate(capacity: capacity)
        }
        count = n
    }

    /// Makes room for `n` elements keeping the first `count`.
    func reserve(_ n: Int) {
        guard n > capacity else { return }
        let bigger = UnsafeMutablePointer<T>.allocate(capacity: max(n, capacity * 2))
        bigger.update(from: pointer, count: count)
        pointer.deallocate()
        pointer = bigger
        capacity = max(n, capacity * 2)
    }

    func append(_ v: T) {
        reserve(count + 1)
        pointer[count] = v
        count += 1
    }

    var raw: UnsafeMutableRawPointer { UnsafeMutableRawPointer(pointer) }

    subscript(i: Int) -> T {
        get { pointer[i] }
        set { pointer[i] = newValue }
    }

    func slice(_ start: Int, _ end: Int) -> UnsafeBufferPointer<T> {
        UnsafeBufferPointer(start: pointer + start, count: end - start)
    }
}

/// The genes of a block of cells, as read: dense (`cells` x `width` values) or sparse by cell
/// (`rowStarts` has cells + 1 offsets into `indices` and `values`, positions ascending).
final class CellBlock {
    var cells = 0
    var width = 0
    var sparse = true
    let rowStarts = OwnedBuffer<Int>()
    let indices = OwnedBuffer<Int32>()
    let values = OwnedBuffer<Float>()
}
