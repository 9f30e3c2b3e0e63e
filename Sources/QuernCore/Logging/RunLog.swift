import Foundation
import Synchronization

/// The log of one run: a JSON Lines file (`events.jsonl`, one event per line, every line ending in
/// a newline, written whole) and a human-readable file (`quern.log`), both appended
/// in the log folder, and optionally the same JSON events on stderr (`--log-format json`).
///
/// Every event has `ts` (UTC, ISO 8601 with milliseconds), `run_id`, `dataset`, `event` and, when
/// it belongs to one, `stage`; then its own fields (counts, `seconds`, `peak_rss_bytes`, `error`).
/// docs/formats.md lists the events.
public final class RunLog: Sendable {
    public static let eventsFile = "events.jsonl"
    public static let humanFile = "quern.log"
    public static let summaryFile = "summary.json"
    /// The config `quern run --datasets` inferred for a dataset that had none, in its log folder.
    public static let inferredConfigFile = "config.yaml"

    /// The log folder of a process: `base`, or for shard K of N (N > 1) its own subfolder
    /// `base/shard-K-of-N`. Shards share `base` from several nodes, where appends to one file are
    /// not atomic and each process would replace the others' `summary.json`.
    public static func folder(base: String, shard: Shard) -> String {
        shard.count > 1 ? "\(base)/shard-\(shard.index)-of-\(shard.count)" : base
    }

    public let runId: String
    public let dataset: String
    /// The log folder, or nil when the run writes no log files.
    public let dir: String?
    public let toStderr: Bool
    private let files: Mutex<(json: LineAppender, human: LineAppender)?>

    /// Opens (creating) the log folder and its two files. Throws a ``StorageError`` naming the folder
    /// when it cannot be written.
    public init(dir: String?, runId: String, dataset: String, toStderr: Bool = false) throws(StorageError) {
        self.runId = runId
        self.dataset = dataset
        self.dir = dir
        self.toStderr = toStderr
        if let dir {
            do {
                try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            } catch {
                // The real reason (a full disk, too many open files), not always "permission denied".
                var code = SystemError.errno(of: error) ?? EIO
                // Foundation does not always keep the reason (a file where a folder should be
                // gives EIO): the nearest existing parent tells.
                if code == EIO, let why = Preflight.unwritable(dir) {
                    code = why.contains("is a file") ? ENOTDIR : why.contains("not writable") ? EACCES : code
                }
                throw .io(path: dir, operation: "create the log folder (pass --log-dir or set paths.logs)", errno: code)
            }
            let json = try LineAppender(path: "\(dir)/\(Self.eventsFile)", durable: false)
            let human = try LineAppender(path: "\(dir)/\(Self.humanFile)", durable: false)
            files = Mutex((json, human))
        } else {
            files = Mutex(nil)
        }
    }

    /// Writes one event. `text` is the human line (the event name and fields when nil). Logging
    /// never stops a run: a failed write is reported once on stderr and the run goes on.
    public func event(_ name: String, stage: String? = nil, text: String? = nil, _ fields: [String: any Sendable] = [:])
    {
        let now = Date()
        var object: [String: Any] = ["ts": Self.timestamp(now), "run_id": runId, "dataset": dataset, "event": name]
        if let stage { object["stage"] = stage }
        for (k, v) in fields { object[k] = Self.jsonSafe(v) }
        let data =
            (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]))
            ?? Data("{}".utf8)
        let line = String(decoding: data, as: UTF8.self) + "\n"
        let human =
            "\(Self.timestamp(now))  \(dataset == "default" ? "" : "[\(dataset)] ")\(stage.map { "\($0): " } ?? "")\(text ?? Self.describe(name, fields))"
        if toStderr { FileHandle.standardError.write(Data(line.utf8)) }
        files.withLock { f in
            guard let handles = f else { return }
            do {
                try handles.json.append(line)
                try handles.human.append(TerminalText.escape(human, keepingNewlines: true))
            } catch {
                FileHandle.standardError.write(
                    Data(
                        "warning: cannot write the log in \(dir ?? "?"): \(error); logging stops, the run goes on.\n"
                            .utf8))
                f = nil
            }
        }
    }

    static func timestamp(_ date: Date) -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        f.timeZone = TimeZone(identifier: "UTC")
        return f.string(from: date)
    }

    static func jsonSafe(_ v: any Sendable) -> Any {
        switch v {
        case let d as Double: return d.isFinite ? (d * 1000).rounded() / 1000 : NSNull()
        case let o as String?: return o ?? NSNull()
        case let a as [any Sendable]: return a.map(jsonSafe)
        case let m as [String: any Sendable]: return m.mapValues(jsonSafe)
        default: return v
        }
    }

    static func describe(_ name: String, _ fields: [String: any Sendable]) -> String {
        let rest = fields.keys.sorted().map { "\($0)=\(fields[$0]!)" }.joined(separator: " ")
        return rest.isEmpty
            ? name.replacingOccurrences(of: "_", with: " ")
            : "\(name.replacingOccurrences(of: "_", with: " ")): \(rest)"
    }
}
