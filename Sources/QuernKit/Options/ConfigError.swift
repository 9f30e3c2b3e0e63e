/// Problems with the configuration (file, flags or overrides). Messages follow the compiler's
/// `file:line:column: error:` form so editors can jump to them, and say what to do.
public enum ConfigError: Error, CustomStringConvertible, Equatable {
    case unreadable(path: String, reason: String)
    case yaml(path: String, line: Int, column: Int, reason: String)
    case unknownKey(at: SourceMark?, key: String, section: String, valid: [String], suggestion: String?)
    case wrongType(at: SourceMark?, key: String, expected: String, found: String)
    case invalid(at: SourceMark?, key: String, reason: String)

    /// The message, control characters in it escaped (``OneLine``): names and values come from
    /// the file, and a NUL or a terminal escape sequence must not reach the terminal raw.
    public var description: String {
        OneLine.escapeKeepingNewlines(message)
    }

    private var message: String {
        let e = OneLine.escape
        switch self {
        case .unreadable(let path, let reason):
            return "\(path): error: cannot read the config file: \(reason). Check the --config path."
        case .yaml(let path, let line, let column, let reason):
            return "\(path):\(line):\(column): error: \(reason)"
        case .unknownKey(let at, let key, let section, let valid, let suggestion):
            let hint = suggestion.map { " Did you mean '\(e($0))'?" } ?? ""
            let place = section.isEmpty ? "at the top level" : "in '\(section)'"
            return "\(prefix(at))unknown key '\(e(key))' \(place).\(hint) Valid keys: \(valid.joined(separator: ", "))."
        case .wrongType(let at, let key, let expected, let found):
            return "\(prefix(at))'\(e(key))' must be \(expected), found \(e(found))."
        case .invalid(let at, let key, let reason):
            return "\(prefix(at))'\(e(key))': \(reason)"
        }
    }

    private func prefix(_ mark: SourceMark?) -> String {
        mark.map { "\($0): error: " } ?? "error: "
    }
}
