public import QuernKit

/// How hooks run: from config `hooks:` and the flags `--hooks-dir`, `--no-hooks`.
public struct HookSettings: Sendable, Equatable {
    public enum PostFailure: String, Sendable { case fail, warn }

    public var enabled = true
    public var dir = "hooks"
    /// Whether `dir` was given (hooks.dir, --hooks-dir): then it must exist. The default folder
    /// may be absent (no hooks), but a folder named on purpose that is not there is a typo that
    /// would silently switch off every hook, a pre-merge check among them.
    public var dirGiven = false
    /// Run post-batch hooks one at a time (otherwise those of different batches may overlap).
    public var serial = false
    public var timeout = 600.0
    public var onPostFailure = PostFailure.fail
    /// Extra shell commands per hook name (`pre-merge: ["./check.sh --strict"]`), run after the files.
    public var commands: [String: [String]] = [:]

    public init() {}

    public static func resolve(_ config: ConfigValue) throws(ConfigError) -> HookSettings {
        try ConfigSchema.check(config)
        var s = HookSettings()
        if let v = config.value(at: "hooks.enabled")?.boolValue { s.enabled = v }
        if let v = config.value(at: "hooks.dir")?.stringValue {
            s.dir = v
            s.dirGiven = true
        }
        if let v = config.value(at: "hooks.serial")?.boolValue { s.serial = v }
        if let v = config.value(at: "hooks.timeout")?.doubleValue { s.timeout = v }
        if let v = config.value(at: "hooks.on_post_failure") {
            guard let p = v.stringValue.flatMap(PostFailure.init(rawValue:)) else {
                throw .invalid(at: v.mark, key: "hooks.on_post_failure", reason: "must be fail (a failing post hook fails the run) or warn, not '\(v.canonical)'.")
            }
            s.onPostFailure = p
        }
        if let v = config.value(at: "hooks.commands") {
            guard let entries = v.mapValue else { throw .wrongType(at: v.mark, key: "hooks.commands", expected: "a map of hook name -> [commands]", found: v.typeName) }
            for (name, list) in entries {
                guard HookPoint(name: name) != nil else {
                    throw .unknownKey(at: list.keyOrValueMark, key: name, section: "hooks.commands", valid: HookPoint.all.map(\.name), suggestion: closest(to: name, in: HookPoint.all.map(\.name)))
                }
                let commands = list.listValue?.compactMap(\.stringValue) ?? list.stringValue.map { [$0] } ?? []
                s.commands[name] = commands
            }
        }
        return s
    }
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
