/// A value from the YAML config (or a flag, or an override), with where it came from so errors can
/// say `file:line:column`. Scalars keep their text; typed views parse it on demand.
public struct ConfigValue: Sendable, Equatable, CustomStringConvertible {
    public indirect enum Kind: Sendable, Equatable {
        case scalar(String)
        case null
        case list([ConfigValue])
        /// Keys in the order written, so `numeric:` column lists keep their order.
        case map([(String, ConfigValue)])

        public static func == (a: Kind, b: Kind) -> Bool {
            switch (a, b) {
            case (.scalar(let x), .scalar(let y)): x == y
            case (.null, .null): true
            case (.list(let x), .list(let y)): x == y
            case (.map(let x), .map(let y)): x.count == y.count && zip(x, y).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
            default: false
            }
        }
    }

    public var kind: Kind
    public var mark: SourceMark?
    /// Where the key of this value was written, for a value in a map read from a file: errors
    /// about the key itself (an unknown key) point there.
    public var keyMark: SourceMark?

    public init(_ kind: Kind, mark: SourceMark? = nil, keyMark: SourceMark? = nil) {
        self.kind = kind
        self.mark = mark
        self.keyMark = keyMark
    }

    /// Where an error about this entry's key should point: the key, else the value.
    public var keyOrValueMark: SourceMark? { keyMark ?? mark }

    public static func == (a: ConfigValue, b: ConfigValue) -> Bool { a.kind == b.kind }

    public static func scalar(_ s: String) -> ConfigValue { ConfigValue(.scalar(s)) }

    /// A scalar from flag text (`3`, `true`, `zstd`).
    public static func parseScalar(_ s: String) -> ConfigValue { ConfigValue(.scalar(s)) }

    public var stringValue: String? {
        if case .scalar(let s) = kind { return s }
        return nil
    }

    public var intValue: Int? {
        guard let s = stringValue else { return nil }
        if let i = Int(String(s.filter { $0 != "_" })) { return i }
        if let d = Double(s), d == d.rounded(), abs(d) < 1e15 { return Int(d) }
        return nil
    }

    public var doubleValue: Double? { stringValue.flatMap { Double($0) } }

    public var boolValue: Bool? {
        switch stringValue?.lowercased() {
        case "true", "yes", "on", "1": true
        case "false", "no", "off", "0": false
        default: nil
        }
    }

    public var listValue: [ConfigValue]? {
        if case .list(let items) = kind { return items }
        return nil
    }

    public var mapValue: [(String, ConfigValue)]? {
        if case .map(let entries) = kind { return entries }
        return nil
    }

    public subscript(key: String) -> ConfigValue? {
        mapValue?.first(where: { $0.0 == key })?.1
    }

    /// A stable text form, for fingerprints and messages.
    public var canonical: String {
        switch kind {
        case .scalar(let s): s
        case .null: "null"
        case .list(let items): "[" + items.map(\.canonical).joined(separator: ",") + "]"
        case .map(let entries): "{" + entries.map { "\($0.0):\($0.1.canonical)" }.joined(separator: ",") + "}"
        }
    }

    public var description: String { canonical }

    /// What the value is, in words, for type errors.
    public var typeName: String {
        switch kind {
        case .scalar: "a scalar"
        case .null: "null"
        case .list: "a list"
        case .map: "a map"
        }
    }
}

/// Where a config value was written: a file position, or a flag.
public struct SourceMark: Sendable, Equatable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var column: Int

    public init(file: String, line: Int, column: Int) {
        self.file = file
        self.line = line
        self.column = column
    }

    public var description: String { line > 0 ? "\(file):\(line):\(column)" : file }
}
