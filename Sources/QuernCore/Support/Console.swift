public import Foundation
public import Logging
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Where a long stage reports to a person: a redrawn progress bar on a terminal, plain lines
/// otherwise (at most one every few seconds), all on stderr so stdout stays for results.
public final class Console: Sendable {
    public let isTerminal: Bool
    public let quiet: Bool
    private let lastLine = Mutex<Double>(0)
    private let barShown = Mutex<Bool>(false)
    /// Messages (info, warnings) go through swift-log; the default handler prints them calmly.
    public let logger: Logger

    /// `quiet` hides notes and the progress bar. A given `logHandler` keeps the levels it was made
    /// with (a `MultiplexLogHandler` of the console and the run log, each at its own level).
    public init(quiet: Bool = false, isTerminal: Bool = isatty(STDERR_FILENO) == 1, logHandler: (any LogHandler)? = nil)
    {
        self.quiet = quiet
        self.isTerminal = isTerminal
        var logger = Logger(label: "quern") { _ in logHandler ?? ConsoleLogHandler() }
        if logHandler == nil { logger.logLevel = quiet ? .warning : .info }
        self.logger = logger
    }

    /// A line for the person running quern (stage headers, notes).
    public func info(_ text: String) {
        clearBar()
        logger.info("\(text)")
    }

    /// A detail shown with `--verbose` only (and always written to the run's log files).
    public func debug(_ text: String) {
        clearBar()
        logger.debug("\(text)")
    }

    public func warning(_ text: String) {
        clearBar()
        logger.warning("\(text)")
    }

    /// A result line, on stdout.
    public func result(_ text: String) {
        clearBar()
        FileHandle.standardOutput.write(Data((TerminalText.escape(text, keepingNewlines: true) + "\n").utf8))
    }

    /// Progress: `done` of `total` units, with rows and an ETA. `final` forces a plain line. On a
    /// terminal the bar is redrawn in place, cut to the terminal's width (``ProgressLine``).
    public func progress(
        label: String, done: Int, total: Int, unit: String, rows: Int, rowsPerSecond: Double, eta: Double?,
        final: Bool = false
    ) {
        guard !quiet else { return }
        let pct = total > 0 ? Double(done) / Double(total) : 1
        let etaText = eta.map { "ETA \(Human.duration($0))" } ?? "ETA --"
        let stats =
            "\(Human.count(done))/\(Human.count(total)) \(unit)  \(Human.count(rows)) rows  \(Human.count(Int(rowsPerSecond))) rows/s  \(final ? "done" : etaText)"
        if isTerminal {
            let text = ProgressLine.render(label: label, fraction: pct, stats: stats, columns: TerminalWidth.columns())
            let line = "\r\(text)\u{1B}[K"
            FileHandle.standardError.write(Data((final ? line + "\n" : line).utf8))
            barShown.withLock { $0 = !final }
        } else {
            let now = monotonicSeconds()
            let due = lastLine.withLock { last -> Bool in
                if final || now - last >= 2 {
                    last = now
                    return true
                }
                return false
            }
            if due {
                FileHandle.standardError.write(
                    Data("\(label): \(String(format: "%.0f%%", pct * 100))  \(stats)\n".utf8))
            }
        }
    }

    private func clearBar() {
        guard isTerminal else { return }
        let shown = barShown.withLock { s -> Bool in
            let was = s
            s = false
            return was
        }
        if shown { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
    }
}
