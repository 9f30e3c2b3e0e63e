import Foundation

/// A temporary folder for one test, removed when the value is released.
final class TempFolder {
    let path: String

    init(_ label: String) {
        path = "\(FileManager.default.temporaryDirectory.path)/\(label)-\(UUID().uuidString.prefix(8))"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }
}
