import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Whether a folder is where a file system (or a bind mount) is mounted. A mount point cannot be
/// renamed or replaced ("Device or resource busy"), and nothing can be renamed into it from beside
/// it (another mount: EXDEV), so work files for it must live inside it.
public enum MountPoint {
    /// `path` must be absolute and resolved (`UserPath.resolved`). On Linux the mount table of
    /// this process (`/proc/self/mountinfo`) decides, which also sees bind mounts of a folder of
    /// the same file system; elsewhere, a device that differs from the parent's.
    public static func isMountPoint(_ path: String) -> Bool {
        if let table = FileManager.default.contents(atPath: "/proc/self/mountinfo") {
            return mountPoints(inMountInfo: String(decoding: table, as: UTF8.self)).contains(path)
        }
        var st = stat()
        var up = stat()
        guard stat(path, &st) == 0, stat(UserPath.parent(of: path), &up) == 0 else { return false }
        return st.st_dev != up.st_dev || st.st_ino == up.st_ino
    }

    /// The mount points of a `mountinfo` table (the fifth field of each line), with the kernel's
    /// octal escapes (`\040` for a space, `\012` for a newline, `\134` for a backslash) decoded.
    static func mountPoints(inMountInfo table: String) -> Set<String> {
        var points = Set<String>()
        for line in table.split(separator: "\n") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: false)
            guard fields.count > 4 else { continue }
            points.insert(unescape(fields[4]))
        }
        return points
    }

    static func unescape(_ field: Substring) -> String {
        var bytes: [UInt8] = []
        let raw = Array(field.utf8)
        var i = 0
        while i < raw.count {
            if raw[i] == UInt8(ascii: "\\"), i + 3 < raw.count,
                let v = UInt8(String(decoding: raw[(i + 1)...(i + 3)], as: UTF8.self), radix: 8)
            {
                bytes.append(v)
                i += 4
            } else {
                bytes.append(raw[i])
                i += 1
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
