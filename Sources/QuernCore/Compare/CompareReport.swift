public import Foundation

/// Renders a compare report: a table for the terminal, `compare_report.json` (one record per
/// candidate, with the configuration that produced it), `compare_report.md`, and
/// `compare_report.html` (one self-contained page, inline SVG bar charts, no network assets).
public enum CompareReportWriter {
    static let method = "Each strategy runs as a fresh `quern merge` process reading the same batch files the same way, into its own folder; each codec recompresses the same batches in this process, then a fresh `quern merge` reads them. Times and peak memory are the median of the repeated runs."

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
        var lines = ["compared on \(r.batches.entries.count) batch files (\(Human.count(r.batches.totalRows)) rows, schema \(r.batches.fingerprint)), median of \(r.settings.repeats) run\(r.settings.repeats == 1 ? "" : "s")"]
        if !r.strategies.isEmpty {
            lines.append(pad(["strategy", "train", "val", "test", "dropped", "min/max", "entropy", "dups", "time s", "peak MiB", "out MiB", "checksum"]))
            for s in r.strategies {
                if let e = s.error { lines.append(pad([s.candidate, "FAILED: \(e)"])); continue }
                guard let a = s.analysis else { continue }
                lines.append(pad([s.candidate, Human.count(a.rows["train"] ?? 0), Human.count(a.rows["val"] ?? 0), Human.count(a.rows["test"] ?? 0),
                    Human.count(a.dropped.values.reduce(0, +)), f(a.minMaxRatio, 3), f(a.entropy, 3), Human.count(a.duplicatesRemaining),
                    f(s.seconds), mib(s.peakBytes), mib(a.outputBytes), a.checksum]))
            }
        }
        if !r.codecs.isEmpty {
            lines.append("")
            lines.append(pad(["codec", "MiB", "ratio", "comp MB/s", "decomp MB/s", "merge s"]))
            for c in r.codecs {
                if let e = c.error { lines.append(pad([c.codec, "FAILED: \(e)"])); continue }
                lines.append(pad([c.codec, mib(c.compressedBytes), f(Double(c.uncompressedBytes) / Double(max(c.compressedBytes, 1))),
                    f(c.compressMBps, 0), f(c.decompressMBps, 0), f(c.mergeSeconds)]))
            }
        }
        return lines.joined(separator: "\n")
    }

    static func pad(_ cells: [String]) -> String {
        cells.enumerated().map { i, c in i == 0 ? c.padding(toLength: max(18, c.count), withPad: " ", startingAt: 0) : c.count >= 10 ? " " + c : String(repeating: " ", count: 10 - c.count) + c }.joined()
    }

    // MARK: JSON

    static func json(_ r: CompareStage.Report) -> String {
        let strategies: [[String: Any]] = r.strategies.map { s in
            var o: [String: Any] = [
                "candidate": s.candidate, "kind": "merge_strategy", "status": s.error == nil ? "ok" : "failed", "output_dir": s.folder,
                "configuration": ["merge_strategy": s.candidate, "intermediate_dir": r.settings.intermediateDir, "merge_arguments": r.settings.mergeArguments, "label_head": r.head] as [String: Any],
            ]
            if let e = s.error { o["error"] = e }
            if let a = s.analysis {
                o["rows"] = a.rows
                o["dropped"] = a.dropped
                o["class_counts"] = a.classCounts
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
                "configuration": ["codec": c.codec, "intermediate_dir": r.settings.intermediateDir, "merge_strategy": r.settings.codecMergeStrategy] as [String: Any],
            ]
            if let e = c.error { o["error"] = e } else {
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
            "batches": ["folder": r.batches.dir, "count": r.batches.entries.count, "rows": r.batches.totalRows, "bytes": r.batches.totalBytes, "fingerprint": r.batches.fingerprint],
            "repeat": r.settings.repeats, "method": method, "label_head": r.head, "input_class_counts": r.inputClasses,
            "candidates": strategies + codecs,
        ]
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self) + "\n"
    }

    // MARK: Markdown

    static func markdown(_ r: CompareStage.Report) -> String {
        var md = "# quern compare\n\nBatches: \(r.batches.entries.count) files in `\(r.batches.dir)`, \(r.batches.totalRows) rows, schema `\(r.batches.fingerprint)`.\n\n\(method) Runs: \(r.settings.repeats).\n"
        if !r.strategies.isEmpty {
            md += "\n## Merge strategies (label head `\(r.head)`)\n\n| strategy | train | val | test | dropped | min/max | entropy | duplicates | time s | peak MiB | output MiB | checksum |\n|---|---|---|---|---|---|---|---|---|---|---|---|\n"
            for s in r.strategies {
                if let e = s.error { md += "| \(s.candidate) | failed: \(e.replacingOccurrences(of: "|", with: "/")) |||||||||||\n"; continue }
                guard let a = s.analysis else { continue }
                md += "| \(s.candidate) | \(a.rows["train"] ?? 0) | \(a.rows["val"] ?? 0) | \(a.rows["test"] ?? 0) | \(a.dropped.values.reduce(0, +)) | \(f(a.minMaxRatio, 3)) | \(f(a.entropy, 3)) | \(a.duplicatesRemaining) | \(f(s.seconds)) | \(mib(s.peakBytes)) | \(mib(a.outputBytes)) | `\(a.checksum)` |\n"
            }
        }
        if !r.codecs.isEmpty {
            md += "\n## Codecs\n\n| codec | MiB | ratio | compress MB/s | decompress MB/s | merge s |\n|---|---|---|---|---|---|\n"
            for c in r.codecs {
                if let e = c.error { md += "| \(c.codec) | failed: \(e.replacingOccurrences(of: "|", with: "/")) |||||\n"; continue }
                md += "| \(c.codec) | \(mib(c.compressedBytes)) | \(f(Double(c.uncompressedBytes) / Double(max(c.compressedBytes, 1)))) | \(f(c.compressMBps, 0)) | \(f(c.decompressMBps, 0)) | \(f(c.mergeSeconds)) |\n"
            }
        }
        return md
    }

    // MARK: HTML

    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
            .replacingOccurrences(of: "\"", with: "&quot;").replacingOccurrences(of: "'", with: "&#39;")
    }

    /// A horizontal bar chart as inline SVG.
    static func chart(_ title: String, _ bars: [(String, Double)], unit: String) -> String {
        let width = 640.0, left = 190.0, row = 26.0
        let height = Double(bars.count) * row + 12
        let top = max(bars.map(\.1).max() ?? 1, 1e-12)
        var svg = "<figure><figcaption>\(escape(title))</figcaption>\n<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" width=\"\(Int(width))\" height=\"\(Int(height))\" role=\"img\" aria-label=\"\(escape(title))\">\n"
        for (i, bar) in bars.enumerated() {
            let y = 10 + Double(i) * row
            let w = max(1, (width - left - 90) * bar.1 / top)
            svg += "<text x=\"\(Int(left - 8))\" y=\"\(Int(y + 15))\" text-anchor=\"end\">\(escape(bar.0))</text>"
            svg += "<rect x=\"\(Int(left))\" y=\"\(Int(y))\" width=\"\(String(format: "%.1f", w))\" height=\"\(Int(row - 8))\"/>"
            svg += "<text x=\"\(String(format: "%.1f", left + w + 6))\" y=\"\(Int(y + 15))\">\(escape(String(format: "%.3g", bar.1))) \(escape(unit))</text>\n"
        }
        return svg + "</svg></figure>\n"
    }

    static func html(_ r: CompareStage.Report) -> String {
        var body = "<h1>quern compare</h1>\n<p>\(r.batches.entries.count) batch files in <code>\(escape(r.batches.dir))</code>, \(r.batches.totalRows) rows, schema <code>\(escape(r.batches.fingerprint))</code>. \(escape(method.replacingOccurrences(of: "`", with: ""))) Runs: \(r.settings.repeats).</p>\n"
        let ok = r.strategies.filter { $0.analysis != nil && $0.error == nil }
        if !r.strategies.isEmpty {
            body += "<h2>Merge strategies</h2>\n<table><tr><th>strategy</th><th>status</th><th>train</th><th>val</th><th>test</th><th>dropped</th><th>duplicates</th><th>checksum</th></tr>\n"
            for s in r.strategies {
                let a = s.analysis
                body += "<tr><td>\(escape(s.candidate))</td><td>\(escape(s.error.map { "failed: \($0)" } ?? "ok"))</td><td>\(a?.rows["train"] ?? 0)</td><td>\(a?.rows["val"] ?? 0)</td><td>\(a?.rows["test"] ?? 0)</td><td>\(a?.dropped.values.reduce(0, +) ?? 0)</td><td>\(a?.duplicatesRemaining ?? 0)</td><td><code>\(escape(a?.checksum ?? ""))</code></td></tr>\n"
            }
            body += "</table>\n"
            body += chart("Wall time, median (s)", ok.map { ($0.candidate, $0.seconds) }, unit: "s")
            body += chart("Peak memory (MiB)", ok.map { ($0.candidate, Double($0.peakBytes) / 1_048_576) }, unit: "MiB")
            body += chart("Output size (MiB)", ok.map { ($0.candidate, Double($0.analysis!.outputBytes) / 1_048_576) }, unit: "MiB")
            body += chart("Class balance of '\(r.head)': smallest / largest class", ok.map { ($0.candidate, $0.analysis!.minMaxRatio) }, unit: "")
        }
        let codecs = r.codecs.filter { $0.error == nil }
        if !r.codecs.isEmpty {
            body += "<h2>Codecs</h2>\n<table><tr><th>codec</th><th>status</th><th>MiB</th><th>ratio</th></tr>\n"
            for c in r.codecs {
                body += "<tr><td>\(escape(c.codec))</td><td>\(escape(c.error.map { "failed: \($0)" } ?? "ok"))</td><td>\(mib(c.compressedBytes))</td><td>\(f(Double(c.uncompressedBytes) / Double(max(c.compressedBytes, 1))))</td></tr>\n"
            }
            body += "</table>\n"
            body += chart("Compressed size (MiB)", codecs.map { ($0.codec, Double($0.compressedBytes) / 1_048_576) }, unit: "MiB")
            body += chart("Compression (MB/s)", codecs.map { ($0.codec, $0.compressMBps) }, unit: "MB/s")
            body += chart("Decompression (MB/s)", codecs.map { ($0.codec, $0.decompressMBps) }, unit: "MB/s")
            body += chart("Merge time reading them (s)", codecs.map { ($0.codec, $0.mergeSeconds) }, unit: "s")
        }
        return """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"/><title>quern compare</title>
            <style>body{font:14px system-ui,sans-serif;margin:2em;max-width:60em}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:2px 8px;text-align:right}td:first-child,th:first-child{text-align:left}figure{margin:1.5em 0}figcaption{font-weight:600}svg.chart rect{fill:#4a7ab5}svg.chart text{font-size:12px}</style>
            </head><body>
            \(body)</body></html>

            """
    }
}
