import Foundation

/// Renders a compare report: a table for the terminal, `compare_report.json` (one record per
/// candidate, with the configuration that produced it), `compare_report.md`, and
/// `compare_report.html` (one self-contained page, inline SVG bar charts, no network assets).
public enum CompareReportWriter {
    static let method =
        "Each strategy runs as a fresh `quern merge` process reading the same batch files the same way, into its own folder; each codec recompresses the same batches in this process, then a fresh `quern merge` reads them."

    /// What the times and memory figures are: "median" only when there were several runs.
    static func runsNote(_ r: CompareStage.Report) -> String {
        r.settings.repeats > 1
            ? "Times and peak memory are the median of \(r.settings.repeats) runs."
            : "Each candidate ran once (no spread; --repeat N runs each N times)."
    }

    public static func writeAll(_ r: CompareStage.Report) throws -> [String] {
        let dir = r.settings.compareDir
        let files = ["compare_report.json": json(r), "compare_report.md": markdown(r), "compare_report.html": html(r)]
        for (name, text) in files { try AtomicFile.write(text, to: "\(dir)/\(name)") }
        return files.keys.sorted().map { "\(dir)/\($0)" }
    }

    static func mib(_ b: Int) -> String { String(format: "%.1f", Double(b) / 1_048_576) }
    static func f(_ x: Double, _ digits: Int = 2) -> String { String(format: "%.\(digits)f", x) }

    // MARK: terminal

    public static func table(_ r: CompareStage.Report) -> String {
        let runs = r.settings.repeats > 1 ? "median of \(r.settings.repeats) runs" : "one run each"
        var lines = [
            "compared on \(r.batches.entries.count) batch files (\(Human.count(r.batches.totalRows)) rows, schema \(r.batches.fingerprint)), \(runs)"
        ]
        if !r.strategies.isEmpty {
            lines.append(
                pad([
                    "strategy", "train", "val", "test", "dropped", "min/max", "entropy", "dups", "time s", "peak MiB",
                    "out MiB", "checksum",
                ]))
            for s in r.strategies {
                if let e = s.error {
                    lines.append(pad([s.candidate, "FAILED: \(e)"]))
                    continue
                }
                guard let a = s.analysis else { continue }
                lines.append(
                    pad([
                        s.candidate, Human.count(a.rows["train"] ?? 0), Human.count(a.rows["val"] ?? 0),
                        Human.count(a.rows["test"] ?? 0),
                        Human.count(a.dropped.values.reduce(0, +)), f(a.minMaxRatio, 3), f(a.entropy, 3),
                        Human.count(a.duplicatesRemaining),
                        f(s.seconds), mib(s.peakBytes), mib(a.outputBytes), a.checksum,
                    ]))
            }
        }
        if !r.codecs.isEmpty {
            lines.append("")
            lines.append(pad(["codec", "MiB", "ratio", "comp MB/s", "decomp MB/s", "merge s"]))
            for c in r.codecs {
                if let e = c.error {
                    lines.append(pad([c.codec, "FAILED: \(e)"]))
                    continue
                }
                lines.append(
                    pad([
                        c.codec, mib(c.compressedBytes),
                        f(Double(c.uncompressedBytes) / Double(max(c.compressedBytes, 1))),
                        f(c.compressMBps, 0), f(c.decompressMBps, 0), f(c.mergeSeconds),
                    ]))
            }
        }
        return lines.joined(separator: "\n")
    }

    static func pad(_ cells: [String]) -> String {
        cells.enumerated().map { i, c in
            i == 0
                ? c.padding(toLength: max(18, c.count), withPad: " ", startingAt: 0)
                : c.count >= 10 ? " " + c : String(repeating: " ", count: 10 - c.count) + c
        }.joined()
    }

    // MARK: JSON

