/// One record of an input file: its fields as byte ranges into the reader's buffer, valid until
/// the reader's next call. Reused from row to row so reading allocates nothing per row.
///
/// The stored properties opt out of dynamic exclusivity checks: a record is used by one thread,
/// and the checks (a TLS lookup per access) cost a fifth of extraction time in a perf profile.
public final class Record {
    /// 1-based line of the record's start in the file (the header is line 1 in CSV).
    @exclusivity(unchecked) public var line: Int = 0
    @exclusivity(unchecked) @usableFromInline var base: UnsafePointer<UInt8>? = nil
    @exclusivity(unchecked) @usableFromInline var starts: [Int] = []
    @exclusivity(unchecked) @usableFromInline var ends: [Int] = []

    public init() {}

    /// Number of fields.
    @inlinable public var count: Int { starts.count }

    /// The bytes of field `i` (empty for a field past the end).
    @inlinable public func field(_ i: Int) -> UnsafeBufferPointer<UInt8> {
        guard i < starts.count, let base else { return UnsafeBufferPointer(start: nil, count: 0) }
        return UnsafeBufferPointer(start: base + starts[i], count: ends[i] - starts[i])
    }

    /// Field `i` as a String (for messages and cold paths).
    public func string(_ i: Int) -> String {
        String(decoding: field(i), as: UTF8.self)
    }

    /// Readers fill records through these.
    public func reset(base: UnsafePointer<UInt8>?, line: Int) {
        self.base = base
        self.line = line
        starts.removeAll(keepingCapacity: true)
        ends.removeAll(keepingCapacity: true)
    }

    public func append(start: Int, end: Int) {
        starts.append(start)
        ends.append(end)
    }

    public func setBase(_ base: UnsafePointer<UInt8>?) { self.base = base }
}
