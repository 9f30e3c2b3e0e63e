import Foundation
import QuernKit

/// Re-reads an intermediate folder the way a merge would, but reports every problem instead of
/// stopping at the first: each batch file against its journal line (size, CRC-32), its own member
/// CRCs and checksum, its `meta` (batch, part, rows, schema fingerprint) and shapes; batch files no
/// journal records; planned batches that are not complete; and every finding of
/// ``IntermediateAudit`` (a damaged plan or journal, a file in two batches). Batch files that
/// `--cleanup` deleted on purpose are a note, not a problem.
public enum IntermediateVerifier {
    public static func check(_ dir: String, registry: PluginRegistry, into report: inout VerifyReport) {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: dir, isDirectory: &isDir), isDir.boolValue else {
            report.problem(dir, "no intermediate folder here: pass the right --intermediate-dir")
            return
        }
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).sorted()
        // The plan and journal rules are the ones a merge refuses on and an extract repairs.
        let audit: IntermediateAudit
        do {
            audit = try IntermediateAudit.read(dir)
        } catch {
            report.problem(dir, "\(error.verifyReason); run `quern extract --restart` to rebuild the folder")
            return
        }
        for f in audit.findings { report.problem(audit.path(of: f), audit.reason(f)) }
        let plan = audit.plan
        let journal = audit.journal
        let debris = names.filter { $0.hasPrefix(AtomicFile.tempPrefix) }
        if !debris.isEmpty {
            report.notes.append(
                "\(dir): \(debris.count) temporary files of an interrupted write (removed by the next extract)")
        }

        let planned = Set(plan.entries.map(\.batch))
        for k in plan.entries.map(\.batch).sorted() where journal.entries[k] == nil {
            report.problem(
                "\(dir)/\(BatchName(batch: k, part: 0).fileName)",
                "batch \(k) is planned but not complete: run `quern extract` to finish it")
        }
        var listed = Set<String>()
        for e in journal.entries.values { for p in e.parts { listed.insert(p.file) } }
        for name in names where BatchName(fileName: name) != nil && !listed.contains(name) {
            let b = BatchName(fileName: name)!
            report.problem(
                "\(dir)/\(name)",
                planned.contains(b.batch)
                    ? "no journal records this file (an interrupted publish, or an older version): run `quern extract` to settle it"
                    : "not a batch this folder's plan made (a foreign file named like a batch): move it out of the folder"
            )
        }

        var files = 0
        var rows = 0
        var cleaned = 0
        var schema: FeatureSchema? = nil
        for k in journal.entries.keys.sorted() {
            let entry = journal.entries[k]!
            for (p, part) in entry.parts.enumerated() {
                let path = "\(dir)/\(part.file)"
                guard part.file == BatchName(batch: k, part: p).fileName else {
                    report.problem(
                        path, "the journal names it as part \(p) of batch \(k), which is a different file name")
                    continue
                }
                guard FileManager.default.fileExists(atPath: path) else {
                    if audit.cleanup?.covers(part) == true {
                        cleaned += 1
                        continue
                    }
                    report.problem(path, "missing, though the journal lists it: run `quern extract` to redo batch \(k)")
                    continue
                }
                do {
                    let loaded = try BatchFile.load(path: path, expected: .init(bytes: part.bytes, crc32: part.crc32)) {
                        try registry.codec(zipMethod: $0)
                    }
                    let m = loaded.meta
                    var wrong: [String] = []
                    if m.batch != k || m.part != p { wrong.append("its meta says batch \(m.batch) part \(m.part)") }
                    if m.rows != part.rows { wrong.append("it holds \(m.rows) rows, the journal says \(part.rows)") }
                    if m.fingerprint != entry.fingerprint {
                        wrong.append(
                            "its schema fingerprint \(m.fingerprint) differs from the journal's \(entry.fingerprint)")
                    }
                    if let s = schema, s != m.schema { wrong.append("its schema differs from the other batches'") }
                    schema = schema ?? m.schema
                    if wrong.isEmpty {
                        files += 1
                        rows += m.rows
                    } else {
                        report.problem(path, wrong.joined(separator: "; ") + ": run `quern extract --restart`")
                    }
                } catch {
                    report.problem(path, "\(error.verifyReason); `quern extract` redoes it")
                }
            }
        }
        if cleaned > 0, let record = audit.cleanup {
            report.notes.append(
                "\(dir): \(record.sentence(count: cleaned)); on purpose, not damage: `quern extract` makes them again when needed"
            )
        }
        report.checked.append(
            "\(dir): \(files) batch files good (\(Human.count(rows)) rows) of \(journal.entries.values.reduce(0) { $0 + $1.parts.count }) journaled, \(plan.entries.count) batches planned"
        )
    }
}
