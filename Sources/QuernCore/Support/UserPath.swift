import SystemPackage

#if canImport(Glibc)
    import Glibc
#endif

/// The one way quern takes apart and resolves a path a user gave (a flag, a config value, a file
/// found in a folder): swift-system's `FilePath`, never Foundation's `NSString`/`URL` path
/// functions, which trap on Linux on some one-character names ("o", "-", "é") and expand `~` to
/// the account's home folder. Quern never expands `~`: the shell does, and a `~` that reaches
/// quern is a plain name. Strings in, strings out, as every path in quern is a `String`.
public enum UserPath {
    /// The folder that holds `path`: `a/b` → `a`, `b` → `.`, `/b` → `/`, `/` → `/`, `a/b/` → `a`.
    public static func parent(of path: String) -> String {
        let p = FilePath(path)
        if p.components.isEmpty { return p.root == nil ? "." : p.string }
        let up = p.removingLastComponent()
        return up.isEmpty ? "." : up.string
    }

    /// The last component of `path`: `a/b/` → `b`, `b` → `b`, `/` → `/`, `` → ``.
    public static func lastComponent(of path: String) -> String {
        let p = FilePath(path)
        return p.lastComponent?.string ?? p.string
    }

    /// `path` against the current folder, lexically normal (no `.`, `..` or trailing slash),
    /// without looking at the file system: `o/./x/` → `/cwd/o/x`, `` → `/cwd`.
    public static func absolute(_ path: String) -> String {
        var p = unnormalizedAbsolute(path)
        p.lexicallyNormalize()
        return p.string
    }

    /// The folder or file `path` names, resolved one way for every spelling of it: absolute, every
    /// symbolic link in the part that exists followed (`realpath`), the rest appended as written
    /// (lexically normal). `link`, `/abs/link`, `link/` and `./link/.` give the same result when
    /// `link` points to a folder. Used where two spellings must be recognized as one folder (the
    /// output folder's lock) and where a link must be followed rather than replaced.
    public static func resolved(_ path: String) -> String {
        let (root, components) = split(unnormalizedAbsolute(path))
        var st = stat()
        for k in stride(from: components.count, through: 0, by: -1) {
            // stat first: one system call, where realpath makes one per component.
            let prefix = joined(root, components[..<k])
            guard stat(prefix, &st) == 0, let real = realPath(prefix) else { continue }
            var p = FilePath(joined(real + "/", components[k...]))
            p.lexicallyNormalize()
            return p.string
        }
        return absolute(path)
    }

    /// The nearest of `path` and its parents that exists (following links), or nil when none does
    /// (the current folder was removed). `o/results` → `.` when `o` does not exist yet.
    public static func nearestExisting(_ path: String) -> String? {
        let (root, components) = split(FilePath(path.isEmpty ? "." : path))
        var st = stat()
        for k in stride(from: components.count, through: 0, by: -1) {
            let prefix = joined(root, components[..<k])
            if stat(prefix.isEmpty ? "." : prefix, &st) == 0 { return prefix.isEmpty ? "." : prefix }
        }
        return nil
    }

    // A path's root and components, taken apart once: FilePath's own mutations re-check the whole
    // path each time in debug builds, which makes climbing a path of thousands of components
    // (`d/d/d/...`, longer than PATH_MAX) take minutes.
    private static func split(_ p: FilePath) -> (root: String, components: [FilePath.Component]) {
        (p.root?.string ?? "", Array(p.components))
    }

    private static func joined(_ root: String, _ components: ArraySlice<FilePath.Component>) -> String {
        root + components.map(\.string).joined(separator: "/")
    }

    private static func unnormalizedAbsolute(_ path: String) -> FilePath {
        var p = FilePath(currentFolder())
        p.push(FilePath(path))
        return p
    }

    private static func currentFolder() -> String {
        guard let cwd = getcwd(nil, 0) else { return "/" }
        defer { free(cwd) }
        return String(cString: cwd)
    }

    private static func realPath(_ path: String) -> String? {
        guard let real = realpath(path, nil) else { return nil }
        defer { free(real) }
        return String(cString: real)
    }
}
