#if canImport(Glibc)
    import Glibc
#endif

/// Shell-style name matching (`f*`, `game_??.csv`, `[ab]*`), as `fnmatch(3)` does it.
public enum Glob {
    public static func matches(_ name: String, _ pattern: String) -> Bool {
        fnmatch(pattern, name, 0) == 0
    }

    public static func isPattern(_ s: String) -> Bool {
        s.contains { "*?[".contains($0) }
    }
}
