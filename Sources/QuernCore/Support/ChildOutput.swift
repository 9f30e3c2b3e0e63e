import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// The output of a child that ``ChildProcess`` runs, on its way to the console and the run's log:
/// each line prefixed with the child's name, in batches (one log event for many lines, not an
/// fsynced event a line), and bounded: the first ``keptBytes`` of a child's output (stdout and
/// stderr together) are kept, a line longer than ``lineBytes`` is cut, and what is cut is counted
/// and reported once the child is done. A hook that prints a million lines, or one 20 MB line,
/// must not outlast its timeout in quern's logging or fill the log folder.
final class ChildOutput: Sendable {
    /// Output kept per child, stdout and stderr together.
    static let keptBytes = 1 << 20
    /// The longest line kept whole; the rest of a longer line is counted, not kept.
    static let lineBytes = 64 << 10
    /// Lines wait at most this long (or until 64 KiB have gathered) before they are written.
    static let flushSeconds = 0.2

    let name: String
    let console: Console
    private let budget = Mutex<(left: Int, cutBytes: Int, cutLines: Int)>((keptBytes, 0, 0))
    private let tailLines = Mutex<[String]>([])

    init(name: String, console: Console) {
        self.name = name
        self.console = console
    }

    /// The last lines the child wrote to stderr (kept whatever the budget).
    var stderrTail: [String] { tailLines.withLock { $0 } }

    /// Writes `lines` of one stream as one message, as far as the budget allows.
    func emit(_ lines: [LineSplitter.Line], isStderr: Bool) {
        guard !lines.isEmpty else { return }
        if isStderr {
            tailLines.withLock { tail in
                tail.append(contentsOf: lines.suffix(20).map(\.text))
                if tail.count > 20 { tail.removeFirst(tail.count - 20) }
            }
        }
        var text = ""
        budget.withLock { b in
            for line in lines {
                let cost = line.text.utf8.count + 1
                guard b.left >= cost else {
                    b.left = 0
                    b.cutBytes += cost + line.cut
                    b.cutLines += 1
                    continue
                }
                b.left -= cost
                if !text.isEmpty { text += "\n" }
                text += "[\(name)] \(line.text)"
                if line.cut > 0 { text += " [\(Human.count(line.cut)) more bytes of this line were not kept]" }
            }
        }
        if !text.isEmpty { console.info(text) }
    }

    /// Says how much of the child's output was not kept, if any was cut.
    func finish() {
        let (bytes, lines) = budget.withLock { ($0.cutBytes, $0.cutLines) }
        guard lines > 0 else { return }
        console.info(
            "[\(name)] \(Human.count(bytes)) more bytes (\(Human.count(lines)) lines) of its output were not kept: quern keeps the first \(Human.bytes(Self.keptBytes)) of what each hook or child quern writes."
        )
    }

    /// Reads `fd` until its end, or until `wake` becomes readable or hung up (the child is done
    /// and whatever still holds the pipe is not waited for). This thread owns `fd` and closes it
    /// itself: a descriptor closed under a reader blocked in read() may be reused by another file,
    /// which the reader would then read or close.
    func pump(fd: Int32, wake: Int32, isStderr: Bool) {
        var splitter = LineSplitter()
        var lines: [LineSplitter.Line] = []
        var gathered = 0
        var since = 0.0
        var buf = [UInt8](repeating: 0, count: 1 << 16)
        func flush() {
            emit(lines, isStderr: isStderr)
            lines.removeAll(keepingCapacity: true)
            gathered = 0
        }
        var fds = [
            pollfd(fd: fd, events: Int16(POLLIN), revents: 0), pollfd(fd: wake, events: Int16(POLLIN), revents: 0),
        ]
        reading: while true {
            let wait = lines.isEmpty ? -1 : max(0, Int32((since + Self.flushSeconds - monotonicSeconds()) * 1000))
            let ready = poll(&fds, 2, wait)
            if ready < 0 && errno == EINTR { continue }
            if ready < 0 || fds[1].revents != 0 { break }
            if fds[0].revents != 0 {
                let n = buf.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                if n < 0 && (errno == EINTR || errno == EAGAIN) { continue }
                if n <= 0 { break reading }
                let before = lines.count
                buf.withUnsafeBytes { splitter.feed(UnsafeRawBufferPointer(rebasing: $0[0..<n]), into: &lines) }
                if before == 0 && !lines.isEmpty { since = monotonicSeconds() }
                gathered += n
            }
            if !lines.isEmpty && (gathered >= 1 << 16 || monotonicSeconds() >= since + Self.flushSeconds) { flush() }
        }
        close(fd)
        splitter.finish(into: &lines)
        flush()
    }
}

/// Splits a byte stream into lines in one pass over each chunk, keeping at most
/// ``ChildOutput/lineBytes`` of a line and counting the rest. Hand-written so that a long line
/// arriving in many chunks is scanned once (appending and rescanning the whole pending line at
/// every chunk was quadratic: 8 s and 190 MB for one 20 MB line).
public struct LineSplitter: Sendable {
    public struct Line: Sendable, Equatable {
        public var text: String
        /// Bytes of this line that were not kept.
        public var cut: Int

        public init(text: String, cut: Int) {
            self.text = text
            self.cut = cut
        }
    }

    /// The longest line kept whole.
    public static var lineBytes: Int { ChildOutput.lineBytes }

    private var current: [UInt8] = []
    private var cut = 0

    public init() {}

    public mutating func feed(_ bytes: UnsafeRawBufferPointer, into lines: inout [Line]) {
        var start = 0
        while start < bytes.count {
            let end = memchr(bytes.baseAddress! + start, 10, bytes.count - start).map {
                UnsafeRawPointer($0) - bytes.baseAddress!
            }
            let stop = end ?? bytes.count
            let room = max(0, ChildOutput.lineBytes - current.count)
            let take = min(room, stop - start)
            current.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[start..<(start + take)]))
            cut += stop - start - take
            guard let end else { return }
            lines.append(Line(text: String(decoding: current, as: UTF8.self), cut: cut))
            current.removeAll(keepingCapacity: true)
            cut = 0
            start = end + 1
        }
    }

    /// The last line, when the stream did not end with a newline.
    public mutating func finish(into lines: inout [Line]) {
        guard !current.isEmpty || cut > 0 else { return }
        lines.append(Line(text: String(decoding: current, as: UTF8.self), cut: cut))
        current = []
        cut = 0
    }
}
