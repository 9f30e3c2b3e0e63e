/// The column options both built-in extractors share: numeric columns (names or globs), label
/// heads, mask heads and the group key. Lives in the kit so every extractor plugin reads the same
/// option syntax (docs/plugins.md):
///
/// ```yaml
/// numeric: ["f*", turn]          # globs expand in header order
/// fill_missing: 0
/// non_finite: error               # or missing: a cell float32 cannot hold (1e39, inf)
/// labels:   {action: {column: action, classes: 84}}      # or values: [a, b, c]
/// masks:    {legal: {column: legal, width: 84, encoding: bitstring, label: action}}
/// group: game_id
/// ```
public struct ColumnSpecs: Sendable, Equatable {
    public struct Label: Sendable, Equatable {
        public var head: String
        public var column: String
        /// Integer labels 0..<classes, or text values mapped to their position.
        public var classes: Int
        public var values: [String]?
    }

    public struct Mask: Sendable, Equatable {
        public enum Encoding: String, Sendable { case bitstring, ids }
        public var head: String
        public var column: String
        public var width: Int
        public var encoding: Encoding
        public var label: String?
    }

    /// What a numeric cell whose value float32 cannot hold (`1e39`, `inf`, `-Infinity`, `nan`
    /// when it is not a missing token) does.
    public enum NonFinite: String, Sendable, CaseIterable {
        /// The row fails with a `RowError` naming the column and the text: the file goes to
        /// failed.jsonl. The default, since such a value would poison the normalization.
        case error
        /// The cell counts as missing (`fill_missing`), and is counted in the file's notes.
        case missing
    }

    public var numeric: [String]
    public var fillMissing: Float
    public var nonFinite: NonFinite = .error
    public var labels: [Label]
    public var masks: [Mask]
    public var group: String?

    /// The most classes of a label head: per-class counts are kept for every split.
    public static let maxClasses = 1_000_000
    /// The longest mask vector: each row holds one byte per position.
    public static let maxMaskWidth = 1_000_000

    /// The option specs these columns add to an extractor's own.
    public static let optionSpecs: [OptionSpec] = [
        OptionSpec(
            "numeric", .stringList, default: "",
            help: "numeric feature columns: names or globs (f*), expanded in header order"),
        OptionSpec("fill_missing", .double, default: "0", help: "value of a missing numeric cell"),
        OptionSpec(
            "non_finite", .choice(NonFinite.allCases.map(\.rawValue)), default: "error",
            help: "a numeric cell float32 cannot hold (1e39, inf): error fails its file, missing reads it as missing"),
        OptionSpec(
            "labels", .structured(shape: "map head -> {column, classes | values}"), help: "label heads (int32 per row)"),
        OptionSpec(
            "masks", .structured(shape: "map head -> {column, width, encoding: bitstring|ids, label}"),
            help: "mask heads (int8 vector per row)"),
        OptionSpec("group", .string, help: "group key column: rows of one group never straddle splits"),
    ]

