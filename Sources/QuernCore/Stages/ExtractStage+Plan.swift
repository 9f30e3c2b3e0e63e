import Foundation
import QuernKit

/// The plan of an extract and what it keeps of earlier runs: the plan repaired and extended with
/// the new input files, each journaled batch checked before it is kept, and `--restart` moving
/// everything aside.
extension ExtractStage {
    /// Repairs the plan and this shard's journals (see ``IntermediateAudit``), checks that the
    /// plan fits this configuration and `--max-files`, then plans the new candidates.
    func updatePlan(
        dir: String, listing: [InputFile], candidates: [InputFile], extractor: any Extractor, schema: FeatureSchema,
        fingerprint: SchemaFingerprint
    ) throws -> (Plan, CleanupRecord?) {
        let planLock = try FolderLock(folder: dir, name: IntermediateFolderLayout.planLock, blocking: true)
        defer { withExtendedLifetime(planLock) {} }
        let stamp = ISO8601DateFormatter().string(from: Date()).replacingOccurrences(of: ":", with: "")
        var audit = try IntermediateAudit.read(dir)
        if !audit.journal.damagedLines.isEmpty {
            try repairJournals(audit, stamp: stamp)
            audit = try IntermediateAudit.read(dir)
        }
        let current = Plan.Header(
            fingerprint: fingerprint.value, extractor: extractor.name, features: schema.features.count,
            options: extractor.optionsText)
        if let header = audit.plan.header, header.fingerprint != fingerprint.value {
            throw ExtractError.schemaChanged(
                dir: dir, old: header.fingerprint, new: fingerprint.value, oldFeatures: header.features,
                newFeatures: schema.features.count)
        }
        var plan = try repairedPlan(audit, header: current, stamp: stamp)
        try Self.checkMaxFiles(plan, listing: listing, maxFiles: settings.maxFiles, dir: dir)
        let appender = try LineAppender(path: "\(dir)/\(Plan.fileName)")
        if plan.header == nil {
            try appender.append(JSONLines.encode(current))
            plan.header = current
        }
        let planned = plan.plannedFiles
        let fresh = candidates.filter { !planned.contains($0.name) }
        // Past every batch the plan or a journal knows: a number is never given twice.
        var next = max(plan.nextBatch, (audit.journal.entries.keys.max() ?? -1) + 1)
        var i = 0
        var lines = ""
        while i < fresh.count {
            let files = fresh[i..<min(i + settings.filesPerBatch, fresh.count)].map(\.name)
            let entry = Plan.Entry(batch: next, files: files)
            lines += JSONLines.encode(entry) + "\n"
            plan.entries.append(entry)
            next += 1
            i += settings.filesPerBatch
        }
        // One write and one fsync for every new batch (a torn tail is cut at the next append, and
        // the files of a lost line are planned again).
        if !lines.isEmpty { try appender.append(lines) }
        return (plan, audit.cleanup)
    }

    /// Whether a journaled batch can be kept: it was made with this schema, its files are on disk
    /// with the recorded checksum and say in their meta what the journal says (batch, part, rows),
    /// it holds no input file its plan entry does not give it, and its inputs are unchanged (a
    /// touched file whose content hash still matches counts as unchanged). The same rules as
    /// `quern verify` and the merge apply. Parts deleted by `--cleanup` are counted in `cleaned`
    /// (one calm line), not warned about.
    func isStillValid(
        _ done: JournalEntry, entry: Plan.Entry, byName: [String: InputFile], dir: String,
        fingerprint: SchemaFingerprint, cleanup: CleanupRecord?,
        cleaned: inout Int, summary: inout Summary
    ) throws -> Bool {
        guard done.fingerprint == fingerprint.value else {
            console.warning(
                "batch \(done.batch) was made with schema \(done.fingerprint), this configuration's is \(fingerprint.value): it is redone."
            )
            return false
        }
        var removedByCleanup = false
        for (i, part) in done.parts.enumerated() {
            let path = "\(dir)/\(part.file)"
            guard part.file == BatchName(batch: done.batch, part: i).fileName else {
                console.warning(
                    "the journal names part \(i) of batch \(done.batch) '\(JSONLines.encode(part.file))': batch \(done.batch) is redone."
                )
                return false
            }
            if !FileManager.default.fileExists(atPath: path), cleanup?.covers(part) == true {
                cleaned += 1
                removedByCleanup = true
                continue
            }
            let meta: BatchMeta
            do {
                meta = try BatchFile.loadMeta(path: path, expected: .init(bytes: part.bytes, crc32: part.crc32)) {
                    try registry.codec(zipMethod: $0)
                }
            } catch {
                console.warning("\(path) is missing or damaged (\(error.verifyReason)): batch \(done.batch) is redone.")
                return false
            }
            guard meta.batch == done.batch, meta.part == i, meta.rows == part.rows, meta.fingerprint == done.fingerprint
            else {
                console.warning(
                    "\(path) does not match its journal line (its meta says batch \(meta.batch) part \(meta.part), \(meta.rows) rows; the journal \(part.rows) rows): batch \(done.batch) is redone."
                )
                return false
            }
        }
        if removedByCleanup { return false }
        let planned = Set(entry.files)
        if let stray = done.files.first(where: { !planned.contains($0.name) }) {
            console.warning(
                "batch \(done.batch) holds \(JSONLines.encode(stray.name)), which the plan gives to another batch: batch \(done.batch) is redone, so its rows are taken once."
            )
            return false
        }
        let recorded = Dictionary(done.files.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        var valid = true
        for name in entry.files {
            switch (byName[name], recorded[name]) {
            case (nil, nil):
                continue  // already gone when the batch was last made
            case (nil, .some):
                summary.vanishedFiles.append(name)
                valid = false
            case (.some, nil):
                valid = false  // back again: the batch must include it
            case (.some(let now), .some(let was)):
                if was.size == now.size && was.mtimeNs == now.mtimeNs { continue }
                let source = try FileSource(path: "\(settings.inputDir)/\(name)")
                try source.drain()
                if source.crc.hex != was.crc32 || was.size != now.size {
                    summary.changedFiles.append(name)
                    valid = false
                }
            }
        }
        return valid
    }

    func setAsideEverything(in dir: String) throws {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
        let stamp = ISO8601DateFormatter().string(from: Date()).replacingOccurrences(of: ":", with: "")
        var moved = 0
        for n in names where IntermediateFolderLayout.isExtractRecord(n) {
            try Superseded.moveAside("\(dir)/\(n)", in: dir, subfolder: "restart-\(stamp)")
            moved += 1
        }
        if moved > 0 {
            console.info(
                "restart: moved \(moved) earlier files to \(dir)/\(Superseded.folder)/restart-\(stamp)/ (nothing deleted)"
            )
        }
    }
}
