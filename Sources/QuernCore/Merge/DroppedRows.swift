import Foundation

/// Rows of the input that are not in the outputs because the config could not take them: a label
/// missing, a label value the config does not list, an integer label out of range. The extractor
/// skips such a row and counts it by reason; the counts travel through the journal (each entry's
/// `skipped`) to the merge, which records them as `rows_dropped` in `preprocessing_stats.json`, and
/// the end of every run prints them as a warning and writes them to `summary.json`. Rows a merge
/// strategy drops on purpose (dedupe's duplicates, balance's caps) are the strategy's report
/// (`merge.dropped`), not these.
public enum DroppedRows {
    /// The counts by reason over every journaled batch of the intermediate folder `dir`.
    public static func inJournal(_ dir: String) throws -> [String: Int] {
        // Usually already decoded (and cached) by the merge's own look at the journal.
        let heads = try JournalState.load(from: dir, withFiles: false)
        var out: [String: Int] = [:]
        if heads.entries.values.allSatisfy({ $0.skipped != nil }) {
            for e in heads.entries.values { out.merge(e.skipped ?? [:], uniquingKeysWith: +) }
            return out
        }
        // A journal written before entries carried their sum: add up the file records.
        for e in try JournalState.load(from: dir, withFiles: true).entries.values {
            for f in e.files { out.merge(f.skipped, uniquingKeysWith: +) }
        }
        return out
    }

    /// The warning that ends a run which dropped rows, or nil when none were dropped. `kept` is
    /// the rows extracted (the dropped ones come on top).
    public static func warning(_ dropped: [String: Int], kept: Int) -> String? {
        let total = dropped.values.reduce(0, +)
        guard total > 0 else { return nil }
        let all = kept + total
        let share = String(format: "%.1f", 100 * Double(total) / Double(max(all, 1)))
        let reasons = dropped.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
            .map { "\(Human.count($0.value)) \($0.key)" }.joined(separator: ", ")
        return
            "\(Human.count(total)) of \(Human.count(all)) rows (\(share)%) were dropped and are not in the outputs: \(reasons). "
            + "The reasons are the extractor's (tabular and hashed drop a row whose label is missing, or whose "
            + "value the config does not list in labels.<head>.values or classes): fix the config or the data and "
            + "run again. The counts are in \(RunLog.summaryFile) and \(OutputFolderLayout.stats) (rows_dropped)."
    }
}
