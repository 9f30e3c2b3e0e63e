/// What `quern verify` found: every file it checked, and each problem with its file and what is
/// wrong. Any problem makes verify exit non-zero.
public struct VerifyReport: Sendable, Equatable {
    /// One thing wrong with one file (or folder).
    public struct Problem: Sendable, Equatable, CustomStringConvertible {
        public var path: String
        public var what: String

        public init(_ path: String, _ what: String) {
            self.path = path
            self.what = what
        }

        public var description: String { "\(path): \(what)" }
    }

    public var problems: [Problem] = []
    /// One line per folder checked, saying what was found good.
    public var checked: [String] = []
    /// Things worth knowing that are not problems (debris a later run removes).
    public var notes: [String] = []

    public init() {}

    public var ok: Bool { problems.isEmpty }

    public mutating func problem(_ path: String, _ what: String) { problems.append(Problem(path, what)) }
}

extension Error {
    /// The reason alone, without the path a ``StorageError`` starts with (a verify line names the file itself).
    var verifyReason: String {
        if let e = self as? StorageError, case .corruptBatch(_, let reason) = e { return reason }
        return "\(self)"
    }
}
