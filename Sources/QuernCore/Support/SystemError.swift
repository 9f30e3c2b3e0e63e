import Foundation
import QuernKit

#if canImport(Glibc)
    import Glibc
#endif

/// Turns errors from Foundation (`CocoaError`, `NSError`: `NSCocoaErrorDomain Code=640`, "error
/// 256") into what a person can act on: the system's reason (no space left on device, too many
/// open files), the path, and what to do, as ``StorageError/io(path:operation:errno:)`` says it.
/// Foundation often keeps the errno only as an underlying error, or only as a Cocoa code.
public enum SystemError {
    /// The errno `error` carries, if any: a ``StorageError/io(path:operation:errno:)``, a
    /// `POSIXError`, an `NSError` of the POSIX domain, or a Cocoa file error (its underlying POSIX
    /// error, else the errno its code stands for).
    public static func errno(of error: any Error) -> Int32? {
        if case StorageError.io(_, _, let code) = error { return code }
        if case PluginError.io(_, _, let code) = error { return code }
        if let p = error as? POSIXError { return p.code.rawValue }
        let ns = error as NSError
        if ns.domain == NSPOSIXErrorDomain { return Int32(ns.code) }
        guard ns.domain == NSCocoaErrorDomain else { return nil }
        if let under = ns.userInfo[NSUnderlyingErrorKey] as? NSError, let code = errno(of: under) { return code }
        switch ns.code {
        case CocoaError.fileWriteOutOfSpace.rawValue: return ENOSPC
        case CocoaError.fileWriteNoPermission.rawValue, CocoaError.fileReadNoPermission.rawValue: return EACCES
        case CocoaError.fileNoSuchFile.rawValue, CocoaError.fileReadNoSuchFile.rawValue: return ENOENT
        case CocoaError.fileWriteVolumeReadOnly.rawValue: return EROFS
        case CocoaError.fileWriteFileExists.rawValue: return EEXIST
        case CocoaError.fileReadTooLarge.rawValue: return EFBIG
        default: return nil
        }
    }

    /// Whether `error` comes from Foundation rather than from quern's own error types.
    public static func isFoundation(_ error: any Error) -> Bool {
        if error is CocoaError || error is POSIXError { return true }
        let domain = (error as NSError).domain
        return domain == NSCocoaErrorDomain || domain == NSPOSIXErrorDomain
    }

    /// The path a Foundation error names, if any.
    public static func path(of error: any Error) -> String? {
        let info = (error as NSError).userInfo
        if let p = info[NSFilePathErrorKey] as? String { return p }
        if let u = info[NSURLErrorKey] as? URL { return u.path }
        return nil
    }

    /// `error` as a ``StorageError`` naming `path` and `operation` when it carries an errno; else
    /// `error` unchanged. For the places that call Foundation on a file of their own.
    public static func storageError(_ error: any Error, path: String, operation: String) -> any Error {
        guard let code = errno(of: error) else { return error }
        if case StorageError.io = error { return error }
        if case PluginError.io = error { return error }
        return StorageError.io(path: path, operation: operation, errno: code)
    }

    /// The message for `error`: quern's own errors as they describe themselves; Foundation's in
    /// words, with the path and what to do, never their dump.
    public static func message(_ error: any Error) -> String {
        guard isFoundation(error) else { return "\(error)" }
        let path = path(of: error) ?? "a file quern was using"
        if let code = errno(of: error) {
            return StorageError.io(path: path, operation: "complete a file operation", errno: code).description
        }
        // Foundation's own text for these is "The operation could not be completed": say no more
        // than is known, with the code for a bug report.
        return
            "\(path): a file operation failed without a system reason (code \((error as NSError).code)); run again, and report it if it persists."
    }
}
