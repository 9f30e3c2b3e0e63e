/// The shape of a merged row: features, label heads, mask widths, output arrays' row bytes. Every
/// row of a merge has it.
public struct RowLayout: Sendable, Equatable {
    public var features: Int
    public var labelHeads: Int
    public var maskWidths: [Int]
    /// Bytes a row of each output array takes (``FeatureSchema/arrays``).
    public var arrayBytes: [Int]
    /// Whether rows carry their origin (`save.provenance`): see ``RowBlock/origin``.
    public var provenance: Bool

    public init(schema: FeatureSchema, provenance: Bool = false) {
        features = schema.features.count
        labelHeads = schema.labels.count
        maskWidths = schema.masks.map(\.width)
        arrayBytes = schema.arrays.map(\.rowBytes)
        self.provenance = provenance
    }

    /// Bytes of one row's content (features, labels, masks, output arrays), as hashed by dedupe and
    /// spilled by shuffle.
    public var contentBytes: Int {
        features * 4 + labelHeads * 4 + maskWidths.reduce(0, +) + arrayBytes.reduce(0, +)
    }
    /// Bytes of one row including its split code (and its origin, when rows carry one).
    public var rowBytes: Int { 1 + contentBytes + (provenance ? RowBlock.originWidth * 8 : 0) }
}

/// Rows flowing through a merge, in columnar form, each with its split (0 train, 1 val, 2 test)
/// already decided from its group key. What merge strategies receive and emit.
public struct RowBlock: Sendable, Equatable {
    public let layout: RowLayout
    public var split: [UInt8] = []
    public var features: [Float] = []
    public var labels: [[Int32]]
    public var masks: [[Int8]]
    /// Each output array's rows as little-endian bytes (``RowLayout/arrayBytes`` a row), moved with
    /// the row by every method here, so they stay aligned with X.
    public var arrays: [[UInt8]]
    /// Where each row came from, when `layout.provenance` (else empty): ``originWidth`` values a
    /// row, `[file, line, group]`, the file and group as indexes into the merge's tables
    /// (``ProvenanceTable``). Rows a strategy moves or keeps take their origin with them through
    /// ``append(_:row:)``, ``selecting(_:)`` and ``rowBytes(_:into:)``; it is never part of the
    /// content (``contentBytes(_:into:)``), so dedupe compares rows as before.
    public var origin: [Int64] = []
    /// Values of ``origin`` per row: file, line, group.
    public static let originWidth = 3

    public init(layout: RowLayout) {
        self.layout = layout
        labels = Array(repeating: [], count: layout.labelHeads)
        masks = Array(repeating: [], count: layout.maskWidths.count)
        arrays = Array(repeating: [], count: layout.arrayBytes.count)
    }

    public var count: Int { split.count }

    /// Appends row `i` of `other`.
    public mutating func append(_ other: RowBlock, row i: Int) {
        let d = layout.features
        split.append(other.split[i])
        features.append(contentsOf: other.features[(i * d)..<((i + 1) * d)])
        for h in 0..<labels.count { labels[h].append(other.labels[h][i]) }
        for (h, w) in layout.maskWidths.enumerated() {
            masks[h].append(contentsOf: other.masks[h][(i * w)..<((i + 1) * w)])
        }
        for (a, w) in layout.arrayBytes.enumerated() {
            arrays[a].append(contentsOf: other.arrays[a][(i * w)..<((i + 1) * w)])
        }
        if layout.provenance {
            origin.append(contentsOf: other.origin[(i * Self.originWidth)..<((i + 1) * Self.originWidth)])
        }
    }

    /// The rows at `indices`, in that order (a gather with one copy per row and array).
    public func selecting(_ indices: [Int]) -> RowBlock {
        var out = RowBlock(layout: layout)
        let n = indices.count
        out.split = indices.map { split[$0] }
        out.features = Self.gather(features, indices, width: layout.features)
        for h in 0..<labels.count { out.labels[h] = indices.map { labels[h][$0] } }
        for (m, w) in layout.maskWidths.enumerated() { out.masks[m] = Self.gather(masks[m], indices, width: w) }
        for (a, w) in layout.arrayBytes.enumerated() { out.arrays[a] = Self.gather(arrays[a], indices, width: w) }
        if layout.provenance { out.origin = Self.gather(origin, indices, width: Self.originWidth) }
        precondition(out.split.count == n)
        return out
    }

