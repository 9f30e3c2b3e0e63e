public import QuernKit

#if canImport(Glibc)
    import Glibc
#endif

/// Each kept row's result (``RowBatch/results``, one JSON value a row: the `command` extractor's
/// `result`) as one newline-terminated line of `results_<split>.jsonl`, besides the arrays. The
/// host publishes the files with the other outputs, so a reader sees whole files of exactly the
/// journal's rows or the previous ones.
public struct JSONLinesWriter: OutputWriter, OutputWriterPlugin {
    public static let name = "jsonl"
    public static let summary =
        "also each row's result as one JSON line of results_<split>.jsonl (needs the command extractor)"
    public static let options: [OptionSpec] = []

    public static func make(_ options: PluginOptions) throws -> any OutputWriter { JSONLinesWriter() }

    public init() {}
    public var name: String { Self.name }
    public var resultsExtension: String? { "jsonl" }

    public func open(path: String) throws -> any ResultSink { try JSONLinesSink(path: path) }
}

/// One results file being written: lines gathered in a buffer, written in large pieces, synced at
/// the end.
final class JSONLinesSink: ResultSink {
    let path: String
    private var fd: Int32
    private var buffer: [UInt8] = []
    private var rows = 0
    static let flushBytes = 1 << 20

    init(path: String) throws {
        self.path = path
        fd = Glibc.open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw PluginError.io(path: path, operation: "create", errno: errno) }
        buffer.reserveCapacity(Self.flushBytes + 4096)
    }

    deinit { if fd >= 0 { close(fd) } }

    func write(result: UnsafeBufferPointer<UInt8>) throws {
        // One line a row: a value with a line break in it (never one the command extractor
        // keeps, which checks each reply) would make two.
        guard !result.isEmpty, !result.contains(0x0A), !result.contains(0x0D) else {
            throw PluginError.badData(
                "\(path): row \(rows + 1)'s result is empty or spans lines; a result must be one JSON value on one line."
            )
        }
        buffer.append(contentsOf: result)
        buffer.append(0x0A)
        rows += 1
        if buffer.count >= Self.flushBytes { try flush() }
    }

    private func flush() throws {
        try buffer.withUnsafeBytes { raw in
            var done = 0
            while done < raw.count {
                let n = Glibc.write(fd, raw.baseAddress! + done, raw.count - done)
                if n < 0 {
                    if errno == EINTR { continue }
                    throw PluginError.io(path: path, operation: "write", errno: errno)
                }
                done += n
            }
        }
        buffer.removeAll(keepingCapacity: true)
    }

    func finish() throws -> Int {
        try flush()
        guard fsync(fd) == 0 else { throw PluginError.io(path: path, operation: "fsync", errno: errno) }
        close(fd)
        fd = -1
        return rows
    }
}
