import QuernKit

/// Reads declared settings from a config tree that ``ConfigSchema`` has checked: the value written
/// (file, flag, environment or hook override), else the declared default (``Setting/all``). Used
/// by the ``Resolver`` alone: no other code reads settings from the tree.
struct SettingReader {
    let config: ConfigValue

    /// The value set at `path`, if any (not the default).
    func given(_ path: String) -> ConfigValue? { config.value(at: path) }

    /// The value set at `path`, else its declared default, else nil.
    func value(_ path: String) -> ConfigValue? {
        if let v = config.value(at: path) { return v }
        guard let setting = Setting.named(path) else { preconditionFailure("\(path) is not declared in Setting.all") }
        return setting.defaultValue
    }

    func string(_ path: String) -> String? { value(path)?.stringValue }

    func int(_ path: String) throws(ConfigError) -> Int? {
        guard let v = value(path) else { return nil }
        guard let i = v.intValue else {
            throw .wrongType(at: v.mark, key: path, expected: "an integer", found: "'\(v.canonical)'")
        }
        return i
    }

    func bool(_ path: String) throws(ConfigError) -> Bool {
        guard let v = value(path) else { return false }
        guard let b = v.boolValue else {
            throw .wrongType(at: v.mark, key: path, expected: "true or false", found: "'\(v.canonical)'")
        }
        return b
    }

    func double(_ path: String) throws(ConfigError) -> Double? {
        guard let v = value(path) else { return nil }
        guard let d = v.doubleValue else {
            throw .wrongType(at: v.mark, key: path, expected: "a number", found: "'\(v.canonical)'")
        }
        return d
    }

    /// A value that has a declared default; a missing one is a programmer's error in the table.
    func required<T>(_ path: String, _ read: (String) throws(ConfigError) -> T?) throws(ConfigError) -> T {
        guard let v = try read(path) else { preconditionFailure("\(path) needs a default in Setting.all") }
        return v
    }
}
