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
        var head = unnormalizedAbsolute(path)
        var tail: [FilePath.Component] = []
        while true {
            if let real = realPath(head.string) {
                var p = FilePath(real)
                p.append(tail.reversed())
                p.lexicallyNormalize()
                return p.string
            }
            guard let last = head.lastComponent else { break }
            tail.append(last)
            _ = head.removeLastComponent()
        }
        return absolute(path)
    }

    /// The nearest of `path` and its parents that exists (following links), or nil when none does
    /// (the current folder was removed). `o/results` → `.` when `o` does not exist yet.
    public static func nearestExisting(_ path: String) -> String? {
        var p = FilePath(path.isEmpty ? "." : path)
        var st = stat()
        while stat(p.string, &st) != 0 {
            if p.components.isEmpty { return nil }  // "/" itself is missing: nothing to climb to
            _ = p.removeLastComponent()
            if p.isEmpty { p = FilePath(".") }
            if p == FilePath("."), stat(".", &st) != 0 { return nil }
        }
        return p.string
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
