import Foundation
import QuernKit

/// Why an extract stops (each message says what to do).
public enum ExtractError: Error, CustomStringConvertible {
    case schemaChanged(dir: String, old: String, new: String, oldFeatures: Int, newFeatures: Int)
    case noHeader([String])
    case schema(file: String, reason: String)
    case restartWithShards
    case maxFilesBelowPlan(dir: String, planned: Int, maxFiles: Int, example: String)
    case unreadableInputs([InputUnreadable], shard: Shard)

    public var description: String {
        switch self {
        case .schemaChanged(let dir, let old, let new, let oldFeatures, let newFeatures):
            return
                "\(dir) holds batches made with schema \(old) (\(oldFeatures) features); this configuration gives schema \(new) (\(newFeatures) features). "
                + "Batches of different schemas are never mixed: use a new --intermediate-dir, or --restart to redo every batch (the old ones are moved to superseded/, not deleted)."
        case .noHeader(let reasons):
            // Never an empty reason: with no file tried there is nothing to list.
            guard !reasons.isEmpty else {
                return "no input file to read a header from, to learn the columns: check --input-dir and input.pattern."
            }
            return "could not read a header from the first input files to learn the columns:\n  "
                + reasons.joined(separator: "\n  ")
        case .schema(let file, let reason):
            return
                "the extractor does not fit the columns of \(TerminalText.escape(file)): \(TerminalText.escape(reason))"
        case .restartWithShards:
            return "--restart redoes the whole folder: run it once without --shard (or use a new --intermediate-dir)."
        case .maxFilesBelowPlan(let dir, let planned, let maxFiles, let example):
            return
                "\(dir) already holds a plan of \(planned) files from an earlier run, more than --max-files \(maxFiles) takes "
                + "(\(JSONLines.encode(example)) is planned but not among the first \(maxFiles)); the merge would use all \(planned). "
                + "Use --restart to redo the folder with \(maxFiles) files (the old batches are moved to superseded/, not deleted), a new --intermediate-dir, or drop --max-files."
        case .unreadableInputs(let list, let shard):
            let which = shard.count > 1 ? "shard \(shard) is" : "the extract is"
            return
                "\(list.count) input file\(list.count == 1 ? "" : "s") exist but cannot be read, so \(which) not complete:\n  "
                + list.map(\.description).joined(separator: "\n  ")
                + "\nFix the access (permissions, mount) and run the same command again: it makes only the missing batches."
        }
    }
}