    public static func parse(_ options: PluginOptions) throws(ConfigError) -> ColumnSpecs {
        let plugin = options.pluginName
        var labels: [Label] = []
        if let v = options["labels"] {
            guard let entries = v.mapValue else {
                throw .wrongType(
                    at: v.mark, key: "\(plugin).labels", expected: "a map of head name -> {column, classes}",
                    found: v.typeName)
            }
            for (head, spec) in entries {
                try checkName(head, spec.mark, "\(plugin).labels")
                let column = spec.stringValue ?? spec["column"]?.stringValue ?? head
                if spec.mapValue != nil {
                    try checkKeys(spec, ["column", "classes", "values"], "\(plugin).labels.\(head)")
                }
                if let values = spec["values"]?.listValue?.compactMap(\.stringValue), !values.isEmpty {
                    labels.append(Label(head: head, column: column, classes: values.count, values: values))
                } else if let classes = spec["classes"]?.intValue, classes > 0 {
                    // Per-class arrays (counts of every split, statistics) are allocated up front.
                    guard classes <= Self.maxClasses else {
                        throw .invalid(
                            at: spec["classes"]?.mark ?? spec.mark, key: "\(plugin).labels.\(head).classes",
                            reason: "\(classes) is out of range: allowed from 1 to \(Self.maxClasses) classes.")
                    }
                    labels.append(Label(head: head, column: column, classes: classes, values: nil))
                } else {
                    throw .invalid(
                        at: spec.mark, key: "\(plugin).labels.\(head)",
                        reason: "give `classes: K` (integer labels 0..K-1) or `values: [...]` (text labels).")
                }
            }
        }
        var masks: [Mask] = []
        if let v = options["masks"] {
            guard let entries = v.mapValue else {
                throw .wrongType(
                    at: v.mark, key: "\(plugin).masks", expected: "a map of head name -> {column, width}",
                    found: v.typeName)
            }
            for (head, spec) in entries {
                let path = "\(plugin).masks.\(head)"
                try checkName(head, spec.mark, "\(plugin).masks")
                try checkKeys(spec, ["column", "width", "encoding", "label"], path)
                guard let width = spec["width"]?.intValue, width > 0 else {
                    throw .invalid(
                        at: spec.mark, key: path, reason: "needs `width: N` (N > 0), the length of the mask vector.")
                }
                guard width <= Self.maxMaskWidth else {
                    throw .invalid(
                        at: spec["width"]?.mark ?? spec.mark, key: "\(path).width",
                        reason: "\(width) is out of range: allowed from 1 to \(Self.maxMaskWidth).")
                }
                let encodingText = spec["encoding"]?.stringValue ?? "bitstring"
                guard let encoding = Mask.Encoding(rawValue: encodingText) else {
                    throw .invalid(
                        at: spec["encoding"]?.mark, key: "\(path).encoding",
                        reason:
                            "must be bitstring (a 0/1 string) or ids (';'-separated class ids), not '\(encodingText)'.")
                }
                let label = spec["label"]?.stringValue
                if let label, !labels.contains(where: { $0.head == label }) {
                    throw .invalid(
                        at: spec["label"]?.mark, key: "\(path).label",
                        reason: "no label head '\(label)'; label heads: \(labels.map(\.head).joined(separator: ", ")).")
                }
                masks.append(
                    Mask(
                        head: head, column: spec["column"]?.stringValue ?? head, width: width, encoding: encoding,
                        label: label))
            }
        }
        let nonFiniteText = options.string("non_finite") ?? NonFinite.error.rawValue
        guard let nonFinite = NonFinite(rawValue: nonFiniteText) else {
            throw .invalid(
                at: options["non_finite"]?.mark, key: "\(plugin).non_finite",
                reason: "must be error or missing, not '\(nonFiniteText)'.")
        }
        return ColumnSpecs(
            numeric: options.stringList("numeric") ?? [], fillMissing: Float(options.double("fill_missing") ?? 0),
            nonFinite: nonFinite,
            labels: labels, masks: masks, group: options.string("group"))
    }

    private static func checkKeys(_ spec: ConfigValue, _ valid: [String], _ path: String) throws(ConfigError) {
        guard let entries = spec.mapValue else {
            throw .wrongType(
                at: spec.mark, key: path, expected: "a map with keys \(valid.joined(separator: ", "))",
                found: spec.typeName)
        }
        for (k, v) in entries where !valid.contains(k) {
            throw .unknownKey(
                at: v.keyOrValueMark, key: k, section: path, valid: valid, suggestion: closest(to: k, in: valid))
        }
    }