    /// Memory a strategy that emits ``selecting(_:)`` copies of its blocks holds for them, for
    /// batch parts of at most `partRows` rows (see ``MergeStrategy/stateBytes(rows:partRows:schema:)``):
    /// the copy being made, the one the writer may still be writing, and the freed earlier copies
    /// of other sizes that malloc keeps resident, four copies in all (measured: about 3.3 on 1.5M
    /// rows in parts of 19,025), and each block's list of kept rows.
    public static func selectionBytes(partRows: Int, layout: RowLayout) -> Int {
        partRows * (4 * layout.rowBytes + MemoryLayout<Int>.stride)
    }

    static func gather<T: BitwiseCopyable>(_ source: [T], _ indices: [Int], width: Int) -> [T] {
        [T](unsafeUninitializedCapacity: indices.count * width) { out, count in
            source.withUnsafeBufferPointer { src in
                for (k, i) in indices.enumerated() {
                    (out.baseAddress! + k * width).initialize(from: src.baseAddress! + i * width, count: width)
                }
            }
            count = indices.count * width
        }
    }

    public mutating func reserve(_ n: Int) {
        split.reserveCapacity(n)
        features.reserveCapacity(n * layout.features)
        for h in 0..<labels.count { labels[h].reserveCapacity(n) }
        for (h, w) in layout.maskWidths.enumerated() { masks[h].reserveCapacity(n * w) }
        for (a, w) in layout.arrayBytes.enumerated() { arrays[a].reserveCapacity(n * w) }
        if layout.provenance { origin.reserveCapacity(n * Self.originWidth) }
    }

    /// Row `i` as bytes: split code, then content (features, labels, masks), then its origin when
    /// rows carry one, little-endian.
    public func rowBytes(_ i: Int, into out: inout [UInt8]) {
        out.append(split[i])
        contentBytes(i, into: &out)
        if layout.provenance {
            for k in 0..<Self.originWidth {
                withUnsafeBytes(of: origin[i * Self.originWidth + k].littleEndian) { out.append(contentsOf: $0) }
            }
        }
    }

    /// Row `i`'s content (no split code): features, labels, masks, then output arrays.
    public func contentBytes(_ i: Int, into out: inout [UInt8]) {
        let d = layout.features
        features.withUnsafeBytes { out.append(contentsOf: $0[(i * d * 4)..<((i + 1) * d * 4)]) }
        for h in 0..<labels.count { withUnsafeBytes(of: labels[h][i].littleEndian) { out.append(contentsOf: $0) } }
        for (h, w) in layout.maskWidths.enumerated() {
            masks[h].withUnsafeBytes { out.append(contentsOf: $0[(i * w)..<((i + 1) * w)]) }
        }
        for (a, w) in layout.arrayBytes.enumerated() { out.append(contentsOf: arrays[a][(i * w)..<((i + 1) * w)]) }
    }

    /// Appends a row from bytes written by ``rowBytes(_:into:)``.
    public mutating func appendRow(bytes: UnsafeRawBufferPointer) {
        var p = 0
        split.append(bytes[p])
        p += 1
        let d = layout.features
        features.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[p..<(p + d * 4)]).bindMemory(to: Float.self))
        p += d * 4
        for h in 0..<labels.count {
            labels[h].append(Int32(littleEndian: bytes.loadUnaligned(fromByteOffset: p, as: Int32.self)))
            p += 4
        }
        for (h, w) in layout.maskWidths.enumerated() {
            masks[h].append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[p..<(p + w)]).bindMemory(to: Int8.self))
            p += w
        }
        for (a, w) in layout.arrayBytes.enumerated() {
            arrays[a].append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[p..<(p + w)]))
            p += w
        }
        if layout.provenance {
            for _ in 0..<Self.originWidth {
                origin.append(Int64(littleEndian: bytes.loadUnaligned(fromByteOffset: p, as: Int64.self)))
                p += 8
            }
        }
    }
}
