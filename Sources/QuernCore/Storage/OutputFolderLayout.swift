import QuernKit

/// The one place that spells the names of the files in an output folder (`paths.output`, and the
/// folder `quern transform` writes): what a merge publishes, what the publisher stages and locks
/// beside it, and which names are quern's to replace. The publisher, the manifest, the checksums,
/// `quern verify`, `quern inspect`, `quern compare`'s analysis and `quern transform` all read the
/// names from here; `LayoutLiteralsTests` fails when a name is spelled anywhere else in the code.
/// docs/formats.md describes the files; python/quern spells the same names for Python readers.
public enum OutputFolderLayout {
    // MARK: What a merge publishes

    /// The splits that get files (`train`, `val`, `test`).
    public static var splits: [String] { SplitFunction.names }

    /// The features of a split: float32 `(rows, input_dim)`.
    public static func x(split: String) -> String { "X_\(split).npy" }
    /// The label heads of a split: one int32 array per head.
    public static func labels(split: String) -> String { "labels_\(split).npz" }
    /// The mask heads of a split: one int8 array per head.
    public static func masks(split: String) -> String { "masks_\(split).npz" }
    /// An output array the extractor declares (``FeatureSchema/arrays``) of a split: `[rows, width]`
    /// of its dtype (`tokens_train.npy`).
    public static func array(_ name: String, split: String) -> String { "\(name)_\(split).npy" }
    /// The origin of each row of a split (`save.provenance`).
    public static func provenance(split: String) -> String { "provenance_\(split).npy" }
    /// The dimensions, rows, class counts and fitted normalization of the outputs; published last.
    public static let stats = "preprocessing_stats.json"
    /// The size and CRC-32 of every other output file (``OutputChecksums``).
    public static let checksums = "checksums.json"
    /// The input files the provenance rows index (``ProvenanceFiles``).
    public static let provenanceFiles = "provenance_files.json"
    /// The group keys the provenance rows index.
    public static let provenanceGroups = "provenance_groups.npy"
    /// The fitted transform (``FittedTransform``).
    public static let transform = "transform.json"
    /// The effective config the merge resolved, saved beside the transform.
    public static let config = "quern_config.yaml"

    /// The results of a split, from an output writer that writes results (`results_<split>.jsonl`
    /// for `jsonl`): nil `split` for the one file of a run whose rows all go to train
    /// (`split.fractions: 1,0,0`), `results.jsonl`.
    public static func results(split: String?, extension ext: String) -> String {
        split.map { "results_\($0).\(ext)" } ?? "results.\(ext)"
    }
    /// Is `name` a results file (``results(split:extension:)``)?
    public static func isResults(_ name: String) -> Bool {
        let parts = name.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[1].isEmpty, parts[1].allSatisfy({ $0.isLetter || $0.isNumber }) else {
            return false
        }
        return parts[0] == "results" || splits.contains { parts[0] == "results_\($0)" }
    }

    /// The array files of one split, in the order `quern inspect` shows them.
    public static func arrays(split: String) -> [String] {
        [x(split: split), labels(split: split), masks(split: split)]
    }

    /// The names a merge without provenance published before quern kept a manifest: in such a
    /// folder, those of them that are there are taken as quern's when ``stats`` is there too.
    public static var legacyNames: [String] { splits.flatMap(arrays(split:)) + [stats] }

    // MARK: What `quern transform` publishes (one split, no split in the names)

    public static let transformX = "X.npy"
    public static let transformLabels = "labels.npz"
    public static let transformMasks = "masks.npz"
    public static let transformProvenance = "provenance.npy"
    /// An output array of a transform (``FeatureSchema/arrays``): `tokens.npy`.
    public static func transformArray(_ name: String) -> String { "\(name).npy" }
    /// What was read, kept and dropped.
    public static let transformReport = "transform_report.json"
    /// The split whose row files `quern transform` writes before renaming them to its names.
    public static let transformSplit = "train"
    /// The split name ``Provenance/origin(of:split:in:)`` takes for a transform's output.
    public static let transformAllSplit = "all"

    /// The files a transform publishes besides checksums and provenance lists.
    public static var transformNames: [String] {
        [transformX, transformLabels, transformMasks, transformProvenance, transformReport]
    }

    // MARK: Which names are quern's

    /// Is `name` a provenance file quern writes into an output folder?
    public static func isProvenance(_ name: String) -> Bool {
        name == provenanceGroups || name == provenanceFiles || (name.hasPrefix("provenance_") && name.hasSuffix(".npy"))
    }

    /// Is `name` the file of one of the output arrays `arrays` (``FeatureSchema/arrays``), of any
    /// split or of a transform?
    public static func isArray(_ name: String, of arrays: [String]) -> Bool {
        arrays.contains { a in transformArray(a) == name || splits.contains { array(a, split: $0) == name } }
    }

    /// Is `name` one quern writes into output folders (and so replaces)? Output arrays' files are
    /// not among them: their names are the extractor's, so only the manifest (or the stats'
    /// `arrays`) says they are quern's.
    public static func isOutput(_ name: String) -> Bool {
        name == stats || name == checksums
            || (name.hasPrefix("X_") && name.hasSuffix(".npy"))
            || ((name.hasPrefix("labels_") || name.hasPrefix("masks_")) && name.hasSuffix(".npz"))
            || isProvenance(name) || isResults(name) || name == transform || name == config
            || transformNames.contains(name)
    }

    // MARK: Beside the outputs: the publisher's record, staging folders and lock

    /// The files the last merge published, so the next one replaces only those (``OutputManifest``).
    public static let manifest = ".quern-outputs.json"

    /// The prefix of the staging folders of the output folder named `name`, made beside it.
    public static func stagingPrefix(besideFolderNamed name: String) -> String { ".\(name).staging-" }
    /// The prefix of the staging folders made inside the output folder (a mount point, `/`, or a
    /// folder whose parent cannot be written).
    public static let stagingPrefixInside = ".quern.staging-"
    /// The staging folder of process `pid`.
    public static func staging(prefix: String, pid: Int32) -> String { "\(prefix)\(pid)" }

    /// The lock (``FolderLock`` name) of the output folder named `name`, taken in its parent.
    public static func lock(besideFolderNamed name: String) -> String { "output-\(name)" }
    /// The lock taken inside the output folder.
    public static let lockInside = "output"

    // MARK: Inside a staging folder, never published

    /// The split codes of a stream (kept while a strategy needs them).
    public static func splitCodes(split: String) -> String { "split_\(split).npy" }
    /// One label head of a split, before it is stored into its `.npz` (hidden: not published).
    public static func labelRows(split: String, head: String) -> String { ".labels_\(split).\(head).npy" }
    /// One mask head of a split, before it is stored into its `.npz` (hidden: not published).
    public static func maskRows(split: String, head: String) -> String { ".masks_\(split).\(head).npy" }
    /// A merge strategy's scratch folder.
    public static let mergeScratch = ".scratch"
    /// The batches `quern transform` extracts before writing its rows.
    public static let transformScratch = ".batches"
}
