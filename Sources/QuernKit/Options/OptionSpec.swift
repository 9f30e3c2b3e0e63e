/// One option a plugin accepts: its name, type, default and help line. Options are declared by the
/// plugin type itself and checked by the registry before the plugin is built, so a typo or an
/// ill-typed value is an error that names the option, the plugin and the valid options.
public struct OptionSpec: Sendable, Equatable {
    /// The value types an option can have.
    public enum ValueType: Sendable, Equatable, CustomStringConvertible {
        case int(ClosedRange<Int>?)
        case double
        case bool
        case string
        case choice([String])
        case stringList
        /// A nested map or list the plugin checks itself (for example `labels:`); `shape` says what
        /// it looks like, for `quern plugins` and error messages.
        case structured(shape: String)

        public var description: String {
            switch self {
            case .int(let range?): "int \(range.lowerBound)...\(range.upperBound)"
            case .int(nil): "int"
            case .double: "number"
            case .bool: "bool"
            case .string: "string"
            case .choice(let values): values.joined(separator: "|")
            case .stringList: "list of strings"
            case .structured(let shape): shape
            }
        }
    }

    public var name: String
    public var type: ValueType
    /// The default as the user would write it, or nil when the option has no default.
    public var defaultValue: String?
    public var help: String
    public var required: Bool

    public init(
        _ name: String, _ type: ValueType, default defaultValue: String? = nil, required: Bool = false, help: String
    ) {
        self.name = name
        self.type = type
        self.defaultValue = defaultValue
        self.help = help
        self.required = required
    }
}
