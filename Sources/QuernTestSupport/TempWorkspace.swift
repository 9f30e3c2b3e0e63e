import Foundation
import QuernCore

#if canImport(Glibc)
    import Glibc
#endif

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

    /// Makes a file holding `contents` (or, with `folder`, a folder) in the folder `relative`, named
    /// by raw bytes that need not be UTF-8, which Foundation cannot name; returns whether it was
    /// made. Linux names are bytes: a user's disk can hold such a name, so the tests make one.
    @discardableResult
    public func makeRaw(
        in relative: String, name: [UInt8], folder: Bool = false, contents: [UInt8] = [], mode: Int = 0o644
    ) -> Bool {
        let full = Array("\(path)/\(relative)/".utf8) + name + [0]
        return full.withUnsafeBufferPointer { p in
            p.baseAddress!.withMemoryRebound(to: CChar.self, capacity: p.count) { cpath -> Bool in
                if folder { return mkdir(cpath, mode_t(mode)) == 0 }
                let fd = open(cpath, O_WRONLY | O_CREAT | O_EXCL, mode_t(mode))
                guard fd >= 0 else { return false }
                defer { close(fd) }
                return fchmod(fd, mode_t(mode)) == 0 && Glibc.write(fd, contents, contents.count) == contents.count
            }
        }
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
