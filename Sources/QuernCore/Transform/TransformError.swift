/// Why `quern transform` cannot apply a run to new files.
public enum TransformError: Error, CustomStringConvertible, Equatable {
    /// The run's output folder lacks `transform.json` or `quern_config.yaml`.
    case notSaved(folder: String, file: String)
    case damaged(path: String, reason: String)
    /// The saved config's extractor does not make the saved schema.
    case extractorChanged(folder: String, expected: String, found: String)
    case sameFolder(String)
    case noInputs(String)
    case noRows(inputDir: String, failed: Int, dropped: Int)
    case nonFinite(values: Int, output: String)
    case validation([String])
    /// The run's extractor declares a normalized output array, whose fitted parameters
    /// `transform.json` does not hold.
    case normalizedArray(folder: String, array: String)

    public var description: String {
        switch self {
        case .notSaved(let folder, let file):
            "\(folder) has no \(file): its outputs were made by an older quern (or are not a run's outputs), which did not save the config and the fitted normalization. "
                + "Run `quern merge` again with this quern (the batches are enough; the outputs come out the same), then `quern transform`."
        case .damaged(let path, let reason):
            "\(path) cannot be read: \(reason). Run `quern merge` again to rewrite it."
        case .extractorChanged(let folder, let expected, let found):
            "the config saved in \(folder) builds an extractor with schema fingerprint \(found), but the outputs were made with \(expected): the folder's files do not belong together. "
                + "Run `quern merge` again to save them together."
        case .sameFolder(let f):
            "--output-dir \(f) is the run's own output folder: transform would replace its files. Give another folder."
        case .noInputs(let d):
            "no input files in \(d) (files of a known format, or matching the run's input.pattern): give the folder of the new files with --input-dir."
        case .noRows(let dir, let failed, let dropped):
            "no rows to write from \(dir): \(failed) file(s) failed and \(dropped) row(s) were dropped (listed above); nothing was written."
        case .nonFinite(let n, let output):
            "\(n) value(s) of X are NaN or infinite after normalization, so nothing was written to \(output). Look for cells like 1e999 or inf in the inputs, fix them and run again."
        case .normalizedArray(let folder, let array):
            "the run in \(folder) has a normalized output array '\(array)', and quern transform applies X's normalization only: nothing was written. "
                + "Apply the parameters under `arrays` in its \(OutputFolderLayout.stats) to \(OutputFolderLayout.array(array, split: "<split>")) yourself, or declare the array not normalized."
        case .validation(let problems):
            "the rows failed validation, so nothing was written:\n  " + problems.joined(separator: "\n  ")
        }
    }
}
