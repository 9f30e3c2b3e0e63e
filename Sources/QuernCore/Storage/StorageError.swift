import QuernKit

#if canImport(Glibc)
    import Glibc
#endif

/// Errors reading or writing Quern's own files (batches, journal, outputs).
public enum StorageError: Error, CustomStringConvertible, Equatable {
    case io(path: String, operation: String, errno: Int32)
    case corruptBatch(path: String, reason: String)
    case tooLarge(path: String, what: String, limit: String)

    public var description: String {
        switch self {
        case .io(let path, let operation, let code):
            let why = String(cString: strerror(code))
            let hint = Self.hint(code)
            return "\(path): cannot \(operation): \(why).\(hint)"
        case .corruptBatch(let path, let reason):
            return "\(path): not a valid batch file: \(reason). It was not used; run `quern extract` again to redo it."
        case .tooLarge(let path, let what, let limit):
            return "\(path): \(what) is larger than \(limit); lower --rows-per-batch."
        }
    }

    /// What to do about a system error `code`, as a sentence starting with a space ("" when
    /// there is nothing better to say than the reason itself).
    public static func hint(_ code: Int32) -> String {
        ErrnoHint.sentence(code)
    }
}
