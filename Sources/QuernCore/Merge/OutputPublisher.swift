import CQuernSys
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Publishes a merge's outputs into the output folder, and touches nothing else there.
///
/// The outputs are written into a staging folder beside the output folder (inside it when it is a
/// mount point, `/`, or its parent cannot be written: a file renamed into a folder must come from
/// the same mount). Publishing then renames each output file into the output folder, replacing
/// the file of the same name; files of the previous merge that the new set lacks are removed.
/// Which files are quern's is what `.quern-outputs.json` (`OutputManifest`) lists: anything else
/// in the folder (a user's files, folders, links) stays exactly as it is, and the folder itself is
/// never renamed or replaced, so a symlinked folder stays a link and a mount point works.
///
/// Crash safety: until the staging folder's record is written (the commit point), a crash leaves
/// the previous outputs untouched and the next merge removes the staging folder. After it, the
/// next merge into the folder first finishes moving the files (`recover`), so the folder holds
/// the new set; only a reader looking while files are moved (milliseconds) or before that next
/// merge sees some new files beside old ones. `preprocessing_stats.json` is moved last.
///
/// The output folder is resolved once (`UserPath.resolved`: absolute, symlinks followed), and the
/// lock is taken on the resolved folder, so every spelling of one folder takes the same lock.
public struct OutputPublisher: Sendable {
    /// The output folder as the user named it (for messages).
    public let output: String
    /// The output folder, resolved: where the outputs go, whatever the spelling.
    public let folder: String
    /// Where the staging folders and the lock live: the folder's parent, or the folder itself.
    public let home: String
    let stagingPrefix: String
    let lockName: String

    public init(output: String) {
        self.output = output
        let folder = UserPath.resolved(output.isEmpty ? "." : output)
        self.folder = folder
        var st = stat()
        let exists = stat(folder, &st) == 0
        let parent = UserPath.parent(of: folder)
        let beside =
            folder != "/" && (!exists || (!MountPoint.isMountPoint(folder) && access(parent, W_OK | X_OK) == 0))
        if beside {
            let name = UserPath.lastComponent(of: folder)
            home = parent
            stagingPrefix = OutputFolderLayout.stagingPrefix(besideFolderNamed: name)
            lockName = OutputFolderLayout.lock(besideFolderNamed: name)
        } else {
            home = folder
            stagingPrefix = OutputFolderLayout.stagingPrefixInside
            lockName = OutputFolderLayout.lockInside
        }
    }

    /// Takes the output folder's lock (creating the folders it needs), held while the value lives.
    public func lock() throws -> FolderLock {
        try AtomicFile.makeFolders(home, for: "create the folder of the outputs")
        return try FolderLock(folder: home, name: lockName)
    }

    /// With the lock held: finishes a publish that a killed merge left half done, and removes the
    /// staging folders of merges killed before publishing. True when a publish was finished.
    @discardableResult
    public func recover() throws -> Bool {
        var finished = false
        for name in ((try? FileManager.default.contentsOfDirectory(atPath: home)) ?? []).sorted()
        where name.hasPrefix(stagingPrefix) {
            let staging = "\(home)/\(name)"
            if let record = OutputManifest.read(from: staging) {
                try finish(staging, record)
                finished = true
            } else {
                try? FileManager.default.removeItem(atPath: staging)
            }
        }
        return finished
    }

    /// A new, empty staging folder (beside the output folder, or inside it).
    public func makeStaging() throws -> String {
        try AtomicFile.makeFolders(home, for: "create the folder of the outputs")
        let staging = "\(home)/\(OutputFolderLayout.staging(prefix: stagingPrefix, pid: getpid()))"
        try? FileManager.default.removeItem(atPath: staging)
        guard mkdir(staging, 0o755) == 0 else {
            throw StorageError.io(path: staging, operation: "create the staging folder", errno: errno)
        }
        quern_track_staging(staging)  // SIGINT or SIGTERM removes it (the C handler)
        return staging
    }

    /// Removes a staging folder that will not be published, unless its publish was committed
    /// (then the next merge finishes it: removing it would leave a half-published folder).
    public static func discard(_ staging: String) {
        guard OutputManifest.read(from: staging) == nil else { return }
        try? FileManager.default.removeItem(atPath: staging)
    }

