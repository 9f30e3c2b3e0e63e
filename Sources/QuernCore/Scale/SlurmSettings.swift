import QuernKit

/// The `slurm:` section (or `quern slurm` flags): the resources of the two jobs, made by the ``Resolver``.
public struct SlurmSettings: Sendable, Equatable {
    public var shards = 0
    public var partition: String? = nil
    public var account: String? = nil
    public var time: String? = nil
    public var cpusPerTask = 0
    public var mem: String? = nil
    public var mergeTime: String? = nil
    public var mergeCPUs = 0
    public var mergeMem: String? = nil
    public var sbatchArgs: [String] = []
    public var scriptDir: String? = nil

    init() {}
}
