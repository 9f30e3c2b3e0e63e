import Foundation

/// The one rule set for the bookkeeping of an intermediate folder: the plan (`plan.jsonl`), the
/// journals and how they relate. `quern verify` reports every finding, `quern merge` refuses to
/// start on any, and `quern extract` repairs them (see ``ExtractStage``), so the three never
/// disagree. The checks of the batch files themselves (size, CRC-32, meta) follow the same
/// pattern in ``IntermediateVerifier``, ``BatchSet`` and the extract's reuse check.
///
/// The rule that matters most: an input file belongs to at most one batch. A damaged plan line
/// once let an extract plan a journaled batch's files again, and the merge took their rows twice.
public struct IntermediateAudit: Sendable {
    public enum Finding: Sendable, Equatable {
        /// Journaled batches, but no `plan.jsonl`.
        case planMissing
        /// A complete line of the plan that is not a header (line 1) or an entry.
        case planLineDamaged(line: Int)
        /// A complete line of a journal that is not an entry.
        case journalLineDamaged(file: String, line: Int)
        /// A journaled batch that the plan does not list.
        case batchNotPlanned(batch: Int)
        /// An input file that the plan or the journals put in more than one batch.
        case fileInSeveralBatches(file: String, batches: [Int])
        /// A journaled batch made with another schema than the plan's.
        case fingerprintDiffers(batch: Int, journal: String, plan: String)
    }

    public let dir: String
    public let plan: Plan
    public let journal: JournalState
    /// What `--cleanup` deleted on purpose, if it ran.
    public let cleanup: CleanupRecord?
    public let findings: [Finding]

    /// Reads and checks the plan and the journals of `dir` (with their file lists: the one-batch
    /// rule needs them).
    public static func read(_ dir: String) throws -> IntermediateAudit {
        try IntermediateAudit(
            dir: dir, plan: Plan.load(from: dir), journal: JournalState.load(from: dir),
            cleanup: CleanupRecord.load(from: dir))
    }

    public init(dir: String, plan: Plan, journal: JournalState, cleanup: CleanupRecord?) {
        self.dir = dir
        self.plan = plan
        self.journal = journal
        self.cleanup = cleanup
        var findings: [Finding] = []
        if !plan.exists && !journal.entries.isEmpty { findings.append(.planMissing) }
        findings += plan.damagedLines.map { .planLineDamaged(line: $0) }
        for name in journal.damagedLines.keys.sorted() {
            findings += journal.damagedLines[name]!.map { .journalLineDamaged(file: name, line: $0) }
        }
        let planned = Set(plan.entries.map(\.batch))
        if plan.exists {
            findings += journal.entries.keys.sorted().filter { !planned.contains($0) }.map {
                .batchNotPlanned(batch: $0)
            }
        }
        var owners: [String: Set<Int>] = [:]
        for e in plan.entries { for f in e.files { owners[f, default: []].insert(e.batch) } }
        for e in journal.entries.values { for f in e.files { owners[f.name, default: []].insert(e.batch) } }
        for (file, batches) in owners.sorted(by: { $0.key < $1.key }) where batches.count > 1 {
            findings.append(.fileInSeveralBatches(file: file, batches: batches.sorted()))
        }
        if let header = plan.header {
            for k in journal.entries.keys.sorted() where journal.entries[k]!.fingerprint != header.fingerprint {
                findings.append(
                    .fingerprintDiffers(batch: k, journal: journal.entries[k]!.fingerprint, plan: header.fingerprint))
            }
        }
        self.findings = findings
    }

    /// The file a finding is about.
    public func path(of finding: Finding) -> String {
        switch finding {
        case .planMissing, .planLineDamaged, .batchNotPlanned, .fileInSeveralBatches: "\(dir)/\(Plan.fileName)"
        case .journalLineDamaged(let file, _): "\(dir)/\(file)"
        case .fingerprintDiffers(let batch, _, _): "\(dir)/\(BatchName(batch: batch, part: 0).fileName)"
        }
    }

    /// What is wrong, ending with what `quern extract` does about it.
    public func reason(_ finding: Finding) -> String {
        switch finding {
        case .planMissing:
            "missing, though the journal records \(journal.entries.count) batches: `quern extract` rebuilds it from the journal"
        case .planLineDamaged(1):
            "line 1 is not a plan header: `quern extract` rebuilds the plan from the journal"
        case .planLineDamaged(let line):
            "line \(line) is not a plan entry (damaged): `quern extract` rebuilds the plan from the journal, so no file is planned twice"
        case .journalLineDamaged(_, let line):
            "line \(line) is not a journal entry: `quern extract` rewrites the journal without it and redoes any batch it recorded"
        case .batchNotPlanned(let batch):
            "batch \(batch) is journaled but not planned: `quern extract` restores its plan entry from the journal"
        case .fileInSeveralBatches(let file, let batches):
            "input file \(JSONLines.encode(file)) is in batches \(batches.map(String.init).joined(separator: " and ")), so its rows would be taken \(batches.count) times: `quern extract` redoes the batches the plan does not give it to"
        case .fingerprintDiffers(let batch, let j, let p):
            "batch \(batch) was made with schema \(j), the plan's is \(p): `quern extract` redoes it"
        }
    }

    /// Each finding as `path: reason`, for a merge's refusal.
    public var findingLines: [String] { findings.map { "\(path(of: $0)): \(reason($0))" } }

    /// Whether the plan must be written again: it is missing or damaged, lacks a journaled batch,
    /// or lists a file twice.
    public var planNeedsRebuild: Bool {
        findings.contains { f in
            switch f {
            case .planMissing, .planLineDamaged, .batchNotPlanned: true
            case .fileInSeveralBatches: planListsTwice
            case .journalLineDamaged, .fingerprintDiffers: false
            }
        }
    }

    private var planListsTwice: Bool {
        var seen = Set<String>()
        for e in plan.entries { for f in e.files where !seen.insert(f).inserted { return true } }
        return false
    }

    /// The plan rebuilt: its readable entries, then an entry for each journaled batch it lacks
    /// (with the files the journal records); a file already planned in another batch is left out,
    /// so no file is in two entries. A journaled batch that holds such a file no longer matches
    /// its entry, and the extract redoes it.
    public func rebuiltPlan(header: Plan.Header) -> Plan {
        var plan = Plan()
        plan.exists = true
        plan.header = header
        var seen = Set<String>()
        var batches = Set<Int>()
        for e in self.plan.entries.sorted(by: { $0.batch < $1.batch }) where batches.insert(e.batch).inserted {
            plan.entries.append(Plan.Entry(batch: e.batch, files: e.files.filter { seen.insert($0).inserted }))
        }
        for k in journal.entries.keys.sorted() where batches.insert(k).inserted {
            plan.entries.append(
                Plan.Entry(batch: k, files: journal.entries[k]!.files.map(\.name).filter { seen.insert($0).inserted }))
        }
        plan.entries.sort { $0.batch < $1.batch }
        return plan
    }
}
