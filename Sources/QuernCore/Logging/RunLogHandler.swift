public import Logging

/// A swift-log handler that puts the console's messages (notes, warnings, errors) into the run's
/// log as `message` events. Combined with ``ConsoleLogHandler`` through `MultiplexLogHandler`, so
/// each handler keeps its own level: `--quiet` hides notes on the console, never in the log.
public struct RunLogHandler: LogHandler {
    public var logLevel: Logger.Level = .info
    public var metadata: Logger.Metadata = [:]
    let log: RunLog

    public init(log: RunLog, level: Logger.Level = .info) {
        self.log = log
        logLevel = level
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        let level = "\(event.level)"
        let prefix = event.level >= .warning ? "\(level): " : ""
        log.event(
            "message", text: prefix + event.message.description, ["level": level, "message": event.message.description])
    }
}
