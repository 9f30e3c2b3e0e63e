public import Foundation
import CQuernSys
#if canImport(Glibc)
import Glibc
#endif

/// Publishes a finished staging folder as the output folder in one step: readers see the previous
/// outputs or the new ones, never a mix, and a crash before the swap leaves the previous outputs.
/// Uses Linux's atomic exchange of two paths; files a user put in the output folder (not quern's)
/// are carried over.
public struct OutputPublisher: Sendable {
    public let output: String

    public init(output: String) {
        self.output = (output as NSString).standardizingPath
    }

    var parent: String { (output as NSString).deletingLastPathComponent.isEmpty ? "." : (output as NSString).deletingLastPathComponent }
    var name: String { (output as NSString).lastPathComponent }

    /// A new, empty staging folder beside the output.
    public func makeStaging() throws -> String {
        try AtomicFile.makeFolders(parent, for: "create the folder of the outputs")
        let staging = "\(parent)/.\(name).staging-\(getpid())"
        try? FileManager.default.removeItem(atPath: staging)
        guard mkdir(staging, 0o755) == 0 else { throw StorageError.io(path: staging, operation: "create the staging folder", errno: errno) }
        quern_track_staging(staging)  // SIGINT or SIGTERM removes it (the C handler)
        return staging
    }

    /// Removes staging folders left by merges that were killed (the caller holds the output lock).
    public func sweepStaleStaging() {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: parent)) ?? []
        for n in names where n.hasPrefix(".\(name).staging-") || n.hasPrefix(".\(name).old-") {
            try? FileManager.default.removeItem(atPath: "\(parent)/\(n)")
        }
    }

    /// Is `file` one quern writes into output folders (and so replaces)?
    public static func isQuernOutput(_ file: String) -> Bool {
        file == "preprocessing_stats.json" || file == OutputChecksums.fileName || (file.hasPrefix("X_") && file.hasSuffix(".npy"))
            || ((file.hasPrefix("labels_") || file.hasPrefix("masks_")) && file.hasSuffix(".npz"))
    }

    /// Swaps `staging` in as the output folder.
    public func publish(_ staging: String) throws {
        // From here an interrupt leaves the folder to the next merge's sweep: mid-publish it may
        // hold the new outputs.
        quern_track_staging(nil)
        let fm = FileManager.default
        AtomicFile.syncFolder(of: "\(staging)/x")
        var isDir: ObjCBool = false
        guard fm.fileExists(atPath: output, isDirectory: &isDir) else {
            guard rename(staging, output) == 0 else { throw StorageError.io(path: output, operation: "publish the outputs", errno: errno) }
            AtomicFile.syncFolder(of: output)
            return
        }
        guard isDir.boolValue else { throw StorageError.io(path: output, operation: "publish into (it is a file, not a folder)", errno: ENOTDIR) }
        for f in (try? fm.contentsOfDirectory(atPath: output)) ?? [] where !Self.isQuernOutput(f) && !fm.fileExists(atPath: "\(staging)/\(f)") {
            if link("\(output)/\(f)", "\(staging)/\(f)") != 0 { try? fm.copyItem(atPath: "\(output)/\(f)", toPath: "\(staging)/\(f)") }
        }
        if quern_rename_exchange(staging, output) == 0 {
            AtomicFile.syncFolder(of: output)
            try? fm.removeItem(atPath: staging)  // now holds the previous outputs
            return
        }
        // No atomic exchange here (an old kernel or filesystem): move aside, then in.
        let old = "\(parent)/.\(name).old-\(getpid())"
        guard rename(output, old) == 0 else { throw StorageError.io(path: output, operation: "move the previous outputs aside", errno: errno) }
        guard rename(staging, output) == 0 else {
            let e = errno
            rename(old, output)
            throw StorageError.io(path: output, operation: "publish the outputs", errno: e)
        }
        AtomicFile.syncFolder(of: output)
        try? fm.removeItem(atPath: old)
    }
}
