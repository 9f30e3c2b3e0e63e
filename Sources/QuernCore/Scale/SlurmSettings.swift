public import QuernKit

/// The `slurm:` section (or `quern slurm` flags): the resources of the two jobs.
public struct SlurmSettings: Sendable, Equatable {
    public var shards = 0
    public var partition: String? = nil
    public var account: String? = nil
    public var time: String? = nil
    public var cpusPerTask = 1
    public var mem: String? = nil
    public var mergeTime: String? = nil
    public var mergeCPUs = 2
    public var mergeMem: String? = nil
    public var sbatchArgs: [String] = []
    public var scriptDir: String? = nil

    public init() {}

    public static func resolve(_ config: ConfigValue) throws(ConfigError) -> SlurmSettings {
        try ConfigSchema.check(config)
        var s = SlurmSettings()
        guard let v = config.value(at: "slurm.shards"), let n = v.intValue else {
            throw .invalid(
                at: config.value(at: "slurm")?.mark, key: "slurm.shards",
                reason: "say how many extract shards to run: --shards N, or shards: N under slurm: in the config.")
        }
        s.shards = n
        s.partition = config.value(at: "slurm.partition")?.stringValue
        s.account = config.value(at: "slurm.account")?.stringValue
        s.time = config.value(at: "slurm.time")?.stringValue
        if let v = config.value(at: "slurm.cpus_per_task")?.intValue { s.cpusPerTask = v }
        s.mem = config.value(at: "slurm.mem")?.stringValue
        s.mergeTime = config.value(at: "slurm.merge_time")?.stringValue ?? s.time
        if let v = config.value(at: "slurm.merge_cpus")?.intValue { s.mergeCPUs = v }
        s.mergeMem = config.value(at: "slurm.merge_mem")?.stringValue ?? s.mem
        s.sbatchArgs = config.value(at: "slurm.sbatch_args")?.listValue?.compactMap(\.stringValue) ?? []
        s.scriptDir = config.value(at: "slurm.script_dir")?.stringValue
        for a in s.sbatchArgs where !a.hasPrefix("-") {
            throw .invalid(at: config.value(at: "slurm.sbatch_args")?.mark, key: "slurm.sbatch_args", reason: "'\(a)' is not an sbatch option: write it as --qos=high.")
        }
        return s
    }
}
