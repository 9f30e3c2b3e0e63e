import ArgumentParser
import QuernCore

/// Flags of the merge stage and the stages after it. Each has a config key (shown in its help).
struct MergeOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Folder of the final arrays (paths.output; default data/processed).", valueName: "dir"))
    var outputDir: String?

    @Option(help: ArgumentHelp("concat, shuffle, dedupe or balance, with options as balance:per_class=1000 (merge.strategy; default concat). `quern plugins` lists them.", valueName: "name"))
    var mergeStrategy: String?

    @Option(help: ArgumentHelp("Train,val,test fractions, summing to 1 (split.fractions; default 0.8,0.1,0.1).", valueName: "f,f,f"))
    var split: String?

    @Option(help: ArgumentHelp("Seed of seeded merge strategies: shuffle's order, balance's choice of rows (merge.seed; default 0). It never moves rows between splits.", valueName: "n"))
    var seed: Int?

    @Option(help: ArgumentHelp("Seed of the split hash, which decides the rows of train, val and test (split.seed; default 0).", valueName: "n"))
    var splitSeed: Int?

    @Option(help: ArgumentHelp("standard, minmax or none, fit on train (normalize.method; default standard).", valueName: "method"))
    var normalize: String?

    @Flag(help: "Delete the batch files once the outputs are completely written and published (merge.cleanup). Default: keep them.")
    var cleanup = false

    @Flag(help: "Publish the outputs without checking labels in range and mask bits (merge.skip_validation). Outputs with no rows, NaN or infinity are never published.")
    var skipValidation = false

    var overrides: [(String, String?)] {
        [
            ("paths.output", outputDir), ("merge.strategy", mergeStrategy), ("split.fractions", split),
            ("merge.seed", seed.map(String.init)), ("split.seed", splitSeed.map(String.init)), ("normalize.method", normalize),
            ("merge.cleanup", cleanup ? "true" : nil), ("merge.skip_validation", skipValidation ? "true" : nil),
        ]
    }
}

/// What a merge did, and how to load the outputs, as the lines printed at its end.
func mergeSummaryText(_ s: MergeStage.Summary) -> String {
    var lines = ["merge summary (\(s.outputDir))"]
    lines.append("  strategy: \(s.strategy), \(Human.count(s.report.rowsIn)) rows in, \(Human.count(s.report.rowsOut)) out, from \(s.batches) batch files")
    for (reason, n) in s.report.dropped.sorted(by: { $0.key < $1.key }) { lines.append("  dropped:  \(Human.count(n)) \(reason)") }
    lines.append("  splits:   train \(Human.count(s.splits[0])), val \(Human.count(s.splits[1])), test \(Human.count(s.splits[2]))")
    for w in s.warnings { lines.append("  warning:  \(w)") }
    lines.append("  time:     \(Human.duration(s.seconds)); peak memory \(Human.bytes(s.peakBytes))\(s.validated ? "" : " (validation skipped)")")
    lines.append("  batches:  \(s.cleanup ?? "kept (pass --cleanup to delete them after a successful merge)")")
    lines.append("  load them in Python:")
    lines.append("    import numpy as np")
    lines.append("    X = np.load('\(s.outputDir)/X_train.npy', mmap_mode='r')")
    lines.append("    y = np.load('\(s.outputDir)/labels_train.npz')  # one array per label head")
    return lines.joined(separator: "\n")
}
