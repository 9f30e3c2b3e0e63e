/// A growable window over a ``ByteSource`` for record readers: bytes `[0, filled)` are valid, and
/// a reader keeps the unconsumed tail when it asks for more. Grows only as far as the longest
/// record needs, up to ``ReaderSettings/maxRecordBytes``.
public final class ChunkBuffer {
    @exclusivity(unchecked) public private(set) var base: UnsafeMutablePointer<UInt8>
    @exclusivity(unchecked) public private(set) var capacity: Int
    @exclusivity(unchecked) public private(set) var filled = 0
    @exclusivity(unchecked) public private(set) var eof = false
    private let source: any ByteSource
    private let settings: ReaderSettings

    public init(_ source: any ByteSource, settings: ReaderSettings) {
        self.source = source
        self.settings = settings
        capacity = max(settings.chunkBytes, 4096)
        base = .allocate(capacity: capacity + 1)
    }

    deinit { base.deallocate() }

    /// Moves `[keep, filled)` to the front and reads more after it. Returns false when the source
    /// is exhausted (nothing new was read). `line` is for the too-long-record error.
    public func refill(keepingFrom keep: Int, line: Int) throws(ReadError) -> Bool {
        if eof { return false }
        let tail = filled - keep
        if keep > 0 && tail > 0 { base.update(from: base + keep, count: tail) }
        filled = tail
        if filled == capacity {
            guard capacity < settings.maxRecordBytes else {
                throw ReadError(
                    line: line, "a record is longer than \(settings.maxRecordBytes >> 20) MiB (an unterminated quote?)")
            }
            let bigger = min(capacity * 2, settings.maxRecordBytes)
            let grown = UnsafeMutablePointer<UInt8>.allocate(capacity: bigger + 1)
            grown.update(from: base, count: filled)
            base.deallocate()
            base = grown
            capacity = bigger
        }
        let want = min(capacity - filled, max(settings.chunkBytes, capacity - filled))
        let n = try source.read(into: UnsafeMutableRawBufferPointer(start: base + filled, count: want))
        if n == 0 {
            eof = true
            return false
        }
        filled += n
        return true
    }
}