    static func json(_ r: CompareStage.Report) -> String {
        let strategies: [[String: Any]] = r.strategies.map { s in
            var o: [String: Any] = [
                "candidate": s.candidate, "kind": "merge_strategy", "status": s.error == nil ? "ok" : "failed",
                "output_dir": s.folder,
                "configuration": [
                    "merge_strategy": s.candidate, "intermediate_dir": r.settings.intermediateDir,
                    "merge_arguments": r.settings.mergeArguments,
                    "label_head": r.head,
                ] as [String: Any],
            ]
            if let e = s.error { o["error"] = e }
            if let a = s.analysis {
                o["rows"] = a.rows
                o["dropped"] = a.dropped
                o["class_counts"] = a.classCounts
                o["class_counts_per_split"] = a.classCountsPerSplit
                o["features"] = a.features.map {
                    ["name": $0.name, "mean": $0.mean, "std": $0.std, "drift": $0.drift] as [String: Any]
                }
                o["stages"] = Dictionary(
                    uniqueKeysWithValues: s.stages.map {
                        (
                            $0.stage,
                            ["seconds": $0.seconds, "seconds_runs": $0.runs, "peak_rss_bytes": $0.peakBytes]
                                as [String: Any]
                        )
                    })
                o["peak_rss_bytes_runs"] = s.runPeaks
                o["balance"] = ["min_max_ratio": a.minMaxRatio, "entropy": a.entropy]
                o["duplicates_remaining"] = a.duplicatesRemaining
                o["wall_seconds"] = s.seconds
                o["wall_seconds_runs"] = s.runs
                o["peak_rss_bytes"] = s.peakBytes
                o["output_bytes"] = a.outputBytes
                o["checksum"] = a.checksum
            }
            return o
        }
        let codecs: [[String: Any]] = r.codecs.map { c in
            var o: [String: Any] = [
                "candidate": c.codec, "kind": "codec", "status": c.error == nil ? "ok" : "failed",
                "configuration": [
                    "codec": c.codec, "intermediate_dir": r.settings.intermediateDir,
                    "merge_strategy": r.settings.codecMergeStrategy,
                ]
                    as [String: Any],
            ]
            if let e = c.error {
                o["error"] = e
            } else {
                o["uncompressed_bytes"] = c.uncompressedBytes
                o["compressed_bytes"] = c.compressedBytes
                o["ratio"] = Double(c.uncompressedBytes) / Double(max(c.compressedBytes, 1))
                o["compress_mb_per_s"] = c.compressMBps
                o["decompress_mb_per_s"] = c.decompressMBps
                o["merge_seconds"] = c.mergeSeconds
            }
            return o
        }
        let object: [String: Any] = [
            "batches": [
                "folder": r.batches.dir, "count": r.batches.entries.count, "rows": r.batches.totalRows,
                "bytes": r.batches.totalBytes,
                "fingerprint": r.batches.fingerprint,
            ],
            "repeat": r.settings.repeats, "method": method + " " + runsNote(r), "label_head": r.head,
            "input_class_counts": r.inputClasses,
            "quern_version": r.version, "date": ISO8601DateFormatter().string(from: r.date),
            "command": r.settings.command,
            "drift_definition": FeatureStats.driftDefinition,
            "candidates": strategies + codecs,
        ]
        let data =
            (try? JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys]))
            ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self) + "\n"
    }

    // MARK: Markdown

    static func markdown(_ r: CompareStage.Report) -> String {
        var md =
            "# quern compare\n\nquern \(r.version), \(ISO8601DateFormatter().string(from: r.date)): `\(r.settings.command.replacingOccurrences(of: "`", with: "'"))`\n\n"
        md +=
            "Batches: \(r.batches.entries.count) files in `\(r.batches.dir)`, \(r.batches.totalRows) rows, schema `\(r.batches.fingerprint)`.\n\n\(method) \(runsNote(r))\n"
        if !r.strategies.isEmpty {
            md +=
                "\n## Merge strategies (label head `\(r.head)`)\n\n| strategy | train | val | test | dropped | min/max | entropy | duplicates | time s | peak MiB | output MiB | checksum |\n|---|---|---|---|---|---|---|---|---|---|---|---|\n"
            for s in r.strategies {
                if let e = s.error {
                    md += "| \(s.candidate) | failed: \(e.replacingOccurrences(of: "|", with: "/")) |||||||||||\n"
                    continue
                }
                guard let a = s.analysis else { continue }
                md +=
                    "| \(s.candidate) | \(a.rows["train"] ?? 0) | \(a.rows["val"] ?? 0) | \(a.rows["test"] ?? 0) | \(a.dropped.values.reduce(0, +)) | \(f(a.minMaxRatio, 3)) | \(f(a.entropy, 3)) | \(a.duplicatesRemaining) | \(f(s.seconds)) | \(mib(s.peakBytes)) | \(mib(a.outputBytes)) | `\(a.checksum)` |\n"
            }
        }
        if !r.codecs.isEmpty {
            md +=
                "\n## Codecs\n\n| codec | MiB | ratio | compress MB/s | decompress MB/s | merge s |\n|---|---|---|---|---|---|\n"
            for c in r.codecs {
                if let e = c.error {
                    md += "| \(c.codec) | failed: \(e.replacingOccurrences(of: "|", with: "/")) |||||\n"
                    continue
                }
                md +=
                    "| \(c.codec) | \(mib(c.compressedBytes)) | \(f(Double(c.uncompressedBytes) / Double(max(c.compressedBytes, 1)))) | \(f(c.compressMBps, 0)) | \(f(c.decompressMBps, 0)) | \(f(c.mergeSeconds)) |\n"
            }
        }
        return md
    }
}
