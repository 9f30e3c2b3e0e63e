import CQuernSys
import Foundation
import QuernCore
public import QuernKit

/// The `quern` command line as a library, so that a team builds its own `quern` with its own
/// plugins beside the built-in ones:
///
/// ```swift
/// // Sources/team-quern/main.swift
/// import QuernCLI
/// import QuernPlugins
///
/// await QuernCLI.main(plugins: builtInPlugins + [PairFeatures.self, StratifiedHead.self])
/// ```
///
/// The stock `quern` is exactly that call with `builtInPlugins`. Every command sees the table given
/// here (`quern plugins`, run, merge, compare, init, validate, ...), and the child processes that
/// `run --datasets`, `compare` and the Slurm jobs start are this same executable, so they see it too.
public enum QuernCLI {
    /// Parses the command line, runs the command with the plugins of `plugins`, and exits with the
    /// command's status. Call it once, from the executable's `main.swift`, before starting any thread.
    ///
    /// On the main actor on purpose: `main.swift`'s top-level code is, so the call does not hop to
    /// Swift's thread pool, and the checks below run on the main thread before any other thread
    /// exists (a nonisolated function here would start the pool first: under a small `ulimit -v`
    /// that hangs, and signal handling set up after other threads exist misses them).
    @MainActor
    public static func main(plugins: [any Plugin.Type]) async -> Never {
        // First, before any thread starts: under too small a memory limit libdispatch would wait
        // forever for a worker thread, so say so and stop.
        if quern_check_memory_limits() != 0 { exit(ExitStatus.failure) }
        // Before any thread starts: SIGINT and SIGTERM end running hooks' process groups and exit
        // 130 or 143 with a line saying how to resume.
        quern_forward_interrupts()
        // A quern started by another quern ends with it (SIGTERM, handled as above).
        quern_die_with_parent()
        quern_tune_malloc()
        await CLIPlugins.$registry.withValue(PluginRegistry(plugins)) {
            await Quern.main()
        }
        exit(ExitStatus.ok)
    }
}
