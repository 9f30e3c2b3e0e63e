#if canImport(Glibc)
    import Glibc
#endif

/// The error a plugin throws for its own problems: options that do not work, data that breaks
/// the plugin's rules, a file of its own it cannot write. (Problems the protocols name have their
/// own types, which the host acts on: ``RowError`` skips a file, ``ReadError`` names a line,
/// ``CodecError`` may mean out of memory, ``ConfigError`` points at a config line,
/// ``ExtractorError`` is a column missing from a file.)
///
/// Every message says what went wrong, with the value or file involved, and what to do; the host
/// prints it as it is (after `error: `), so write it for the person running `quern`.
///
/// ```swift
/// guard !keys.isEmpty else {
///     throw PluginError.invalidOptions("dedupe needs `keys: [...]`, the columns to compare.")
/// }
/// ```
public enum PluginError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The plugin's options do not work, alone or with this data's schema; the message says which
    /// option and what to write instead.
    case invalidOptions(String)
    /// An option's value has the declared type but is not one the plugin accepts (`expected`
    /// says what is); `valid` lists the plugin's options.
    case badOptionValue(
        plugin: String, kind: PluginKind, option: String, value: String, expected: String, valid: [String])
    /// The data break one of the plugin's rules (a label outside its classes); the message names
    /// the file and how to fix it.
    case badData(String)
    /// A system call on a file the plugin owns (a scratch file) failed with `errno`.
    case io(path: String, operation: String, errno: Int32)

    public var description: String {
        switch self {
        case .invalidOptions(let why), .badData(let why):
            return why
        case .badOptionValue(let plugin, let kind, let option, let value, let expected, let valid):
            return "option '\(option)' of \(kind.rawValue) '\(plugin)' must be \(expected), not '\(value)' "
                + "(its options: \(valid.joined(separator: ", ")); `quern plugins` shows their types)."
        case .io(let path, let operation, let code):
            return "\(path): cannot \(operation): \(String(cString: strerror(code))).\(ErrnoHint.sentence(code))"
        }
    }
}
