import Foundation
public import Logging

/// The swift-log handler behind quern's console: messages go to stderr the way a person wants
/// to read them (`warning: ...`, plain info lines), without timestamps or labels. Other handlers
/// (a JSON Lines log file, say) can be added next to it with `MultiplexLogHandler`.
public struct ConsoleLogHandler: LogHandler {
    public var logLevel: Logger.Level = .info
    public var metadata: Logger.Metadata = [:]
    /// Called before a line is printed (the console clears its progress bar).
    let beforeWrite: @Sendable () -> Void

    public init(beforeWrite: @escaping @Sendable () -> Void = {}) {
        self.beforeWrite = beforeWrite
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        beforeWrite()
        let prefix: String
        switch event.level {
        case .warning: prefix = "warning: "
        case .error, .critical: prefix = "error: "
        default: prefix = ""
        }
        // Names are escaped where a message is made; this catches whatever a message still carries
        // (a hook's output, an error from elsewhere), so nothing reaching stderr acts on the terminal.
        FileHandle.standardError.write(
            Data((prefix + TerminalText.escape(event.message.description, keepingNewlines: true) + "\n").utf8))
    }
}
