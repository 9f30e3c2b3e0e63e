#if canImport(Glibc)
    import Glibc
#endif

/// What a person can do about a failed system call, by its `errno`: one wording for the host's
/// storage errors and the plugins' own (``PluginError/io(path:operation:errno:)``).
public enum ErrnoHint {
    /// A sentence starting with a space ("" when there is nothing better to say than the system's
    /// reason itself).
    public static func sentence(_ code: Int32) -> String {
        var hint = ""
        if code == ENOSPC { hint = " Free some space (or choose another folder) and run again: finished work is kept." }
        if code == EACCES || code == EROFS { hint = " Check the folder's permissions or pick another with the flags." }
        if code == ENOENT { hint = " Check that the path exists." }
        if code == ENOTDIR { hint = " A part of this path is a file, not a folder: pick another path with the flags." }
        if code == EMFILE || code == ENFILE {
            hint =
                " Quern keeps a few files open per worker: raise the limit (`ulimit -n 4096`) or lower --workers, and run again: finished work is kept."
        }
        if code == ENOMEM {
            hint = " Lower --memory-limit or --workers, or free memory, and run again: finished work is kept."
        }
        if code == EDQUOT {
            hint = " The disk quota is used up: free some space (or choose another folder) and run again."
        }
        return hint
    }
}
