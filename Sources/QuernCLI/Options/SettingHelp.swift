import ArgumentParser
import QuernCore

extension ArgumentHelp {
    /// A flag's help and value name from the declaration of the setting it sets (``Setting/all``),
    /// so the flag, the config key, its default and `docs/cli.md` say the same thing.
    static func setting(_ path: String) -> ArgumentHelp {
        guard let s = Setting.named(path) else { preconditionFailure("\(path) is not declared in Setting.all") }
        return ArgumentHelp(s.flagHelp, valueName: s.valueName)
    }
}
