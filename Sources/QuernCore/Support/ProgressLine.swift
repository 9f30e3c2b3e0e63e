import CQuernSys
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// One redraw of the progress bar, fitted to the terminal so it never wraps: a line longer than
/// the terminal wraps, and `\r` then returns to the start of the last row only, leaving a stale
/// line per redraw (26 of them in one 80-column run before this).
public enum ProgressLine {
    /// The widest bar drawn, in characters.
    static let barWidth = 28
    /// The narrowest bar worth drawing; below it the line is the label, percent and stats.
    static let minimumBar = 6

    /// `label [####....]  42%  stats`, at most `columns - 1` characters: the last column stays
    /// free because writing into it leaves some terminals about to wrap.
    public static func render(label: String, fraction: Double, stats: String, columns: Int) -> String {
        let room = max(columns - 1, 1)
        let pct = String(format: "%3.0f%%", min(max(fraction, 0), 1) * 100)
        // Everything but the bar: "label [" + "] " + pct + "  " + stats.
        let fixed = label.count + 2 + 2 + pct.count + 2 + stats.count
        let width = min(barWidth, room - fixed)
        let line: String
        if width >= minimumBar {
            let filled = Int((min(max(fraction, 0), 1) * Double(width)).rounded(.down))
            line =
                "\(label) [\(String(repeating: "#", count: filled))\(String(repeating: ".", count: width - filled))] \(pct)  \(stats)"
        } else {
            line = "\(label) \(pct)  \(stats)"
        }
        return line.count <= room ? line : String(line.prefix(room))
    }
}

/// The width of the terminal quern draws on (stderr): the terminal's own size (TIOCGWINSZ), else
/// `$COLUMNS`, else 80. Asked at every redraw, so resizing the window takes effect at once.
public enum TerminalWidth {
    public static let fallback = 80

    public static func columns() -> Int {
        columns(fd: STDERR_FILENO, environment: ProcessInfo.processInfo.environment)
    }

    public static func columns(fd: Int32, environment: [String: String]) -> Int {
        let asked = Int(quern_terminal_columns(fd))
        if asked > 0 { return asked }
        if let text = environment["COLUMNS"], let n = Int(text.trimmingCharacters(in: .whitespaces)), n > 0 { return n }
        return fallback
    }
}
