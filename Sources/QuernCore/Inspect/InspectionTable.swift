import Foundation
import QuernKit

/// The table `quern inspect` prints for people: a summary, the arrays, the files and the first
/// rows. Every name from a file (paths, group keys, source files) is escaped for the terminal.
public enum InspectionTable {
    /// Files listed in the table; `--json` lists them all.
    static let maxFiles = 20
    /// Feature values shown per row; `--json` has them all.
    static let maxFeatures = 6

    public static func render(_ i: Inspection) -> String {
        var out: [String] = []
        let e = { (s: String) in TerminalText.escape(s) }
        let what =
            ["batch": "batch file", "intermediate": "intermediate folder", "output": "output folder"][i.kind.rawValue]
            ?? i.kind.rawValue
        var summary: [(String, String)] = [(what, e(i.path))]
        var rows = Human.count(i.rows)
        if let s = i.splits {
            rows +=
                " ("
                + SplitFunction.names.compactMap { n in s[n].map { "\(n) \(Human.count($0))" } }.joined(separator: ", ")
                + ")"
        }
        summary.append(("rows", rows))
        if i.kind != .output {
            summary.append(
                (
                    "files",
                    "\(i.files.count) batch file\(i.files.count == 1 ? "" : "s")"
                        + (i.inputFiles.map { ", from \(Human.count($0)) input file\($0 == 1 ? "" : "s")" } ?? "")
                ))
        }
        summary.append(("codec", i.codecs.isEmpty ? "-" : i.codecs.map(e).joined(separator: ", ")))
        summary.append(("fingerprint", i.fingerprint.map(e) ?? "-"))
        if let x = i.extractor { summary.append(("extractor", e(x))) }
        summary.append(("checksums", "\(i.checksums.status) (\(i.checksums.checked))"))
        let w = summary.map(\.0.count).max() ?? 0
        out += summary.map { $0.0.padding(toLength: w + 2, withPad: " ", startingAt: 0) + $0.1 }
        out += i.checksums.problems.map { "  problem: \(TerminalText.escape($0))" }

        if !i.arrays.isEmpty {
            out.append("")
            out.append(i.kind == .intermediate ? "arrays (all batches together)" : "arrays")
            let hasFile = i.arrays.contains { $0.file != nil }
            let hasStored = i.arrays.contains { $0.stored != nil }
            out += table(
                ["name", "dtype", "shape"] + (hasFile ? ["file"] : []) + (hasStored ? ["stored as"] : []),
                i.arrays.map {
                    [e($0.name), e($0.dtype), "[" + $0.shape.map(String.init).joined(separator: ", ") + "]"]
                        + (hasFile ? [e($0.file ?? "")] : []) + (hasStored ? [e($0.stored ?? "")] : [])
                })
            if hasStored {
                out.append(
                    "(stored as: packed 8 values to a byte, numpy.packbits(bitorder=\"little\"); quern and "
                        + "quern.read_batch unpack them, np.load shows them packed)")
            }
        }
        if !i.files.isEmpty {
            out.append("")
            out.append("files")
            let shown = i.files.prefix(maxFiles)
            if i.kind == .output {  // output files have no rows or codec of their own
                out += table(
                    ["name", "size", "checksum"], shown.map { [e($0.name), Human.bytes($0.bytes), $0.checksum] })
            } else {
                out += table(
                    ["name", "rows", "size", "codec", "checksum"],
                    shown.map {
                        [
                            e($0.name), $0.rows.map(Human.count) ?? "-", Human.bytes($0.bytes), $0.codec.map(e) ?? "-",
                            $0.checksum,
                        ]
                    })
            }
            if i.files.count > shown.count {
                out.append("  ... \(i.files.count - shown.count) more (--json lists them all)")
            }
        }
        if !i.head.isEmpty {
            out.append("")
            out.append("first rows")
            let withOrigin = i.head.contains { $0.source != nil }
            let withSplit = i.head.contains { $0.split != nil }
            var header = ["row"] + (withSplit ? ["split"] : []) + (withOrigin ? ["source:line", "group"] : [])
            header += ["labels", "masks (ones)", "features"]
            out += table(
                header,
                i.head.map { r in
                    var cells = [String(r.row)] + (withSplit ? [r.split ?? ""] : [])
                    if withOrigin {
                        cells += [e("\(r.source ?? "?"):\(r.line.map(String.init) ?? "?")"), e(r.group ?? "-")]
                    }
                    cells.append(
                        r.labels.sorted { $0.key < $1.key }.map { "\(e($0.key))=\($0.value)" }.joined(separator: " "))
                    cells.append(
                        r.masks.sorted { $0.key < $1.key }.map {
                            "\(e($0.key))=\($0.value.filter { $0 != 0 }.count)/\($0.value.count)"
                        }.joined(separator: " "))
                    let shown = r.features.prefix(maxFeatures).map { String(format: "%.4g", $0) }.joined(separator: " ")
                    cells.append(r.features.count > maxFeatures ? "\(shown) ... (\(r.features.count))" : shown)
                    return cells
                })
        }
        // Row origin (provenance, save.provenance) goes here, after the rows it explains.
        return out.joined(separator: "\n")
    }

    /// Rows of cells in aligned columns, two spaces apart, indented by two.
    static func table(_ header: [String], _ rows: [[String]]) -> [String] {
        let all = [header] + rows
        let widths = header.indices.map { c in all.map { $0[c].count }.max() ?? 0 }
        return all.map { cells in
            "  "
                + cells.enumerated().map { c, v in
                    c == cells.count - 1 ? v : v.padding(toLength: widths[c], withPad: " ", startingAt: 0)
                }.joined(
                    separator: "  ")
        }
    }
}
