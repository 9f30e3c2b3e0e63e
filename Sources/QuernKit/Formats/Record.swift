/// One record of an input file: its fields as byte ranges into the reader's buffer, valid until
/// the reader's next call. Reused from row to row so reading allocates nothing per row.
///
/// Text formats (CSV, TSV, JSON Lines) give every field as bytes. A binary format (`.h5ad`) may
/// also hand over typed values, so numbers are never printed and parsed again: a field's number
/// (``number(_:)``, for a numeric `obs` column) and a ``NumericBlock`` of many numeric columns
/// (``block``, a cell's genes, dense or sparse). Extractors that read numbers check these first
/// and fall back to parsing the field's bytes.
///
/// The stored properties opt out of dynamic exclusivity checks: a record is used by one thread,
/// and the checks (a TLS lookup per access) cost a fifth of extraction time in a perf profile.
public final class Record {
    /// 1-based line of the record's start in the file (the header is line 1 in CSV).
    @exclusivity(unchecked) public var line: Int = 0
    @exclusivity(unchecked) @usableFromInline var base: UnsafePointer<UInt8>? = nil
    @exclusivity(unchecked) @usableFromInline var starts: [Int] = []
    @exclusivity(unchecked) @usableFromInline var ends: [Int] = []
    /// Typed numbers per field (NaN: the field has none, read its bytes); empty for text formats.
    @exclusivity(unchecked) @usableFromInline var numbers: [Double] = []
    /// The record's numeric columns handed over as numbers (nil for text formats).
    @exclusivity(unchecked) public var block: NumericBlock? = nil

    public init() {}

    /// Number of fields.
    @inlinable public var count: Int { starts.count }

    /// The bytes of field `i` (empty for a field past the end).
    @inlinable public func field(_ i: Int) -> UnsafeBufferPointer<UInt8> {
        guard i < starts.count, let base else { return UnsafeBufferPointer(start: nil, count: 0) }
        return UnsafeBufferPointer(start: base + starts[i], count: ends[i] - starts[i])
    }

    /// The typed number of field `i`, when the format handed it over as a number (nil: parse the
    /// field's bytes, or the field is in ``block``).
    @inlinable public func number(_ i: Int) -> Double? {
        guard i < numbers.count, !numbers[i].isNaN else { return nil }
        return numbers[i]
    }

    /// Whether any field has a typed number (a binary format); text formats never do.
    @inlinable public var hasNumbers: Bool { !numbers.isEmpty }

    /// Field `i` as a String (for messages and cold paths).
    public func string(_ i: Int) -> String {
        String(decoding: field(i), as: UTF8.self)
    }

    /// Readers fill records through these. A field's `start` and `end` are offsets from `base`
    /// into one buffer: every byte from `base` to `base + end` must be readable (number parsing
    /// loads the 8 bytes that end where a field ends as one word when they lie past `base`).
    public func reset(base: UnsafePointer<UInt8>?, line: Int) {
        self.base = base
        self.line = line
        starts.removeAll(keepingCapacity: true)
        ends.removeAll(keepingCapacity: true)
        if !numbers.isEmpty { numbers.removeAll(keepingCapacity: true) }
        block = nil
    }

    public func append(start: Int, end: Int) {
        starts.append(start)
        ends.append(end)
    }

    /// Sets the typed number of field `i` (binary formats); fields without one read as bytes.
    public func setNumber(_ value: Double, at i: Int) {
        if numbers.count <= i { numbers.append(contentsOf: repeatElement(Double.nan, count: i + 1 - numbers.count)) }
        numbers[i] = value
    }

    public func setBase(_ base: UnsafePointer<UInt8>?) { self.base = base }
}