    private static func checkName(_ name: String, _ mark: SourceMark?, _ path: String) throws(ConfigError) {
        guard !name.isEmpty, name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }) else {
            throw .invalid(
                at: mark, key: path,
                reason: "head name '\(name)' must be letters, digits and _ only (it names arrays in the outputs).")
        }
    }

    /// Columns used as labels, masks or the group: globs never pick them up as numeric features.
    public var reservedColumns: Set<String> {
        Set(labels.map(\.column) + masks.map(\.column) + (group.map { [$0] } ?? []))
    }

    /// The numeric feature columns for this header: each entry of `numeric` in turn, globs expanded
    /// in header order, duplicates dropped.
    public func numericColumns(_ columns: [String], excluding: Set<String> = []) throws -> [String] {
        var out: [String] = []
        var taken = Set<String>()
        for pattern in numeric {
            if Glob.isPattern(pattern) {
                let reserved = reservedColumns
                let hits = columns.filter {
                    Glob.matches($0, pattern) && !excluding.contains($0) && !reserved.contains($0)
                }
                guard !hits.isEmpty else { throw ExtractorError.noMatch(pattern: pattern, columns: columns) }
                for h in hits where taken.insert(h).inserted { out.append(h) }
            } else if taken.insert(pattern).inserted {
                out.append(pattern)
            }
        }
        return out
    }

    public var labelHeads: [FeatureSchema.LabelHead] {
        labels.map { FeatureSchema.LabelHead(name: $0.head, classes: $0.classes, classNames: $0.values) }
    }

    public var maskHeads: [FeatureSchema.MaskHead] {
        masks.map { FeatureSchema.MaskHead(name: $0.head, width: $0.width, label: $0.label) }
    }

    /// Resolves the columns against one file's header.
    public func bind(columns: [String], numericNames: [String], missing: MissingValues) throws -> BoundColumns {
        // A dictionary, not firstIndex(of:): an .h5ad has tens of thousands of gene columns.
        var position: [String: Int] = [:]
        position.reserveCapacity(columns.count)
        for (i, c) in columns.enumerated() where position[c] == nil { position[c] = i }
        func index(_ name: String, _ role: String) throws -> Int {
            guard let i = position[name] else {
                throw ExtractorError.missingColumn(name: name, role: role, columns: columns)
            }
            return i
        }
        return BoundColumns(
            numeric: try numericNames.map { try index($0, "numeric") }, numericNames: numericNames, fill: fillMissing,
            nonFiniteIsMissing: nonFinite == .missing,
            labels: try labels.map { (try index($0.column, "label \($0.head)"), $0) },
            masks: try masks.map { (try index($0.column, "mask \($0.head)"), $0) },
            group: try group.map { try index($0, "group") }, missing: missing)
    }
}

/// ``ColumnSpecs`` resolved to one file's column positions: reads a record's numeric cells, labels,
/// masks and group key. Each read either fills its output or throws a ``RowError`` naming the column.
/// An immutable class, not a struct: a bound extractor that reads it while writing its own buffers
/// made Swift copy it per row (a retain and a release for each of its arrays, 4% of extraction).
public final class BoundColumns: Sendable {
    @usableFromInline let numeric: [Int]
    @usableFromInline let numericNames: [String]
    @usableFromInline let fill: Float
    @usableFromInline let nonFiniteIsMissing: Bool
    @usableFromInline let labels: [(Int, ColumnSpecs.Label)]
    @usableFromInline let masks: [(Int, ColumnSpecs.Mask)]
    @usableFromInline let group: Int?
    @usableFromInline let missing: MissingValues
    /// The numeric features' positions, ordered by their column (to walk a sparse block).
    @usableFromInline let byColumn: [Int]

    init(
        numeric: [Int], numericNames: [String], fill: Float, nonFiniteIsMissing: Bool,
        labels: [(Int, ColumnSpecs.Label)], masks: [(Int, ColumnSpecs.Mask)], group: Int?, missing: MissingValues
    ) {
        self.numeric = numeric
        self.numericNames = numericNames
        self.fill = fill
        self.nonFiniteIsMissing = nonFiniteIsMissing
        self.labels = labels
        self.masks = masks
        self.group = group
        self.missing = missing
        byColumn = numeric.indices.sorted { numeric[$0] < numeric[$1] }
    }

