/// `--shard auto`: the shard this process is, read from the scheduler that started it, so one
/// job script serves every task of a job array.
///
/// - Slurm job arrays: `SLURM_ARRAY_TASK_ID`, with `SLURM_ARRAY_TASK_MIN`, `_STEP` and `_COUNT`
///   (`--array=1-8` gives shards 0..7 of 8). With an explicit count (`--shard-count N`, or
///   `QUERN_SHARD_COUNT`), the array index *is* the shard number: that is what lets
///   `sbatch --array=2 extract.sbatch` redo shard 2 alone.
/// - Kubernetes Indexed Jobs: `JOB_COMPLETION_INDEX` (0-based); the count must be given, since
///   Kubernetes does not put `completions` in the environment.
public enum SchedulerShard {
    /// Variables read, for the error message.
    public static let variables = [
        "SLURM_ARRAY_TASK_ID", "SLURM_ARRAY_TASK_MIN", "SLURM_ARRAY_TASK_STEP", "SLURM_ARRAY_TASK_COUNT",
        "JOB_COMPLETION_INDEX", "QUERN_SHARD_COUNT",
    ]

    /// The shard from `env`. `count` is `--shard-count` (or `extract.shard_count`), if given.
    public static func resolve(environment env: [String: String], count given: Int?) throws(ShardError) -> Shard {
        var count = given
        if count == nil, let text = env["QUERN_SHARD_COUNT"] {
            guard let n = Int(text), n >= 1 else {
                throw .badVariable("QUERN_SHARD_COUNT", text, "a count of at least 1")
            }
            count = n
        }
        if let idText = env["SLURM_ARRAY_TASK_ID"] {
            guard let id = Int(idText) else { throw .badVariable("SLURM_ARRAY_TASK_ID", idText, "an integer") }
            if let n = count {
                guard id >= 0, id < n else {
                    throw .outOfRange(
                        "SLURM_ARRAY_TASK_ID is \(id) and the shard count is \(n): with an explicit count the array index is the shard number, so submit --array=0-\(n - 1) (or drop the count to number shards from the array's own start)"
                    )
                }
                return Shard(index: id, count: n)
            }
            let min = try int(env, "SLURM_ARRAY_TASK_MIN") ?? 0
            let step = try int(env, "SLURM_ARRAY_TASK_STEP") ?? 1
            guard step >= 1 else { throw .badVariable("SLURM_ARRAY_TASK_STEP", String(step), "a step of at least 1") }
            var n = try int(env, "SLURM_ARRAY_TASK_COUNT")
            if n == nil, let max = try int(env, "SLURM_ARRAY_TASK_MAX") { n = (max - min) / step + 1 }
            guard let n else {
                throw .missing(
                    "SLURM_ARRAY_TASK_ID is set but neither SLURM_ARRAY_TASK_COUNT nor SLURM_ARRAY_TASK_MAX is: pass --shard-count N"
                )
            }
            guard id >= min, (id - min) % step == 0, (id - min) / step < n else {
                throw .outOfRange(
                    "array task \(id) is not on the range start \(min), step \(step), \(n) tasks: shards need an evenly spaced array such as --array=0-\(n - 1), or pass --shard-count"
                )
            }
            return Shard(index: (id - min) / step, count: n)
        }
        if let indexText = env["JOB_COMPLETION_INDEX"] {
            guard let index = Int(indexText), index >= 0 else {
                throw .badVariable("JOB_COMPLETION_INDEX", indexText, "an index of at least 0")
            }
            guard let n = count else {
                throw .missing(
                    "JOB_COMPLETION_INDEX is \(index) (a Kubernetes Indexed Job) but the shard count is unknown: pass --shard-count N (the Job's completions) or set QUERN_SHARD_COUNT"
                )
            }
            guard index < n else {
                throw .outOfRange(
                    "JOB_COMPLETION_INDEX is \(index), not below the shard count \(n): set --shard-count to the Job's completions"
                )
            }
            return Shard(index: index, count: n)
        }
        throw .missing(
            "--shard auto takes the shard from a scheduler, but none of \(variables.joined(separator: ", ")) is set: run it as a Slurm array task or a Kubernetes Indexed Job, or give the shard as K/N"
        )
    }

    private static func int(_ env: [String: String], _ name: String) throws(ShardError) -> Int? {
        guard let text = env[name] else { return nil }
        guard let v = Int(text) else { throw .badVariable(name, text, "an integer") }
        return v
    }
}

public enum ShardError: Error, CustomStringConvertible, Equatable {
    case missing(String)
    case badVariable(String, String, String)
    case outOfRange(String)

    public var description: String {
        switch self {
        case .missing(let why), .outOfRange(let why): why
        case .badVariable(let name, let value, let expected): "\(name) is '\(value)', expected \(expected)."
        }
    }
}
