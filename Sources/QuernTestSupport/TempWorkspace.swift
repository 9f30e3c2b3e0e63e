import Foundation
import QuernCore

/// A temporary folder for a test, removed when the value is released.
public final class TempWorkspace: @unchecked Sendable {
    public let path: String

    public init(_ label: String = "quern-test") {
        let base = FileManager.default.temporaryDirectory.path
        path = "\(base)/\(label)-\(UUID().uuidString.prefix(8))"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    /// Writes a file (creating folders) and returns its full path.
    @discardableResult
    public func write(_ relative: String, _ text: String) -> String {
        write(relative, Array(text.utf8))
    }

    @discardableResult
    public func write(_ relative: String, _ bytes: [UInt8]) -> String {
        let full = "\(path)/\(relative)"
        try? FileManager.default.createDirectory(atPath: UserPath.parent(of: full), withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: full, contents: Data(bytes))
        return full
    }

    /// Writes a `/bin/sh` hook into `hooks/` (executable unless told otherwise); the hook tests share it.
    public func writeHook(_ name: String, _ body: String, executable: Bool = true) throws {
        let full = write("hooks/\(name)", "#!/bin/sh\n" + body + "\n")
        try FileManager.default.setAttributes([.posixPermissions: executable ? 0o755 : 0o644], ofItemAtPath: full)
    }

    /// A file's text, or "" when it is missing or not UTF-8.
    public func text(_ relative: String) -> String {
        (try? String(contentsOfFile: "\(path)/\(relative)", encoding: .utf8)) ?? ""
    }

    public func files(in relative: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: "\(path)/\(relative)")) ?? []).sorted()
    }
}

extension String {
    /// The string left-padded with zeros to `n` characters (file names like game_000012.csv).
    public func leftPad(_ n: Int) -> String { count >= n ? self : String(repeating: "0", count: n - count) + self }
}