    /// Names quern publishes its outputs under that are taken by a folder in `folder` (a folder is
    /// never replaced): pre-flight refuses them before any work.
    public static func blockedNames(in folder: String) -> [String] {
        OutputFolderLayout.legacyNames.filter { name in
            var st = stat()
            return lstat("\(folder)/\(name)", &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR
        }
    }

    /// Is `file` one quern writes into output folders (and so replaces)? See ``OutputFolderLayout/isOutput(_:)``.
    public static func isQuernOutput(_ file: String) -> Bool { OutputFolderLayout.isOutput(file) }

    /// Publishes the files of `staging` (its regular files whose names do not start with a dot)
    /// into the output folder.
    public func publish(_ staging: String) throws {
        // From here an interrupt leaves the staging folder to the next merge: once the record is
        // written it is the only copy of outputs that may be half moved in.
        quern_track_staging(nil)
        var names: [String] = []
        for name in try FileManager.default.contentsOfDirectory(atPath: staging) where OutputManifest.isPlainName(name)
        {
            var st = stat()
            if lstat("\(staging)/\(name)", &st) == 0 && (st.st_mode & S_IFMT) == S_IFREG { names.append(name) }
        }
        names.sort { ($0 == OutputFolderLayout.stats ? 1 : 0, $0) < ($1 == OutputFolderLayout.stats ? 1 : 0, $1) }
        try AtomicFile.makeFolders(folder, for: "create the output folder")
        // Refused before anything moves: a folder of the user's under the name of an output file.
        for name in names {
            var st = stat()
            if lstat("\(folder)/\(name)", &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR {
                throw StorageError.io(
                    path: "\(folder)/\(name)",
                    operation:
                        "publish the output file \(name) over it (it is a folder; move it away and run the merge again)",
                    errno: EISDIR)
            }
        }
        let previous = OutputManifest.currentFiles(in: folder)
        let record = OutputManifest(files: names, remove: previous.filter { !names.contains($0) })
        try AtomicFile.write(record.text, to: "\(staging)/\(OutputManifest.fileName)")  // the commit point
        try finish(staging, record)
    }

    /// Moves the files of a committed staging folder into the output folder (those still there:
    /// a killed publish may have moved some), removes the previous set's leftovers, records the
    /// new set and removes the staging folder.
    func finish(_ staging: String, _ record: OutputManifest) throws {
        try AtomicFile.makeFolders(folder, for: "create the output folder")
        for (i, name) in record.files.enumerated() {
            var st = stat()
            guard lstat("\(staging)/\(name)", &st) == 0 else { continue }
            guard rename("\(staging)/\(name)", "\(folder)/\(name)") == 0 else {
                let e = errno
                throw StorageError.io(
                    path: "\(folder)/\(name)",
                    operation:
                        "publish the outputs (\(i) of \(record.files.count) files are in; the next `quern merge` into this folder moves in the rest from \(staging))",
                    errno: e)
            }
            CrashPoint.reached("output-moved")
        }
        AtomicFile.syncFolder(of: "\(folder)/\(OutputManifest.fileName)")
        for name in record.remove ?? [] where !record.files.contains(name) {
            var st = stat()
            // Only files and links: a folder is never removed, even under a listed name.
            guard lstat("\(folder)/\(name)", &st) == 0,
                (st.st_mode & S_IFMT) == S_IFREG || (st.st_mode & S_IFMT) == S_IFLNK
            else { continue }
            if unlink("\(folder)/\(name)") != 0 && errno != ENOENT {
                throw StorageError.io(
                    path: "\(folder)/\(name)", operation: "remove this output of the previous merge", errno: errno)
            }
        }
        try AtomicFile.write(OutputManifest(files: record.files).text, to: "\(folder)/\(OutputManifest.fileName)")
        // The record first: a staging folder without one is debris the next merge removes.
        unlink("\(staging)/\(OutputManifest.fileName)")
        try? FileManager.default.removeItem(atPath: staging)
    }
}
