/// One thing pre-flight found wrong, with what to do about it (the message says both).
public struct PreflightProblem: Sendable, Equatable, CustomStringConvertible {
    /// What was checked: config, plugins, input, folders, disk, hooks, intermediate.
    public var area: String
    public var message: String
    /// A warning does not stop the run (a hook may still fix it); an error does.
    public var isWarning: Bool

    public init(_ area: String, _ message: String, warning: Bool = false) {
        self.area = area
        self.message = message
        isWarning = warning
    }

    public var description: String {
        // Config errors already read `file:line:column: error: ...`, as compilers print them.
        if message.contains(": error: ") || message.hasPrefix("error: ") {
            return isWarning ? message.replacingOccurrences(of: "error: ", with: "warning: ") : message
        }
        return "\(isWarning ? "warning" : "error"): [\(area)] \(message)"
    }
}

/// What pre-flight learned on the way, for `run --dry-run` and `validate`'s summary.
public struct PreflightPlan: Sendable {
    public var inputDir = ""
    public var inputFiles: [InputFile] = []
    public var inputBytes = 0
    public var batches = 0
    public var filesPerBatch = 0
    public var extractor = ""
    public var codec = ""
    public var strategy = ""
    public var intermediateDir = ""
    public var outputDir = ""
    public var logDir = ""
    public var estimatedBytes = 0
    public var freeBytes: Int?
    /// Batches already complete in the intermediate folder (they would be kept).
    public var journaledBatches = 0
    /// Hook point -> hooks that would run there.
    public var hooks: [(point: String, names: [String])] = []
}

/// The result of a pre-flight: every problem at once, and the plan.
public struct PreflightReport: Sendable {
    public var problems: [PreflightProblem] = []
    public var plan = PreflightPlan()
    /// What the config resolved into (bad keys set aside); the run's plan when there are no errors.
    public var runPlan: RunPlan? = nil

    public var errors: [PreflightProblem] { problems.filter { !$0.isWarning } }
    public var warnings: [PreflightProblem] { problems.filter(\.isWarning) }
}

/// Thrown by run, extract and merge when pre-flight found errors: all of them, one per line.
public struct PreflightFailed: Error, CustomStringConvertible {
    public var problems: [PreflightProblem]

    public init(problems: [PreflightProblem]) { self.problems = problems }

    public var description: String {
        let n = problems.count
        return problems.map(\.description).joined(separator: "\n")
            + "\nerror: pre-flight found \(n) problem\(n == 1 ? "" : "s") (listed above); nothing was run. Fix them and run again (`quern validate` checks without running)."
    }
}
