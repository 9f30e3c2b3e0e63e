/// The one place that spells the names of the files in an intermediate folder
/// (`paths.intermediate`): batch files and their parsing, the plan, the journals and progress
/// files of each shard, the failed-files list, the cleanup record, the locks, the folder of files
/// set aside, and the marker of a `quern export` folder. The extract, the merge's checks, `quern
/// verify`, `quern inspect`/`export` and `quern compare` read the names from here;
/// `LayoutLiteralsTests` fails when a name is spelled anywhere else in the code. docs/formats.md
/// describes the files; python/quern spells the same names for Python readers.
public enum IntermediateFolderLayout {
    // MARK: Batches

    /// `batch_NNNNNN.npz` for part 0 of a batch, `batch_NNNNNN.PPP.npz` for its later parts.
    public static func batch(_ batch: Int, part: Int) -> String {
        let b = String(batch).leftPadded(to: 6)
        return part == 0 ? "batch_\(b).npz" : "batch_\(b).\(String(part).leftPadded(to: 3)).npz"
    }

    /// Every batch file, as a shell pattern (for messages).
    public static let batchPattern = "batch_*.npz"

    /// The batch and part a batch file name names; nil for anything else (part 0 is never spelled).
    public static func parseBatch(_ fileName: String) -> (batch: Int, part: Int)? {
        guard fileName.hasPrefix("batch_"), fileName.hasSuffix(".npz") else { return nil }
        let core = fileName.dropFirst(6).dropLast(4).split(separator: ".", omittingEmptySubsequences: false)
        guard (1...2).contains(core.count),
            core.allSatisfy({ !$0.isEmpty && $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) }),
            let b = Int(core[0])
        else { return nil }
        let part = core.count == 2 ? Int(core[1]) ?? 0 : 0
        if core.count == 2 && part == 0 { return nil }
        return (b, part)
    }

    // MARK: Plan, journals, progress

    /// Which input files go into which batch (``Plan``).
    public static let plan = "plan.jsonl"

    /// The journal of shard `index` of `count` (the whole folder when `count` is 1).
    public static func journal(shard index: Int, of count: Int) -> String {
        count == 1 ? "journal.jsonl" : "journal.shard-\(index)-of-\(count).jsonl"
    }

    /// The progress file of shard `index` of `count` (the whole folder when `count` is 1).
    public static func progress(shard index: Int, of count: Int) -> String {
        count == 1 ? "progress.json" : "progress.shard-\(index)-of-\(count).json"
    }

    /// Is `name` a journal (of any shard)?
    public static func isJournal(_ name: String) -> Bool { name.hasPrefix("journal") && name.hasSuffix(".jsonl") }
    /// Is `name` a progress file (of any shard)?
    public static func isProgress(_ name: String) -> Bool { name.hasPrefix("progress") }
    /// Is `name` a progress file of one shard of several?
    public static func isShardProgress(_ name: String) -> Bool { name.hasPrefix("progress.") && name != progressWhole }
    /// The progress file of an unsharded extract.
    public static var progressWhole: String { progress(shard: 0, of: 1) }

    /// `journal.shard-K-of-N.jsonl`, `progress.shard-K-of-N.json` -> (K, N); nil for other names.
    public static func shard(inFileName name: String) -> (index: Int, count: Int)? {
        guard name.hasPrefix("journal.shard-") || name.hasPrefix("progress.shard-") else { return nil }
        let core = name.split(separator: ".").dropFirst().first.map(String.init) ?? ""  // shard-K-of-N
        let parts = core.split(separator: "-")
        guard parts.count == 4, parts[0] == "shard", parts[2] == "of", let k = Int(parts[1]), let n = Int(parts[3])
        else { return nil }
        return (k, n)
    }

    // MARK: Other records

    /// One line per input file that failed, with its batch, line and reason.
    public static let failed = "failed.jsonl"
    /// Which batch files `--cleanup` deleted on purpose (``CleanupRecord``).
    public static let cleanup = "cleanup.json"
    /// Where files an extract replaces or restarts over are moved, never deleted (``Superseded``).
    public static let superseded = "superseded"
    /// The marker of a folder `quern export` wrote (``BatchExport``).
    public static let exportMarker = "export.json"

    /// Was `name` left by an earlier extract (batches, plan, journals, progress, failed list):
    /// what `--restart` sets aside? Any name starting with `journal` counts, a copy of one too.
    public static func isExtractRecord(_ name: String) -> Bool {
        parseBatch(name) != nil || name.hasPrefix("journal") || name == plan || name == failed || isProgress(name)
    }

    // MARK: Locks (``FolderLock`` names)

    /// Held while the plan is read and rewritten.
    public static let planLock = "plan"

    /// The lock of shard `index` of `count`.
    public static func extractLock(shard index: Int, of count: Int) -> String { "extract-\(index)-of-\(count)" }

    /// The shard (K, N) whose extract lock file (``FolderLock/fileName(_:)``) is `fileName`; nil
    /// for other files, and for the holder files beside locks.
    public static func extractLockShard(inFileName fileName: String) -> (name: String, index: Int, count: Int)? {
        guard let name = FolderLock.lockName(inFileName: fileName), name.hasPrefix("extract-") else { return nil }
        let parts = name.dropFirst("extract-".count).split(separator: "-of-")
        guard parts.count == 2, let k = Int(parts[0]), let n = Int(parts[1]) else { return nil }
        return (name, k, n)
    }
}
