import Foundation
import SystemPackage

/// The extract's side of ``IntermediateAudit``: what `quern verify` reports and `quern merge`
/// refuses, an extract repairs before it plans anything, so a damaged plan or journal never turns
/// into batches made twice.
extension ExtractStage {
    /// Rewrites this shard's journals without their damaged lines (the batches such a line
    /// recorded are then redone as incomplete). An unsharded extract owns every journal: no shard
    /// of another count may work in the folder at the same time (see `lockShard`).
    func repairJournals(_ audit: IntermediateAudit, stamp: String) throws {
        for (name, lines) in audit.journal.damagedLines.sorted(by: { $0.key < $1.key }) {
            guard settings.shard.count == 1 || name == settings.shard.journalName else { continue }
            let path = "\(audit.dir)/\(name)"
            let decoder = JSONDecoder()
            let kept = try JSONLines.read(path).filter { (try? decoder.decode(JournalEntry.self, from: $0)) != nil }
            let text = kept.map { String(decoding: $0, as: UTF8.self) + "\n" }.joined()
            try Superseded.copyAside(path, in: audit.dir, subfolder: "repair-\(stamp)")
            try AtomicFile.write(text, to: path)
            let which =
                lines.count == 1 ? "line \(lines[0]) is" : "lines \(lines.map(String.init).joined(separator: ", ")) are"
            console.warning(
                "\(path): \(which) not a journal entry; rewritten without \(lines.count == 1 ? "it" : "them") (the old journal is in \(audit.dir)/\(Superseded.folder)/repair-\(stamp)/)."
            )
        }
    }

    /// The plan, repaired from the journal when it is missing, damaged, lacks a journaled batch or
    /// lists a file twice; written back (the old one kept in superseded/) only when it changed.
    /// Without a usable header the current one is used: journaled batches of another schema are
    /// then redone, as ``isStillValid`` sees their fingerprint.
    func repairedPlan(_ audit: IntermediateAudit, header current: Plan.Header, stamp: String) throws -> Plan {
        guard audit.planNeedsRebuild else { return audit.plan }
        let path = "\(audit.dir)/\(Plan.fileName)"
        let plan = audit.rebuiltPlan(header: audit.plan.header ?? current)
        let before = FileManager.default.contents(atPath: path).map { String(decoding: $0, as: UTF8.self) }
        guard before != plan.text else { return plan }
        let reasons = audit.findings.filter {
            switch $0 {
            case .planMissing, .planLineDamaged, .batchNotPlanned, .fileInSeveralBatches: true
            default: false
            }
        }.prefix(3).map { audit.reason($0).split(separator: ":").first.map(String.init) ?? "" }
        var kept = ""
        if audit.plan.exists {
            try Superseded.copyAside(path, in: audit.dir, subfolder: "repair-\(stamp)")
            kept = " (the old plan is in \(audit.dir)/\(Superseded.folder)/repair-\(stamp)/)"
        }
        try AtomicFile.write(plan.text, to: path)
        console.warning(
            "\(path): \(reasons.joined(separator: "; ")); rebuilt from the journal\(kept), so no input file is in two batches."
        )
        return plan
    }

    /// `--max-files N` must hold: when the plan already holds input files beyond the first N (an
    /// earlier, bigger run), the merge would take them all, so the extract refuses (and pre-flight
    /// says the same, so `--dry-run` and the run agree).
    public static func checkMaxFiles(_ plan: Plan, listing: [InputFile], maxFiles: Int, dir: String) throws {
        guard maxFiles > 0 else { return }
        let chosen = Set(listing.prefix(maxFiles).map(\.name))
        let present = Set(listing.map(\.name))
        let planned = plan.plannedFiles
        let beyond = planned.filter { present.contains($0) && !chosen.contains($0) }.sorted()
        guard let example = beyond.first else { return }
        throw ExtractError.maxFilesBelowPlan(dir: dir, planned: planned.count, maxFiles: maxFiles, example: example)
    }
}

extension Superseded {
    /// Copies `path` into superseded/ (the original stays until it is replaced atomically).
    static func copyAside(_ path: String, in dir: String, subfolder: String) throws {
        let target = "\(dir)/\(folder)/\(subfolder)"
        try FileManager.default.createDirectory(atPath: target, withIntermediateDirectories: true)
        guard let data = FileManager.default.contents(atPath: path) else { return }
        let name = FilePath(path).lastComponent?.string ?? "file"
        var dest = "\(target)/\(name)"
        var k = 1
        while FileManager.default.fileExists(atPath: dest) {
            dest = "\(target)/\(name).\(k)"
            k += 1
        }
        try AtomicFile.write([UInt8](data), to: dest)
    }
}
