/// Rows in columnar form, as a batch file holds them: features float32 [n, d], one int32 array per
/// label head, one int8 [n, width] array per mask head, group keys (a table of distinct keys and an
/// index per row), provenance (source file and line per row), and the extractor's declared output
/// arrays (``FeatureSchema/arrays``: little-endian bytes, `rowBytes` a row, filled with
/// ``appendArray(_:_:)`` for every row before ``append(features:labels:masks:group:line:)``).
public struct RowBatch: Sendable, Equatable {
    public let featureCount: Int
    public let maskWidths: [Int]
    public var features: [Float] = []
    public var labels: [[Int32]]
    public var masks: [[Int8]]
    /// Bytes a row of each declared output array takes.
    public let arrayRowBytes: [Int]
    /// Each declared output array's rows, as little-endian bytes.
    public var arrays: [[UInt8]]
    public var groupIndex: [Int32] = []
    /// Distinct group keys (UTF-8 bytes) in order of first appearance.
    public var groups: [[UInt8]] = []
    public var sourceIndex: [Int32] = []
    /// Line of each row in its source file (1-based; the header of a CSV is line 1).
    public var sourceRow: [Int64] = []
    /// Source file names (relative to the input folder), in order of first appearance.
    public var sources: [String] = []
    /// Each row's result, one JSON value's UTF-8 bytes a row, when the extractor makes results
    /// (``Extractor/makesResults``: the `command` extractor; the `jsonl` output writer writes
    /// them), appended right after the row; empty for a batch of rows without results.
    public var results: [[UInt8]] = []
    public internal(set) var count: Int = 0

    private var groupLookup: [[UInt8]: Int32] = [:]
    private var lastGroup: [UInt8] = []
    private var lastGroupIndex: Int32 = -1
    private var currentSource: Int32 = -1

    public init(featureCount: Int, labelHeads: Int, maskWidths: [Int], arrayRowBytes: [Int] = []) {
        self.featureCount = featureCount
        self.maskWidths = maskWidths
        self.arrayRowBytes = arrayRowBytes
        labels = Array(repeating: [], count: labelHeads)
        masks = Array(repeating: [], count: maskWidths.count)
        arrays = Array(repeating: [], count: arrayRowBytes.count)
    }

    public init(schema: FeatureSchema) {
        self.init(
            featureCount: schema.features.count, labelHeads: schema.labels.count, maskWidths: schema.masks.map(\.width),
            arrayRowBytes: schema.arrays.map(\.rowBytes))
    }

    public static func == (a: RowBatch, b: RowBatch) -> Bool {
        a.featureCount == b.featureCount && a.features == b.features && a.labels == b.labels && a.masks == b.masks
            && a.arrays == b.arrays && a.groupIndex == b.groupIndex && a.groups == b.groups
            && a.sourceIndex == b.sourceIndex
            && a.sourceRow == b.sourceRow && a.sources == b.sources && a.results == b.results
    }

    /// Rows appended from now on come from this file.
    public mutating func beginSource(_ name: String) {
        sources.append(name)
        currentSource = Int32(sources.count - 1)
    }

    /// Appends one row. `masks[h]` must hold `maskWidths[h]` values; `group` is the key's bytes.
    public mutating func append(
        features row: UnsafeBufferPointer<Float>, labels rowLabels: UnsafeBufferPointer<Int32>,
        masks rowMasks: [[Int8]], group: UnsafeBufferPointer<UInt8>, line: Int
    ) {
        features.append(contentsOf: row)
        for h in 0..<labels.count { labels[h].append(rowLabels[h]) }
        for h in 0..<masks.count { masks[h].append(contentsOf: rowMasks[h]) }
        groupIndex.append(groupId(group))
        sourceIndex.append(currentSource)
        sourceRow.append(Int64(line))
        count += 1
    }

    /// Appends the next row's values of output array `h` (``FeatureSchema/arrays``; `width`
    /// values of its dtype), before the row itself is appended.
    @inlinable public mutating func appendArray<T: BitwiseCopyable>(_ h: Int, _ values: UnsafeBufferPointer<T>) {
        precondition(
            values.count * MemoryLayout<T>.stride == arrayRowBytes[h], "an output array row of the wrong width")
        arrays[h].append(contentsOf: UnsafeRawBufferPointer(values))
    }

    private mutating func groupId(_ key: UnsafeBufferPointer<UInt8>) -> Int32 {
        // Consecutive rows usually share a group (one file per game): compare with the last first.
        if lastGroupIndex >= 0, Self.same(key, lastGroup) { return lastGroupIndex }
        let bytes = Array(key)
        let id: Int32
        if let known = groupLookup[bytes] {
            id = known
        } else {
            id = Int32(groups.count)
            groups.append(bytes)
            groupLookup[bytes] = id
        }
        lastGroup = bytes
        lastGroupIndex = id
        return id
    }

