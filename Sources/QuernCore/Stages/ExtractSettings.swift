import Foundation
public import QuernKit

/// Everything the extract stage needs. Only the ``Resolver`` makes them, from the config tree (file,
/// flags and overrides applied) and the declared defaults (``Setting/all``); the values below are
/// placeholders it replaces.
public struct ExtractSettings: Sendable, Equatable {
    public var inputDir = ""
    public var intermediateDir = ""
    public var pattern: String? = nil
    /// `input.format`: `auto` (by extension) or one format, with its options, for every file.
    public var format = FormatChoice.auto
    public var missingValues: [String] = []
    public var maxFiles = 0
    public var extractorName = ""
    public var extractorOptions: [String: ConfigValue] = [:]
    public var codecSpec = ""
    public var filesPerBatch = 0
    public var rowsPerBatch = 0
    /// `batch.part_bytes`: most bytes of rows (as the arrays hold them) in one part.
    public var partBytes = 0
    /// `batch.range_bytes`: input bytes one worker takes at a time (see ``BatchPieces``).
    public var rangeBytes = 0
    public var workers = 0
    public var shard = Shard.whole
    /// Set with `--shard auto`: a scheduler started this process and may start a second copy of
    /// the same task (a retry, a requeue), which then waits for the first instead of failing.
    public var shardFromScheduler = false
    public var restart = false
    /// `batch.memory_limit`: sizes workers and parts to stay under it (see ``MemoryLimit``).
    public var memoryLimit: MemoryLimit? = nil
    /// `extract.budget` (`--budget`): the most the journaled batches may cost (``BudgetGate``).
    public var budget: Double? = nil

    init() {}

    /// Workers to run: the setting, or one per core.
    public var effectiveWorkers: Int {
        workers > 0 ? workers : max(1, ProcessInfoCores.count)
    }
}

/// `K/N`: this process handles shard K (0-based) of N.
public struct Shard: Sendable, Equatable, CustomStringConvertible {
    public var index: Int
    public var count: Int

    public static let whole = Shard(index: 0, count: 1)

    public init(index: Int, count: Int) {
        self.index = index
        self.count = count
    }

    public init?(_ text: String) {
        let parts = text.split(separator: "/")
        guard parts.count == 2, let k = Int(parts[0]), let n = Int(parts[1]), n >= 1, k >= 0, k < n else { return nil }
        self.init(index: k, count: n)
    }

    public func owns(batch: Int) -> Bool { batch % count == index }

    public var description: String { "\(index)/\(count)" }

    /// The journal file of this shard.
    public var journalName: String { IntermediateFolderLayout.journal(shard: index, of: count) }
    /// The progress file of this shard.
    public var progressName: String { IntermediateFolderLayout.progress(shard: index, of: count) }
    /// The lock this shard holds while it extracts.
    public var lockName: String { IntermediateFolderLayout.extractLock(shard: index, of: count) }
}
