public import QuernKit

/// The default output writer: the arrays alone (`X_<split>.npy`, `labels_<split>.npz`,
/// `masks_<split>.npz`, written by the host as always), no file of its own.
public struct NpyWriter: OutputWriter, OutputWriterPlugin {
    public static let name = "npy"
    public static let summary = "the arrays: X_<split>.npy, labels_<split>.npz, masks_<split>.npz (the default)"
    public static let options: [OptionSpec] = []

    public static func make(_ options: PluginOptions) throws -> any OutputWriter { NpyWriter() }

    public init() {}
    public var name: String { Self.name }
    public var resultsExtension: String? { nil }

    public func open(path: String) throws -> any ResultSink {
        throw PluginError.invalidOptions(
            "the npy writer writes no results file (\(path)); choose save.writer: jsonl for one.")
    }
}
