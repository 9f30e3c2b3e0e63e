import Foundation
import QuernKit

#if canImport(Glibc)
    import Glibc
#endif

/// One input file as found on disk.
public struct InputFile: Sendable, Equatable, Codable {
    /// Name relative to the input folder.
    public var name: String
    public var size: Int
    /// Modification time, nanoseconds since the epoch.
    public var mtimeNs: Int64

    public init(name: String, size: Int, mtimeNs: Int64) {
        self.name = name
        self.size = size
        self.mtimeNs = mtimeNs
    }
}

/// An entry of the input folder that matched but is not read: what it is, and why it is passed over.
public struct SkippedInput: Sendable, Equatable {
    /// Name relative to the input folder.
    public var name: String
    /// Why, for a person: "a FIFO (named pipe)", "a symbolic link to x.csv, which does not exist".
    public var reason: String

    public init(name: String, reason: String) {
        self.name = name
        self.reason = reason
    }
}

/// Finds input files: regular files in the input folder (not recursive) matching the pattern, or
/// of a registered format when no pattern is set, sorted by name (byte order). Entries that match
/// but are not regular files (FIFOs, devices, sockets, folders, dangling links, link loops) are
/// listed with the reason in ``Listing/skipped``, never opened: opening a FIFO blocks until a
/// writer comes, which may be never.
public enum Discovery {
    /// What discovery found: the files to read, and the matching entries passed over.
    public struct Listing: Sendable, Equatable {
        public var files: [InputFile] = []
        public var skipped: [SkippedInput] = []
    }

    public static func find(in dir: String, pattern: String?, registry: PluginRegistry) throws(DiscoveryError)
        -> [InputFile]
    {
        try list(in: dir, pattern: pattern, registry: registry).files
    }

