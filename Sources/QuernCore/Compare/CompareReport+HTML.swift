import Foundation
import QuernKit

/// `compare_report.html`: one self-contained page (inline CSS and SVG, no scripts, no network
/// assets) for choosing between candidates: what each does to the data (rows, classes per split,
/// feature means, spread and drift) and what it costs (time and memory per stage, output size).
/// Every text from outside (names, paths, the command, errors) goes through ``escape(_:)``; the
/// page is well-formed XML, so a test can parse it.
extension CompareReportWriter {
    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(
            of: ">", with: "&gt;"
        )
        .replacingOccurrences(of: "\"", with: "&quot;").replacingOccurrences(of: "'", with: "&#39;")
    }

    /// A horizontal bar chart as inline SVG.
    static func chart(_ title: String, _ bars: [(String, Double)], unit: String) -> String {
        let width = 600.0
        let left = 170.0
        let row = 26.0
        let height = Double(bars.count) * row + 12
        let top = max(bars.map(\.1).max() ?? 1, 1e-12)
        var svg =
            "<figure><figcaption>\(escape(title))</figcaption>\n<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" width=\"\(Int(width))\" height=\"\(Int(height))\" role=\"img\" aria-label=\"\(escape(title))\">\n"
        for (i, bar) in bars.enumerated() {
            let y = 10 + Double(i) * row
            let w = max(1, (width - left - 90) * bar.1 / top)
            svg += "<text x=\"\(Int(left - 8))\" y=\"\(Int(y + 15))\" text-anchor=\"end\">\(escape(bar.0))</text>"
            svg +=
                "<rect x=\"\(Int(left))\" y=\"\(Int(y))\" width=\"\(String(format: "%.1f", w))\" height=\"\(Int(row - 8))\"/>"
            svg +=
                "<text x=\"\(String(format: "%.1f", left + w + 6))\" y=\"\(Int(y + 15))\">\(escape(String(format: "%.3g", bar.1))) \(escape(unit))</text>\n"
        }
        return svg + "</svg></figure>\n"
    }

    /// A table row; `header` cells are `th`. Cells are escaped here.
    static func row(_ cells: [String], header: Bool = false, classes: [Int: String] = [:]) -> String {
        let tag = header ? "th" : "td"
        return "<tr>"
            + cells.enumerated().map { i, c in
                "<\(tag)\(classes[i].map { " class=\"\($0)\"" } ?? "")>\(escape(c))</\(tag)>"
            }.joined() + "</tr>\n"
    }

    /// A feature value: 4 significant digits, plain notation where it reads well.
    static func value(_ x: Double?) -> String {
        guard let x else { return "" }
        return String(format: "%.4g", x)
    }

    /// A drift figure with its sign.
    static func drift(_ x: Double?) -> String {
        guard let x else { return "" }
        return String(format: "%+.3f", x)
    }

    /// Seconds over the runs: the median, with the fastest and slowest when there were several.
    static func seconds(_ median: Double, runs: [Double]) -> String {
        guard runs.count > 1, let lo = runs.min(), let hi = runs.max() else { return f(median) }
        return "\(f(median)) (\(f(lo))–\(f(hi)))"
    }

    /// The largest |drift| over the features for `split`, with the feature's name.
    static func largestDrift(_ features: [FeatureStats], _ split: String) -> (name: String, d: Double)? {
        features.compactMap { f in f.drift[split].map { (f.name, $0) } }.max { abs($0.1) < abs($1.1) }
    }

    /// The header: version, date, command, batches, runs and the method.
    static func header(_ r: CompareStage.Report) -> String {
        let date = ISO8601DateFormatter.string(
            from: r.date, timeZone: TimeZone(identifier: "UTC")!,
            formatOptions: [.withFullDate, .withTime, .withColonSeparatorInTime, .withSpaceBetweenDateAndTime])
        let n = r.settings.repeats
        let runs =
            n > 1
            ? "\(n) per candidate; times and memory are the median of the \(n) runs, with the fastest and slowest in brackets"
            : "1 per candidate: one measurement each, so no spread is shown (--repeat N runs each N times)"
        var html = "<h1>quern compare</h1>\n<table class=\"meta\" id=\"header\">\n"
        html += row(["quern", r.version], classes: [0: "key"])
        html += row(["date", "\(date) UTC"], classes: [0: "key"])
        html += "<tr><td class=\"key\">command</td><td><code>\(escape(r.settings.command))</code></td></tr>\n"
        html +=
            "<tr><td class=\"key\">batches</td><td>\(r.batches.entries.count) batch file\(r.batches.entries.count == 1 ? "" : "s") in <code>\(escape(r.batches.dir))</code>, \(escape(Human.count(r.batches.totalRows))) rows, schema <code>\(escape(r.batches.fingerprint))</code></td></tr>\n"
        if !r.head.isEmpty { html += row(["label head", r.head], classes: [0: "key"]) }
        html += row(["runs", runs], classes: [0: "key"])
        html +=
            "</table>\n<p class=\"note\">Each strategy runs as a fresh <code>quern merge</code> reading the same batch files the same way, into its own folder; each codec recompresses the same batches, then a fresh <code>quern merge</code> reads them.</p>\n"
        return html
    }

    static func html(_ r: CompareStage.Report) -> String {
        var body = header(r)
        let several = r.settings.repeats > 1
        let ok = r.strategies.filter { $0.analysis != nil && $0.error == nil }
        if !r.strategies.isEmpty {
            body += "<h2 id=\"strategies\">Merge strategies</h2>\n<div class=\"wide\"><table id=\"summary\">\n"
            body += row(
                [
                    "strategy", "status", "train", "val", "test", "dropped", "min/max", "entropy", "duplicates",
                    several ? "time s, median (range)" : "time s",
                    "peak MiB", "output MiB", "largest drift", "checksum",
                ], header: true)
            for s in r.strategies {
                guard let a = s.analysis, s.error == nil else {
                    body +=
                        "<tr><td>\(escape(s.candidate))</td><td class=\"failed\" colspan=\"13\">\(escape("failed: \(s.error ?? "no outputs")"))</td></tr>\n"
                    continue
                }
                let largest = ["val", "test"].compactMap { split in
                    largestDrift(a.features, split).map { (split, $0.name, $0.d) }
                }.max {
                    abs($0.2) < abs($1.2)
                }
                body += row([
                    s.candidate, "ok", Human.count(a.rows["train"] ?? 0), Human.count(a.rows["val"] ?? 0),
                    Human.count(a.rows["test"] ?? 0),
                    Human.count(a.dropped.values.reduce(0, +)), f(a.minMaxRatio, 3), f(a.entropy, 3),
                    Human.count(a.duplicatesRemaining),
                    seconds(s.seconds, runs: s.runs), mib(s.peakBytes), mib(a.outputBytes),
                    largest.map { "\(drift($0.2)) \($0.1) (\($0.0))" } ?? "", a.checksum,
                ])
            }
            body +=
                "</table></div>\n<p class=\"note\">min/max: smallest over largest class count of <code>\(escape(r.head))</code>; entropy: of the class distribution, over its maximum (1 = even). Largest drift: the feature whose mean moved most from train, and in which split (see Features below).</p>\n"
            body += chart(
                several ? "Wall time, median of \(r.settings.repeats) runs (s)" : "Wall time (s)",
                ok.map { ($0.candidate, $0.seconds) }, unit: "s")
            body += chart(
                several ? "Peak memory, median of \(r.settings.repeats) runs (MiB)" : "Peak memory (MiB)",
                ok.map { ($0.candidate, Double($0.peakBytes) / 1_048_576) }, unit: "MiB")
            body += chart(
                "Output size (MiB)", ok.map { ($0.candidate, Double($0.analysis!.outputBytes) / 1_048_576) },
                unit: "MiB")
            body += chart(
                "Class balance of '\(r.head)': smallest / largest class",
                ok.map { ($0.candidate, $0.analysis!.minMaxRatio) }, unit: "")
            body += classTable(r, ok)
            body += featureSection(ok)
            body += stageTable(ok, several: several)
        }
        body += codecSection(r, several: several)
        return """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"/><title>quern compare</title>
            <style>\(style)</style>
            </head><body>
            \(body)</body></html>

            """
    }

    static let style = """
        body{font:14px system-ui,sans-serif;margin:2em;max-width:110em;color:#222}h1{margin-bottom:.3em}h2{margin-top:1.6em;border-bottom:1px solid #ddd}\
        table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:2px 6px;text-align:right;white-space:nowrap}\
        th{background:#f3f5f8;white-space:normal}td:first-child,th:first-child{text-align:left}table.meta td{text-align:left;white-space:normal}table.meta td.key{font-weight:600}\
        .wide{overflow-x:auto}.note{color:#555;max-width:60em}.failed{color:#a00;text-align:left}td.drift{background:#fde8d8}\
        figure{margin:1.2em 0;display:inline-block;vertical-align:top;margin-right:1.5em}figcaption{font-weight:600}\
        svg.chart rect{fill:#4a7ab5}svg.chart text{font-size:12px}details{margin:.4em 0}summary{cursor:pointer;font-weight:600}code{font-size:13px}
        """

    /// Class counts per split: one row per class of the batches, three columns per candidate.
    static func classTable(_ r: CompareStage.Report, _ ok: [CompareStage.StrategyResult]) -> String {
        guard !r.head.isEmpty, !ok.isEmpty else { return "" }
        let splits = SplitFunction.names
        let classes = r.inputClasses.indices.filter { k in
            r.inputClasses[k] > 0 || ok.contains { ($0.analysis?.classCounts[safe: k] ?? 0) > 0 }
        }
        // A long list is folded, so the sections after it stay in reach.
        var html =
            "<h2 id=\"classes\">Class counts per split</h2>\n<p class=\"note\">Rows of each class of <code>\(escape(r.head))</code> in each split's outputs; \"batches\" counts them in the batch files, before any strategy.</p>\n"
        html +=
            "<details\(classes.count <= 20 ? " open=\"open\"" : "")><summary>\(classes.count) classes</summary>\n<div class=\"wide\"><table id=\"class-counts\">\n"
        html +=
            "<tr><th rowspan=\"2\">class</th><th rowspan=\"2\">batches</th>"
            + ok.map { "<th colspan=\"3\">\(escape($0.candidate))</th>" }.joined() + "</tr>\n"
        html += "<tr>" + ok.map { _ in splits.map { "<th>\($0)</th>" }.joined() }.joined() + "</tr>\n"
        for k in classes {
            var cells = [String(k), String(r.inputClasses[k])]
            for s in ok {
                for split in splits { cells.append(String(s.analysis?.classCountsPerSplit[split]?[safe: k] ?? 0)) }
            }
            html += row(cells)
        }
        return html + "</table></div></details>\n"
    }

    /// Feature means and spreads per split, and drift from train: a summary per candidate, then
    /// each candidate's full table (folded).
    static func featureSection(_ ok: [CompareStage.StrategyResult]) -> String {
        guard ok.contains(where: { !($0.analysis?.features.isEmpty ?? true) }) else { return "" }
        var html =
            "<h2 id=\"features\">Features: mean and spread per split, drift from train</h2>\n<p class=\"note\">Means and standard deviations are on the scale of the input (the normalization fitted on train is undone), so candidates compare directly. \(escape(FeatureStats.driftDefinition)) Cells with |d| ≥ 0.1 are shaded.</p>\n"
        html +=
            "<table id=\"drift\">\n"
            + row(
                [
                    "strategy", "features", "mean |d| val", "largest |d| val", "mean |d| test", "largest |d| test",
                    "features with |d| ≥ 0.1",
                ], header: true)
        for s in ok {
            let features = s.analysis?.features ?? []
            func meanAbs(_ split: String) -> String {
                let ds = features.compactMap { $0.drift[split] }.map(abs)
                return ds.isEmpty ? "" : f(ds.reduce(0, +) / Double(ds.count), 3)
            }
            let big = features.filter { f in f.drift.values.contains { abs($0) >= 0.1 } }.count
            html += row([
                s.candidate, String(features.count), meanAbs("val"),
                largestDrift(features, "val").map { "\(drift($0.d)) (\($0.name))" } ?? "",
                meanAbs("test"), largestDrift(features, "test").map { "\(drift($0.d)) (\($0.name))" } ?? "",
                String(big),
            ])
        }
        html += "</table>\n"
        for (i, s) in ok.enumerated() {
            let features = s.analysis?.features ?? []
            html +=
                "<details><summary>\(escape(s.candidate)): \(features.count) features</summary>\n<table id=\"features-\(i)\" data-candidate=\"\(escape(s.candidate))\">\n"
            html += row(
                [
                    "feature", "train mean", "train sd", "val mean", "val sd", "test mean", "test sd", "drift val",
                    "drift test",
                ], header: true)
            for f in features {
                let shaded = [7: "val", 8: "test"].compactMapValues { abs(f.drift[$0] ?? 0) >= 0.1 ? "drift" : nil }
                html += row(
                    [
                        f.name, value(f.mean["train"]), value(f.std["train"]), value(f.mean["val"]),
                        value(f.std["val"]), value(f.mean["test"]),
                        value(f.std["test"]),
                        drift(f.drift["val"]), drift(f.drift["test"]),
                    ], classes: shaded)
            }
            html += "</table></details>\n"
        }
        return html
    }

    /// Seconds and peak memory of each stage of each candidate's merge.
    static func stageTable(_ ok: [CompareStage.StrategyResult], several: Bool) -> String {
        let stages = ok.flatMap { $0.stages.map(\.stage) }.reduce(into: [String]()) {
            if !$0.contains($1) { $0.append($1) }
        }
        guard !stages.isEmpty else { return "" }
        var html =
            "<h2 id=\"time-memory\">Time and peak memory per stage</h2>\n<p class=\"note\">From each run's <code>\(RunLog.summaryFile)</code> (in the compare folder's <code>logs/</code>)\(several ? "; seconds are the median, with the fastest and slowest run in brackets, and memory is the largest peak of the runs" : ""). Whole run: the wall time of the <code>quern merge</code> process and its peak memory.</p>\n<div class=\"wide\"><table id=\"stages\">\n"
        html +=
            "<tr><th rowspan=\"2\">strategy</th>"
            + (stages + ["whole run"]).map { "<th colspan=\"2\">\(escape($0))</th>" }.joined() + "</tr>\n"
        html += "<tr>" + (stages + ["whole run"]).map { _ in "<th>s</th><th>MiB</th>" }.joined() + "</tr>\n"
        for s in ok {
            var cells = [s.candidate]
            for stage in stages {
                if let t = s.stages.first(where: { $0.stage == stage }) {
                    cells += [seconds(t.seconds, runs: t.runs), mib(t.peakBytes)]
                } else {
                    cells += ["", ""]
                }
            }
            cells += [seconds(s.seconds, runs: s.runs), mib(s.peakBytes)]
            html += row(cells)
        }
        return html + "</table></div>\n"
    }

    static func codecSection(_ r: CompareStage.Report, several: Bool) -> String {
        guard !r.codecs.isEmpty else { return "" }
        let codecs = r.codecs.filter { $0.error == nil }
        var html =
            "<h2 id=\"codec-section\">Codecs</h2>\n<table id=\"codecs\">\n"
            + row(["codec", "status", "MiB", "ratio", "compress MB/s", "decompress MB/s", "merge s"], header: true)
        for c in r.codecs {
            if let e = c.error {
                html +=
                    "<tr><td>\(escape(c.codec))</td><td class=\"failed\" colspan=\"6\">\(escape("failed: \(e)"))</td></tr>\n"
                continue
            }
            html += row([
                c.codec, "ok", mib(c.compressedBytes),
                f(Double(c.uncompressedBytes) / Double(max(c.compressedBytes, 1))), f(c.compressMBps, 0),
                f(c.decompressMBps, 0), f(c.mergeSeconds),
            ])
        }
        html += "</table>\n"
        if several {
            html += "<p class=\"note\">Speeds and merge times are the median of \(r.settings.repeats) runs.</p>\n"
        }
        html += chart(
            "Compressed size (MiB)", codecs.map { ($0.codec, Double($0.compressedBytes) / 1_048_576) }, unit: "MiB")
        html += chart("Compression (MB/s)", codecs.map { ($0.codec, $0.compressMBps) }, unit: "MB/s")
        html += chart("Decompression (MB/s)", codecs.map { ($0.codec, $0.decompressMBps) }, unit: "MB/s")
        html += chart("Merge time reading them (s)", codecs.map { ($0.codec, $0.mergeSeconds) }, unit: "s")
        return html
    }
}

extension Array {
    /// The element at `i`, or nil past the end (class lists of different lengths).
    fileprivate subscript(safe i: Int) -> Element? { indices.contains(i) ? self[i] : nil }
}
