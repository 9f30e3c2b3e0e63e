import ArgumentParser
import QuernCore

/// Flags of the merge stage and the stages after it. Each has a config key (shown in its help).
struct MergeOptions: ParsableArguments {
    @Option(help: .setting("paths.output"))
    var outputDir: String?

    @Option(help: .setting("merge.strategy"))
    var mergeStrategy: String?

    @Option(help: .setting("split.fractions"))
    var split: String?

    @Option(help: .setting("merge.seed"))
    var seed: Int?

    @Option(help: .setting("split.seed"))
    var splitSeed: Int?

    @Option(help: .setting("normalize.method"))
    var normalize: String?

    @Flag(help: .setting("merge.cleanup"))
    var cleanup = false

    @Flag(help: .setting("merge.skip_validation"))
    var skipValidation = false

    @Option(help: .setting("save.writer"))
    var writer: String?

    var overrides: [(String, String?)] {
        [
            ("paths.output", outputDir), ("merge.strategy", mergeStrategy), ("split.fractions", split),
            ("merge.seed", seed.map(String.init)), ("split.seed", splitSeed.map(String.init)),
            ("normalize.method", normalize),
            ("merge.cleanup", cleanup ? "true" : nil), ("merge.skip_validation", skipValidation ? "true" : nil),
            ("save.writer", writer),
        ]
    }
}

/// What a merge did, and how to load the outputs, as the lines printed at its end.
func mergeSummaryText(_ s: MergeStage.Summary) -> String {
    var lines = ["merge summary (\(s.outputDir))"]
    lines.append(
        "  strategy: \(s.strategy), \(Human.count(s.report.rowsIn)) rows in, \(Human.count(s.report.rowsOut)) out, from \(s.batches) batch files"
    )
    for (reason, n) in s.report.dropped.sorted(by: { $0.key < $1.key }) {
        lines.append("  dropped:  \(Human.count(n)) \(reason)")
    }
    lines.append(
        "  splits:   train \(Human.count(s.splits[0])), val \(Human.count(s.splits[1])), test \(Human.count(s.splits[2]))"
    )
    for w in s.warnings { lines.append("  warning:  \(w)") }
    lines.append(
        "  time:     \(Human.duration(s.seconds)); peak memory \(Human.bytes(s.peakBytes))\(s.validated ? "" : " (validation skipped)")"
    )
    lines.append("  batches:  \(s.cleanup ?? "kept (pass --cleanup to delete them after a successful merge)")")
    for r in s.results {
        lines.append("  results:  \(s.outputDir)/\(r.file) (\(Human.count(r.rows)) lines)")
    }
    lines.append("  load them in Python:")
    lines.append("    import numpy as np")
    lines.append("    X = np.load('\(s.outputDir)/\(OutputFolderLayout.x(split: "train"))', mmap_mode='r')")
    lines.append(
        "    y = np.load('\(s.outputDir)/\(OutputFolderLayout.labels(split: "train"))')  # one array per label head")
    return lines.joined(separator: "\n")
}
