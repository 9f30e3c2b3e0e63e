/// A hook stopped the work, or asked for something that cannot be.
public enum HookError: Error, CustomStringConvertible, Equatable {
    case preFailed(hook: String, status: Int32, timedOut: Bool, stderr: [String])
    /// A pre hook that could not be started at all (no `#!` line, a missing interpreter).
    case preCannotStart(hook: String, reason: String)
    case postFailed(hooks: [String])
    case badOverride(hook: String, line: Int?, reason: String)
    /// The hooks folder is missing (when named on purpose), a symlink loop, or not a folder.
    case badFolder(path: String, reason: String)

    public var description: String {
        switch self {
        case .preFailed(let hook, let status, let timedOut, let stderr):
            let why = timedOut ? "was stopped at its timeout (hooks.timeout)" : "exited with status \(status)"
            let tail =
                stderr.isEmpty ? "" : "; its last lines of stderr:\n    " + stderr.suffix(8).joined(separator: "\n    ")
            return "pre hook \(hook) \(why), so its stage did not run\(tail)"
        case .preCannotStart(let hook, let reason):
            return "pre hook \(hook) could not run, so its stage did not run: \(reason)"
        case .postFailed(let hooks):
            return
                "post hook \(hooks.joined(separator: ", ")) failed; what the stage produced is kept (hooks.on_post_failure: warn makes this a warning)"
        case .badFolder(let path, let reason):
            return
                "the hooks folder \(path) (hooks.dir, --hooks-dir) \(reason), so no hook would run: fix the path, or pass --no-hooks to run without hooks"
        case .badOverride(let hook, let line, let reason):
            return "hook \(hook) wrote a bad override\(line.map { " on line \($0)" } ?? ""): \(reason)"
        }
    }
}