    /// The note counting cells read as missing under `non_finite: missing`.
    public static let nonFiniteNote = "numeric cells float32 cannot hold, read as missing (non_finite: missing)"

    /// Writes the numeric cells as floats into `out` (which has room for them). Returns how many
    /// cells float32 cannot hold were read as missing (`non_finite: missing`); with the default,
    /// such a cell throws: caught here, where its file, line and column are known, rather than as
    /// a nameless NaN in the merge.
    @inlinable @discardableResult
    public func readNumeric(_ record: Record, into out: UnsafeMutablePointer<Float>) throws(RowError) -> Int {
        // A binary format's typed values (an .h5ad cell): read apart, so text keeps this loop.
        if record.block != nil || record.hasNumbers { return try readTyped(record, into: out) }
        var nonFinite = 0
        // The fields lie in one buffer that starts at the record's base (Record's contract).
        let readable = record.base ?? UnsafePointer(bitPattern: 1)!
        for k in 0..<numeric.count {
            let f = record.field(numeric[k])
            if missing.isMissing(f) {
                out[k] = fill
            } else if let x = NumberParsing.shortDecimal(f, readableFrom: readable) {
                out[k] = x  // always finite
            } else if let v = NumberParsing.double(f) {
                let x = Float(v)
                if x.isFinite {
                    out[k] = x
                } else if nonFiniteIsMissing {
                    out[k] = fill
                    nonFinite += 1
                } else {
                    throw notFinite(f, column: numericNames[k])
                }
            } else {
                throw RowError(column: numericNames[k], "\(RowError.shown(f)) is not a number")
            }
        }
        return nonFinite
    }

    @usableFromInline func notFinite(_ f: UnsafeBufferPointer<UInt8>, column: String) -> RowError {
        RowError(
            column: column,
            "\(RowError.shown(f)) does not fit in float32 (finite values up to ±3.4028235e38 only); fix the cell, "
                + "or set `non_finite: missing` under `extractor:` to read such cells as missing")
    }

    /// Reads every label head; returns a skip reason when one is missing or unknown.
    @inlinable public func readLabels(_ record: Record, into out: inout [Int32]) throws(RowError) -> String? {
        for (h, (col, spec)) in labels.enumerated() {
            let f = record.field(col)
            if spec.values == nil, let n = record.number(col) {
                // A typed number (a binary format's integer column): no text to parse.
                guard n == n.rounded(), abs(n) < 1e15 else {
                    throw RowError(column: spec.column, "label \(n) is not an integer")
                }
                guard n >= 0 && Int(n) < spec.classes else {
                    return "label '\(spec.head)' outside 0..\(spec.classes - 1)"
                }
                out[h] = Int32(n)
                continue
            }
            if missing.isMissing(f) { return "label '\(spec.head)' missing" }
            if let values = spec.values {
                guard let k = values.firstIndex(where: { $0.utf8.elementsEqual(f) }) else {
                    return "label '\(spec.head)' has an unknown value"
                }
                out[h] = Int32(k)
            } else {
                guard let v = NumberParsing.int(f) else {
                    throw RowError(column: spec.column, "label \(RowError.shown(f)) is not an integer")
                }
                guard v >= 0 && v < spec.classes else { return "label '\(spec.head)' outside 0..\(spec.classes - 1)" }
                out[h] = Int32(v)
            }
        }
        return nil
    }