    public static func list(in dir: String, pattern: String?, registry: PluginRegistry) throws(DiscoveryError)
        -> Listing
    {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: dir, isDirectory: &isDir) else {
            throw .missingFolder(dir)
        }
        guard isDir.boolValue else { throw .notAFolder(dir) }
        let names = try entryNames(dir)
        var listing = Listing()
        for (name, invalid) in names where !name.hasPrefix(".") {
            if let pattern {
                guard Glob.matches(name, pattern) else { continue }
            } else {
                guard formatName(of: name, registry: registry) != nil else { continue }
            }
            if let invalid {
                // Its String names no file (U+FFFD stands for the bad bytes), and the journal,
                // failed.jsonl and the outputs' sources record names as UTF-8: say so, rather than
                // report what a failed stat of the wrong name would suggest.
                listing.skipped.append(
                    SkippedInput(
                        name: name,
                        reason:
                            "its name is not valid UTF-8 (\(escapedBytes(invalid))), which quern cannot record in its journal: rename the file to read it"
                    ))
                continue
            }
            let path = "\(dir)/\(name)"
            var st = stat()
            guard stat(path, &st) == 0 else {
                listing.skipped.append(SkippedInput(name: name, reason: unreachable(path, errno: errno)))
                continue
            }
            guard (st.st_mode & S_IFMT) == S_IFREG else {
                listing.skipped.append(SkippedInput(name: name, reason: notRegular(path, mode: st.st_mode)))
                continue
            }
            listing.files.append(
                InputFile(
                    name: name, size: Int(st.st_size),
                    mtimeNs: Int64(st.st_mtim.tv_sec) * 1_000_000_000 + Int64(st.st_mtim.tv_nsec)))
        }
        listing.files.sort { $0.name.precedesInByteOrder($1.name) }
        listing.skipped.sort { $0.name.precedesInByteOrder($1.name) }
        return listing
    }

    /// The names in folder `dir`, read with `readdir` so a failure keeps its errno (Foundation's
    /// listing reports "too many open files" as "NSCocoaErrorDomain error 256"). A name that is not
    /// valid UTF-8 (Linux allows any bytes but `/` and NUL) comes with its bytes: its String has
    /// U+FFFD in place of the bad ones, so it names no file.
    static func entryNames(_ dir: String) throws(DiscoveryError) -> [(name: String, invalid: [UInt8]?)] {
        guard let d = opendir(dir) else {
            let code = errno
            throw .unreadable(dir, String(cString: strerror(code)) + "." + StorageError.hint(code))
        }
        defer { closedir(d) }
        var names: [(name: String, invalid: [UInt8]?)] = []
        while true {
            errno = 0
            guard let entry = readdir(d) else {
                let code = errno
                if code != 0 { throw .unreadable(dir, String(cString: strerror(code)) + "." + StorageError.hint(code)) }
                return names
            }
            let bytes = withUnsafeBytes(of: entry.pointee.d_name) { raw in Array(raw.prefix(while: { $0 != 0 })) }
            let name = String(decoding: bytes, as: UTF8.self)
            guard name != "." && name != ".." else { continue }
            names.append((name, String(validating: bytes, as: UTF8.self) == nil ? bytes : nil))
        }
    }

    /// A name's bytes as a person can read them: printable ASCII as it is, any other byte (and the
    /// backslash) as `\xNN`.
    static func escapedBytes(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef")
        var out = ""
        for b in bytes {
            if b >= 0x20 && b < 0x7F && b != 0x5C {
                out.append(Character(UnicodeScalar(b)))
            } else {
                out += "\\x" + String([digits[Int(b >> 4)], digits[Int(b & 15)]])
            }
        }
        return out
    }

    /// Why `path` cannot be followed (`stat` failed with `code`): a dangling link, a loop, ...
    static func unreachable(_ path: String, errno code: Int32) -> String {
        let target = linkTarget(path).map { " to '\(TerminalText.escape($0))'" } ?? ""
        switch code {
        case ENOENT: return "a symbolic link\(target) whose target does not exist"
        case ELOOP: return "a symbolic link\(target) that loops (links lead back to themselves)"
        case EACCES: return "a symbolic link\(target) whose target cannot be reached (permission denied)"
        default: return "cannot be examined: \(String(cString: strerror(code)))"
        }
    }

    /// What the non-regular entry at `path` is.
    static func notRegular(_ path: String, mode: mode_t) -> String {
        let what: String
        switch mode & S_IFMT {
        case S_IFIFO: what = "a FIFO (named pipe), which is not opened: reading it would wait for a writer"
        case S_IFCHR: what = "a character device"
        case S_IFBLK: what = "a block device"
        case S_IFSOCK: what = "a socket"
        case S_IFDIR: what = "a folder (input folders are not searched recursively)"
        default: what = "not a regular file"
        }
        guard let target = linkTarget(path) else { return what }
        return "a symbolic link to '\(TerminalText.escape(target))', \(what)"
    }

    /// The target of the symbolic link at `path`, or nil when it is not one.
    static func linkTarget(_ path: String) -> String? {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let n = readlink(path, &buffer, buffer.count - 1)
        guard n >= 0 else { return nil }
        return String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The format and compression codec a file name implies: `x.csv.gz` -> (csv, gz).
    public static func formatName(of name: String, registry: PluginRegistry) -> (format: String, compression: String?)?
    {
        // The last three of the name's dot-separated parts, empty ones dropped (as split drops
        // them), found from the end: asked for every input file, more than once.
        var parts: [Substring] = []
        var rest = Substring(name)
        while parts.count < 3, !rest.isEmpty {
            guard let dot = rest.utf8.lastIndex(of: UInt8(ascii: ".")) else {
                parts.append(rest)
                break
            }
            let part = rest[rest.utf8.index(after: dot)...]
            if !part.isEmpty { parts.append(part) }
            rest = rest[..<dot]
        }
        guard parts.count >= 2 else { return nil }
        var compression: String? = nil
        if registry.isCompressedExtension(parts[0].lowercased()) {
            compression = parts.removeFirst().lowercased()
            guard parts.count >= 2 else { return nil }
        }
        guard let format = registry.formatName(forExtension: String(parts[0])) else { return nil }
        return (format, compression)
    }
}

public enum DiscoveryError: Error, CustomStringConvertible, Equatable {
    case missingFolder(String)
    case notAFolder(String)
    case unreadable(String, String)
    case noInputs(String, pattern: String?)

    public var description: String {
        switch self {
        case .missingFolder(let d):
            "input folder \(TerminalText.escape(d)) does not exist: pass --input-dir or set paths.input in the config."
        case .notAFolder(let d):
            "\(TerminalText.escape(d)) is not a folder: --input-dir takes the folder that holds the input files."
        case .unreadable(let d, let why):
            "cannot list the input folder \(TerminalText.escape(d)): \(why)\(why.hasSuffix(".") ? "" : ".")"
        case .noInputs(let d, let pattern):
            pattern.map {
                "no file in \(TerminalText.escape(d)) matches '\(TerminalText.escape($0))': check input.pattern."
            }
                ?? "no input file in \(TerminalText.escape(d)) (looked for .csv, .tsv, .jsonl, optionally .gz/.zst/.lz4): check --input-dir or set input.pattern."
        }
    }
}
