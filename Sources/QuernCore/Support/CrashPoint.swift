import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Named points where the crash tests kill quern: with `QUERN_CRASH_AT=<point>` (or
/// `<point>#<n>` for its n-th time) in the environment, quern sends itself SIGKILL there, as a
/// power cut would, with no chance to clean up. Without the variable nothing happens. Points:
/// `pre-<stage>` and `post-<stage>` for every stage (`StageRunner`), `part-written` (a part's arrays
/// are in a synced temporary file, its number not yet known), `range-read` (a range of a big file
/// is read and its parts written), `batch-written` (a batch's
/// temporary files are synced, not yet renamed), `batch-published` (renamed, not yet journaled),
/// `batch-journaled`, `outputs-staged` (a merge's outputs are complete, not yet published) and
/// `output-moved` (one more output file renamed into the output folder, while publishing).
/// Tests/IntegrationTests/CrashTests.swift kills at each of them and checks the resumed run.
public enum CrashPoint {
    static let target: (name: String, count: Int)? = {
        guard let raw = getenv("QUERN_CRASH_AT").map({ String(cString: $0) }), !raw.isEmpty else { return nil }
        let parts = raw.split(separator: "#", maxSplits: 1)
        return (String(parts[0]), parts.count == 2 ? max(1, Int(parts[1]) ?? 1) : 1)
    }()
    static let hits = Mutex(0)

    /// Kills the process here if the environment names this point (and this is its n-th time).
    public static func reached(_ name: String) {
        guard let t = target, t.name == name else { return }
        let n = hits.withLock { h -> Int in
            h += 1
            return h
        }
        if n == t.count { kill(getpid(), SIGKILL) }
    }
}
