import Foundation

/// `cleanup.json` in the intermediate folder: which batch files `--cleanup` deleted on purpose,
/// when, and after publishing which outputs. Written atomically before the first file is deleted,
/// so verify, a merge and the next extract can tell batches removed on purpose (said calmly) from
/// batches lost or damaged (a problem). A file counts as cleaned only while its journal line still
/// records the checksum listed here; an extract that remakes a batch takes it off the list.
public struct CleanupRecord: Codable, Sendable, Equatable {
    public var cleanedAt: String
    /// The output folder whose publish came just before the cleanup.
    public var output: String
    /// Deleted batch file name -> its CRC-32 as the journal recorded it.
    public var files: [String: String]

    public static let fileName = IntermediateFolderLayout.cleanup

    public init(cleanedAt: String, output: String, files: [String: String]) {
        self.cleanedAt = cleanedAt
        self.output = output
        self.files = files
    }

    /// The record of `dir`, or nil when there is none (or it cannot be read: then missing batches
    /// are reported as missing, the safe side).
    public static func load(from dir: String) -> CleanupRecord? {
        guard let data = FileManager.default.contents(atPath: "\(dir)/\(fileName)") else { return nil }
        return try? JSONDecoder().decode(CleanupRecord.self, from: data)
    }

    public func write(to dir: String) throws {
        try AtomicFile.write(JSONLines.encode(self) + "\n", to: "\(dir)/\(Self.fileName)")
    }

    /// Whether `part` (of a journal line) was deleted by this cleanup rather than lost.
    public func covers(_ part: JournalEntry.Part) -> Bool { files[part.file] == part.crc32 }

    /// Takes `names` off the list (their batches were made again); removes the record when none is left.
    public static func forget(_ names: some Sequence<String>, in dir: String) throws {
        guard var record = load(from: dir) else { return }
        let before = record.files.count
        for n in names { record.files[n] = nil }
        guard record.files.count != before else { return }
        if record.files.isEmpty {
            try? FileManager.default.removeItem(atPath: "\(dir)/\(fileName)")
        } else {
            try record.write(to: dir)
        }
    }

    /// One calm sentence for messages: "N batch files were deleted by --cleanup on DATE, after the outputs in DIR were published".
    public func sentence(count: Int) -> String {
        "\(count) batch file\(count == 1 ? " was" : "s were") deleted by --cleanup on \(cleanedAt), after the outputs in \(output) were published"
    }
}
