import Foundation
import QuernKit

#if canImport(Glibc)
    import Glibc
#endif

/// Finds the hooks of a hook point: the executable `<dir>/<point>`, every executable in
/// `<dir>/<point>.d/` in name order (whatever its name; only `*.sample` is ignored), then the
/// commands the config lists. Files without their run bit are reported, never run.
public struct HookCatalog: Sendable {
    public struct Hook: Sendable, Equatable {
        /// How it is named in messages: `pre-merge`, `pre-merge.d/10-check`, `pre-merge (config #1)`.
        public var name: String
        /// What runs: the file itself, or `/bin/sh -c COMMAND` for a config command.
        public var argv: [String]
    }

    public var settings: HookSettings

    public init(settings: HookSettings) {
        self.settings = settings
    }

    /// The hooks to run at `point`, and files found there that will not run (with why).
    public func hooks(at point: HookPoint) -> (run: [Hook], skipped: [(String, String)]) {
        guard settings.enabled else { return ([], []) }
        var run: [Hook] = []
        var skipped: [(String, String)] = []
        let dir = settings.dir
        let main = "\(dir)/\(point.name)"
        if isFile(main) {
            if isExecutable(main) {
                run.append(Hook(name: point.name, argv: [absolute(main)]))
            } else {
                skipped.append((point.name, "not executable (chmod +x to enable it)"))
            }
        }
        let folder = "\(main).d"
        // Listed by readdir, which keeps a name that is not UTF-8 apart (FileManager decodes it
        // lossily into a path that does not exist, and the hook would vanish without a word).
        let names = ((try? Discovery.entryNames(folder)) ?? []).sorted { $0.name.precedesInByteOrder($1.name) }
        for (n, invalid) in names where !n.hasSuffix(".sample") {
            if let invalid {
                skipped.append(
                    (
                        "\(point.name).d/\(Discovery.escapedBytes(invalid))",
                        "named with bytes that are not valid UTF-8, which quern cannot run (rename it to run it)"
                    ))
                continue
            }
            let path = "\(folder)/\(n)"
            guard isFile(path) else { continue }
            if isExecutable(path) {
                run.append(Hook(name: "\(point.name).d/\(n)", argv: [absolute(path)]))
            } else {
                skipped.append(("\(point.name).d/\(n)", "not executable (chmod +x to enable it)"))
            }
        }
        for (k, command) in (settings.commands[point.name] ?? []).enumerated() {
            run.append(Hook(name: "\(point.name) (config #\(k + 1))", argv: ["/bin/sh", "-c", command]))
        }
        return (run, skipped)
    }

    /// What is wrong with the hooks folder, or nil: a folder given on purpose that does not exist,
    /// and anything at its path that is not a folder (a file, a symlink loop, a dangling link).
    public func folderProblem() -> HookError? {
        guard settings.enabled else { return nil }
        let dir = settings.dir
        var st = stat()
        if stat(dir, &st) != 0 {
            let why = errno
            if why == ENOENT && !settings.dirGiven && !isSymlink(dir) { return nil }
            let what =
                why == ELOOP
                ? "is a symlink loop"
                : why == ENOENT ? "does not exist" : "cannot be read (\(String(cString: strerror(why))))"
            return .badFolder(path: dir, reason: what)
        }
        guard (st.st_mode & S_IFMT) == S_IFDIR else { return .badFolder(path: dir, reason: "is not a folder") }
        return nil
    }

    private func isSymlink(_ p: String) -> Bool {
        var st = stat()
        return lstat(p, &st) == 0 && (st.st_mode & S_IFMT) == S_IFLNK
    }

    /// Files at the top of the hooks folder that look like hooks but match no hook point (typos).
    public func strayNames() -> [(String, String?)] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: settings.dir)) ?? []
        let valid = HookPoint.all.map(\.name)
        return names.sorted().compactMap { n in
            let base = n.hasSuffix(".d") ? String(n.dropLast(2)) : n
            guard base.hasPrefix("pre-") || base.hasPrefix("post-"), !base.hasSuffix(".sample"), !valid.contains(base)
            else { return nil }
            return (n, closest(to: base, in: valid))
        }
    }

    private func isFile(_ p: String) -> Bool {
        var st = stat()
        return stat(p, &st) == 0 && (st.st_mode & S_IFMT) == S_IFREG
    }

    private func isExecutable(_ p: String) -> Bool { access(p, X_OK) == 0 }

    private func absolute(_ p: String) -> String {
        p.hasPrefix("/") ? p : FileManager.default.currentDirectoryPath + "/" + p
    }
}
