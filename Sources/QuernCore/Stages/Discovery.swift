public import Foundation
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

/// Finds input files: regular files in the input folder (not recursive) matching the pattern, or
/// of a registered format when no pattern is set, sorted by name (byte order).
public enum Discovery {
    public static func find(in dir: String, pattern: String?, registry: PluginRegistry) throws(DiscoveryError) -> [InputFile] {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: dir, isDirectory: &isDir) else {
            throw .missingFolder(dir)
        }
        guard isDir.boolValue else { throw .notAFolder(dir) }
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: dir)
        } catch {
            throw .unreadable(dir, (error as NSError).localizedDescription)
        }
        var files: [InputFile] = []
        for name in names where !name.hasPrefix(".") {
            if let pattern {
                guard Glob.matches(name, pattern) else { continue }
            } else {
                guard formatName(of: name, registry: registry) != nil else { continue }
            }
            var st = stat()
            guard stat("\(dir)/\(name)", &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else { continue }
            files.append(InputFile(name: name, size: Int(st.st_size), mtimeNs: Int64(st.st_mtim.tv_sec) * 1_000_000_000 + Int64(st.st_mtim.tv_nsec)))
        }
        files.sort { $0.name.utf8.lexicographicallyPrecedes($1.name.utf8) }
        return files
    }

    /// The format and compression codec a file name implies: `x.csv.gz` -> (csv, gz).
    public static func formatName(of name: String, registry: PluginRegistry) -> (format: String, compression: String?)? {
        var parts = name.split(separator: ".").map(String.init)
        guard parts.count >= 2 else { return nil }
        var compression: String? = nil
        if registry.compressedExtensions.contains(parts.last!.lowercased()) {
            compression = parts.removeLast().lowercased()
            guard parts.count >= 2 else { return nil }
        }
        guard let format = registry.formatName(forExtension: parts.last!) else { return nil }
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
        case .missingFolder(let d): "input folder \(d) does not exist: pass --input-dir or set paths.input in the config."
        case .notAFolder(let d): "\(d) is not a folder: --input-dir takes the folder that holds the input files."
        case .unreadable(let d, let why): "cannot list the input folder \(d): \(why)."
        case .noInputs(let d, let pattern):
            pattern.map { "no file in \(d) matches '\($0)': check input.pattern." }
                ?? "no input file in \(d) (looked for .csv, .tsv, .jsonl, optionally .gz/.zst/.lz4): check --input-dir or set input.pattern."
        }
    }
}
