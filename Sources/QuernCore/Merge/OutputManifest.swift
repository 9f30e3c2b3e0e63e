import Foundation

/// Which files of an output folder are quern's: `.quern-outputs.json` in the folder lists the
/// files the last merge published there, and only those may be replaced or removed by the next
/// one. Everything else in the folder is the user's and is never touched.
///
/// The same record, with `remove` (the previous set's files the new set does not have), written
/// into a finished staging folder, marks a publish as committed: a merge killed while moving the
/// files is finished from it by the next merge into the folder.
public struct OutputManifest: Codable, Sendable, Equatable {
    public static let fileName = OutputFolderLayout.manifest

    /// File names (no folders) in the order they are published.
    public var files: [String]
    /// Files of the previous set to remove once the new ones are in (only in a staging record).
    public var remove: [String]?

    public init(files: [String], remove: [String]? = nil) {
        self.files = files
        self.remove = remove
    }

    /// The record in `folder`, or nil when there is none (or it is not a manifest quern wrote).
    public static func read(from folder: String) -> OutputManifest? {
        guard let data = FileManager.default.contents(atPath: "\(folder)/\(fileName)"),
            let m = try? JSONDecoder().decode(OutputManifest.self, from: data)
        else { return nil }
        // Only plain names of this folder: a hand-edited manifest never makes quern touch a file
        // elsewhere.
        return OutputManifest(files: m.files.filter(isPlainName), remove: m.remove?.filter(isPlainName))
    }

    /// The files of the set published in `folder` now: its manifest's, else the outputs of a merge
    /// from before manifests (see ``OutputFolderLayout/legacyNames``), else none.
    public static func currentFiles(in folder: String) -> [String] {
        if let m = read(from: folder) { return m.files }
        let here = Set((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [])
        guard here.contains(OutputFolderLayout.stats) else { return [] }
        return OutputFolderLayout.legacyNames.filter(here.contains)
    }

    /// The record as written to disk: JSON, one key per line.
    public var text: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let data = (try? encoder.encode(self)) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self) + "\n"
    }

    /// A file name quern may publish or remove: one component, not hidden, not `.` or `..`.
    static func isPlainName(_ name: String) -> Bool {
        !name.isEmpty && !name.hasPrefix(".") && !name.contains("/") && !name.contains("\0")
    }
}
