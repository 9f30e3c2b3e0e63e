public import QuernKit

/// What one run will do, resolved once from the config tree by the ``Resolver``: the typed
/// settings of each section and the plugins they name, built and checked. The stage runner hands
/// it to each stage when the stage starts (``StageRunner/run(_:plan:_:)``); a pre hook's override
/// makes a new tree and so a new plan (``RunContext/applyOverrides(_:hook:stage:)``).
public struct RunPlan: Sendable {
    /// Which stages will run, so only their plugins are built and checked.
    public struct Stages: OptionSet, Sendable {
        public let rawValue: Int
        public init(rawValue: Int) { self.rawValue = rawValue }
        public static let extract = Stages(rawValue: 1)
        public static let merge = Stages(rawValue: 2)
        public static let all: Stages = [.extract, .merge]
    }

    /// The tree the plan was resolved from (for hooks' `QUERN_CONTEXT`, and overrides on top).
    public var config: ConfigValue
    public var stages: Stages
    public var extract: ExtractSettings
    public var merge: MergeSettings
    public var hooks: HookSettings
    /// `paths.logs`.
    public var logDir: String
    /// The built plugins: the extractor (nil when the extract stage does not run or it was not
    /// asked for), the batch codec, the input format (nil for `auto`: each file's extension
    /// chooses), the merge strategy (nil when the merge does not run).
    public var extractor: (any Extractor)?
    public var codec: (any Codec)?
    public var format: (any InputFormat)?
    public var strategy: (any MergeStrategy)?
    /// The output writer (`save.writer`; nil when the merge does not run).
    public var writer: (any OutputWriter)? = nil

    /// The extract stage's plugins; a plan resolved for it always has them.
    public func extractPlugins() throws -> (extractor: any Extractor, codec: any Codec) {
        guard let extractor, let codec else {
            throw ResolveFailed.missingPlugin(
                "the extractor and codec (the plan was resolved without the extract stage)")
        }
        return (extractor, codec)
    }

    /// The output writer; a plan resolved for the merge always has it.
    public func outputWriter() throws -> any OutputWriter {
        guard let writer else {
            throw ResolveFailed.missingPlugin("the output writer (the plan was resolved without the merge stage)")
        }
        return writer
    }

    /// The merge strategy; a plan resolved for the merge always has it.
    public func mergeStrategy() throws -> any MergeStrategy {
        guard let strategy else {
            throw ResolveFailed.missingPlugin("the merge strategy (the plan was resolved without the merge stage)")
        }
        return strategy
    }
}

/// A config that does not resolve: every problem, each with what to do.
public enum ResolveFailed: Error, CustomStringConvertible {
    case problems([PreflightProblem])
    /// A plan used for a stage it was not resolved for: a programmer's error, reported, not a crash.
    case missingPlugin(String)

    public var description: String {
        switch self {
        case .problems(let p): p.map(\.description).joined(separator: "\n")
        case .missingPlugin(let what): "internal error: no \(what)."
        }
    }
}