    /// Whether `key` holds the bytes of `last`: the lengths, then 8 bytes at a time. Once per row;
    /// the generic `elementsEqual` it replaces was 1% of extraction on games/onefile.
    @inline(__always) private static func same(_ key: UnsafeBufferPointer<UInt8>, _ last: [UInt8]) -> Bool {
        guard key.count == last.count else { return false }
        return last.withUnsafeBufferPointer { l in
            guard let a = key.baseAddress, let b = l.baseAddress else { return true }
            let n = key.count
            var i = 0
            while i &+ 8 <= n {
                let x = UnsafeRawPointer(a + i).loadUnaligned(as: UInt64.self)
                guard x == UnsafeRawPointer(b + i).loadUnaligned(as: UInt64.self) else { return false }
                i &+= 8
            }
            while i < n {
                guard a[i] == b[i] else { return false }
                i &+= 1
            }
            return true
        }
    }

    /// A point to roll back to when a file turns out to be malformed.
    public struct Mark: Sendable {
        let rows: Int
        let groups: Int
        let sources: Int
    }

    public var mark: Mark { Mark(rows: count, groups: groups.count, sources: sources.count) }

    /// Drops every row, group and source added since `mark`.
    public mutating func rollBack(to mark: Mark) {
        features.removeSubrange((mark.rows * featureCount)...)
        for h in 0..<labels.count { labels[h].removeSubrange(mark.rows...) }
        for h in 0..<masks.count { masks[h].removeSubrange((mark.rows * maskWidths[h])...) }
        for h in 0..<arrays.count { arrays[h].removeSubrange((mark.rows * arrayRowBytes[h])...) }
        groupIndex.removeSubrange(mark.rows...)
        sourceIndex.removeSubrange(mark.rows...)
        sourceRow.removeSubrange(mark.rows...)
        for key in groups[mark.groups...] { groupLookup[key] = nil }
        groups.removeSubrange(mark.groups...)
        sources.removeSubrange(mark.sources...)
        if results.count > mark.rows { results.removeSubrange(mark.rows...) }
        currentSource = Int32(sources.count - 1)
        lastGroupIndex = -1
        count = mark.rows
    }

    /// Drops every row, keeping the arrays' capacity for the next batch.
    public mutating func removeAll() {
        features.removeAll(keepingCapacity: true)
        for h in 0..<labels.count { labels[h].removeAll(keepingCapacity: true) }
        for h in 0..<masks.count { masks[h].removeAll(keepingCapacity: true) }
        for h in 0..<arrays.count { arrays[h].removeAll(keepingCapacity: true) }
        groupIndex.removeAll(keepingCapacity: true)
        groups.removeAll(keepingCapacity: true)
        sourceIndex.removeAll(keepingCapacity: true)
        sourceRow.removeAll(keepingCapacity: true)
        sources.removeAll(keepingCapacity: true)
        results.removeAll(keepingCapacity: true)
        groupLookup.removeAll(keepingCapacity: true)
        lastGroupIndex = -1
        currentSource = -1
        count = 0
    }

    /// Declares that the arrays, filled directly (a batch file read back into a reused batch),
    /// hold `rows` rows. The caller guarantees every array has that many rows.
    public mutating func setFilledCount(_ rows: Int) { count = rows }

    /// Reserves room for `rows` rows.
    public mutating func reserve(rows: Int) {
        features.reserveCapacity(rows * featureCount)
        for h in 0..<labels.count { labels[h].reserveCapacity(rows) }
        for h in 0..<masks.count { masks[h].reserveCapacity(rows * maskWidths[h]) }
        for h in 0..<arrays.count { arrays[h].reserveCapacity(rows * arrayRowBytes[h]) }
        groupIndex.reserveCapacity(rows)
        sourceIndex.reserveCapacity(rows)
        sourceRow.reserveCapacity(rows)
    }

    /// Rebuilds a batch from arrays read back from a batch file.
    public static func fromArrays(
        featureCount: Int, maskWidths: [Int], features: [Float], labels: [[Int32]], masks: [[Int8]],
        groupIndex: [Int32], groups: [[UInt8]], sourceIndex: [Int32], sourceRow: [Int64], sources: [String],
        arrayRowBytes: [Int] = [], arrays: [[UInt8]] = []
    ) -> RowBatch {
        var b = RowBatch(
            featureCount: featureCount, labelHeads: labels.count, maskWidths: maskWidths, arrayRowBytes: arrayRowBytes)
        if !arrays.isEmpty { b.arrays = arrays }
        b.features = features
        b.labels = labels
        b.masks = masks
        b.groupIndex = groupIndex
        b.groups = groups
        b.sourceIndex = sourceIndex
        b.sourceRow = sourceRow
        b.sources = sources
        b.count = groupIndex.count
        for (i, g) in groups.enumerated() { b.groupLookup[g] = Int32(i) }
        return b
    }
}
