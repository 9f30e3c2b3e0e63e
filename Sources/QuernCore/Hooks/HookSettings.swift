import QuernKit

/// How hooks run: from config `hooks:` and the flags `--hooks-dir`, `--no-hooks`, made by the
/// ``Resolver`` (the values below are placeholders it replaces).
public struct HookSettings: Sendable, Equatable {
    public enum PostFailure: String, Sendable { case fail, warn }

    public var enabled = true
    public var dir = ""
    /// Whether `dir` was given (hooks.dir, --hooks-dir): then it must exist. The default folder
    /// may be absent (no hooks), but a folder named on purpose that is not there is a typo that
    /// would silently switch off every hook, a pre-merge check among them.
    public var dirGiven = false
    /// Run post-batch hooks one at a time (otherwise those of different batches may overlap).
    public var serial = false
    public var timeout = 0.0
    public var onPostFailure = PostFailure.fail
    /// Extra shell commands per hook name (`pre-merge: ["./check.sh --strict"]`), run after the files.
    public var commands: [String: [String]] = [:]

    init() {}
}

/// A point where hooks run: `pre-<stage>`, `post-<stage>`, or `post-batch`.
public struct HookPoint: Sendable, Hashable, CustomStringConvertible {
    public enum When: String, Sendable { case pre, post }

    public var when: When
    /// A stage name, or "batch".
    public var stage: String

    public init(_ when: When, _ stage: String) {
        self.when = when
        self.stage = stage
    }

    public init?(name: String) {
        guard let point = HookPoint.all.first(where: { $0.name == name }) else { return nil }
        self = point
    }

    public var name: String { "\(when.rawValue)-\(stage)" }
    public var description: String { name }

    /// Every hook point, in pipeline order.
    public static let all: [HookPoint] = StageName.allCases.flatMap { s -> [HookPoint] in
        let pair = [HookPoint(.pre, s.rawValue), HookPoint(.post, s.rawValue)]
        return s == .extract ? pair + [HookPoint(.post, "batch")] : pair
    }
}