    /// Reads every mask head into `out[h]`, which must hold at least the head's `width` values
    /// (a shorter buffer stops the process: it is a bug in the calling extractor, not in the data).
    @inlinable public func readMasks(_ record: Record, into out: inout [[Int8]]) throws(RowError) {
        for (h, (col, spec)) in masks.enumerated() {
            let f = record.field(col)
            let width = spec.width
            try out[h].withUnsafeMutableBufferPointer { (m: inout UnsafeMutableBufferPointer<Int8>) throws(RowError) in
                // The word loop below writes through raw pointers: a buffer shorter than the head
                // is the caller's bug, stopped here rather than written past.
                precondition(
                    m.count >= width,
                    "readMasks: out[\(h)] holds \(m.count) values, mask '\(spec.head)' is \(width) wide")
                m.update(repeating: 0)
                if missing.isMissing(f) { return }
                switch spec.encoding {
                case .bitstring:
                    guard f.count == width else {
                        throw RowError(column: spec.column, "mask has \(f.count) characters, expected \(width)")
                    }
                    // 8 characters at a time: '0' and '1' xor '0' are the bytes 0 and 1 the mask
                    // holds, and any other character leaves a bit outside the lowest one.
                    let ascii = UInt64(0x3030_3030_3030_3030)
                    var bad: UInt64 = 0
                    var k = 0
                    if let src = f.baseAddress, let dst = m.baseAddress {
                        while k &+ 8 <= width {
                            let x = UnsafeRawPointer(src + k).loadUnaligned(as: UInt64.self) ^ ascii
                            bad |= x
                            UnsafeMutableRawPointer(dst + k).storeBytes(of: x, as: UInt64.self)
                            k &+= 8
                        }
                        bad &= 0xFEFE_FEFE_FEFE_FEFE
                    }
                    while k < width {
                        let d = f[k] ^ 0x30
                        bad |= UInt64(d & 0xFE)
                        m[k] = Int8(bitPattern: d)
                        k &+= 1
                    }
                    guard bad == 0 else {
                        throw RowError(column: spec.column, "mask has a character other than 0 and 1")
                    }
                case .ids:
                    for part in f.split(separator: UInt8(ascii: ";")) {
                        guard let id = NumberParsing.int(UnsafeBufferPointer(rebasing: part)), id >= 0, id < width
                        else {
                            throw RowError(
                                column: spec.column,
                                "mask id '\(String(decoding: part, as: UTF8.self))' is not in 0..\(width - 1)")
                        }
                        m[id] = 1
                    }
                }
            }
        }
    }

    /// The group key's bytes (empty when no group column is configured: every row its own group is
    /// then decided by the merge).
    @inlinable public func group(_ record: Record) -> UnsafeBufferPointer<UInt8> {
        guard let group else { return UnsafeBufferPointer(start: nil, count: 0) }
        return record.field(group)
    }

    public var numericCount: Int { numeric.count }
}

/// Problems binding an extractor to a file's columns.
public enum ExtractorError: Error, CustomStringConvertible, Equatable {
    case missingColumn(name: String, role: String, columns: [String])
    case noMatch(pattern: String, columns: [String])
    case schemaMismatch(expected: [String], found: [String])
    /// Thrown by ``Extractor/bind(columns:schema:missing:)`` when a file shows that the run's
    /// configuration cannot hold it, and only a config change can fix that (a Hex board of
    /// another size than the first file's): the host stops the run with this reason, naming the
    /// file, rather than failing the file alone. The reason says which option to set.
    case conflictsWithRun(String)

    public var description: String {
        switch self {
        case .missingColumn(let name, let role, let columns):
            let hint = closest(to: name, in: columns).map { " (did you mean '\($0)'?)" } ?? ""
            return
                "column '\(name)' (\(role)) is not in the header\(hint); the columns are: \(columns.prefix(60).joined(separator: ", "))"
        case .noMatch(let pattern, let columns):
            return
                "the pattern '\(pattern)' matches no column; the columns are: \(columns.prefix(60).joined(separator: ", "))"
        case .conflictsWithRun(let reason):
            return reason
        case .schemaMismatch(let expected, let found):
            return
                "this file's columns give features \(found.prefix(8).joined(separator: ","))... but the dataset's are \(expected.prefix(8).joined(separator: ","))... (\(found.count) vs \(expected.count))"
        }
    }
}
