public import QuernKit

/// Runs a program of the user's (any language) on each record: quern starts it once per worker
/// (argv as given, no shell), sends it the records as JSON Lines on its stdin and reads one JSON
/// line back per record, with the row's features, labels and masks, a `result` for the `jsonl`
/// writer, a `skip`, or an `error` (possibly retryable), and what the record cost. The protocol,
/// versioned, is in docs/api-jobs.md; the program's header line declares the schema.
///
/// A program that dies is started again, once per file, and the file goes on from the record it
/// died on; a second death in the file fails the file (with the program's last stderr lines),
/// and the records it answered are never sent again. A record with no reply within
/// `timeout` fails (the program is ended and started again); one the program marks retryable is
/// sent again after `backoff`, doubling, up to `retries` times. `rate_limit` spaces the records of
/// all workers. Each record's cost is journaled per batch, and `extract.budget` holds the run to it.
public struct CommandExtractor: Extractor, ExtractorPlugin {
    public static let name = "command"
    public static let summary = "runs your program on each record (JSON Lines on stdin/stdout): rows, results, costs"
    public static let options: [OptionSpec] = [
        OptionSpec(
            "command", .stringList, required: true,
            help: "the program and its arguments, as a list: [python3, worker.py, --model, small]; no shell is used"),
        OptionSpec(
            "columns", .stringList,
            help: "the input columns sent to the program; a file without one of them fails. Unset: all of them"),
        OptionSpec("timeout", .double, default: "60", help: "seconds to wait for the reply to one record"),
        OptionSpec(
            "startup_timeout", .double, default: "60",
            help: "seconds to wait for the program's header line after it starts"),
        OptionSpec(
            "retries", .int(0...100), default: "3",
            help: "times a record the program marks retryable (\"retry\": true) is sent again"),
        OptionSpec(
            "backoff", .double, default: "1",
            help: "seconds before the first retry of a record; each further retry waits twice as long"),
        OptionSpec(
            "rate_limit", .double,
            help: "most records sent per second, all workers together (retries count). Unset: no limit"),
    ]

    public static func make(_ options: PluginOptions) throws -> any Extractor {
        let argv = options.stringList("command") ?? []
        guard let first = argv.first, !first.isEmpty else {
            throw PluginError.invalidOptions(
                "option 'command' of extractor 'command' is empty: give the program and its arguments as a list, e.g. command: [python3, worker.py]."
            )
        }
        if argv.count == 1, first.contains(" ") {
            throw PluginError.invalidOptions(
                "option 'command' of extractor 'command' is one string with spaces ('\(OneLine.escape(first))'): quern runs no shell, so write the program and each argument as a list, e.g. command: [\(first.split(separator: " ").map(String.init).joined(separator: ", "))]."
            )
        }
        func positive(_ key: String, orZero: Bool = false) throws -> Double? {
            guard let v = options.double(key) else { return nil }
            guard v.isFinite, orZero ? v >= 0 : v > 0 else {
                throw PluginError.badOptionValue(
                    plugin: name, kind: .extractor, option: key, value: "\(v)",
                    expected: orZero ? "a number >= 0" : "a number > 0", valid: Self.options.map(\.name))
            }
            return v
        }
        return CommandExtractor(
            argv: argv, columns: options.stringList("columns"), timeout: try positive("timeout") ?? 60,
            startupTimeout: try positive("startup_timeout") ?? 60, retries: options.int("retries") ?? 3,
            backoff: try positive("backoff", orZero: true) ?? 1, rateLimit: try positive("rate_limit"))
    }

    public let argv: [String]
    public let columns: [String]?
    public let timeout: Double
    public let retries: Int
    public let backoff: Double
    let pool: ProgramPool
    let limiter: RateLimiter?
    public var name: String { Self.name }
    public var makesResults: Bool { true }

    init(
        argv: [String], columns: [String]?, timeout: Double, startupTimeout: Double, retries: Int, backoff: Double,
        rateLimit: Double?
    ) {
        self.argv = argv
        self.columns = columns
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        pool = ProgramPool(argv: argv, startupTimeout: startupTimeout)
        limiter = rateLimit.map { RateLimiter(perSecond: $0) }
    }

    /// What decides the rows: the program and the columns it is sent. Timeouts, retries and the
    /// rate change how the work is done, not what it gives, so changing them keeps the batches.
    public var optionsText: String {
        var out: [UInt8] = Array("command=".utf8)
        for a in argv {
            JSONValue.quoted(a, into: &out)
            out.append(0x20)
        }
        if let columns {
            out += Array(";columns=".utf8)
            for c in columns {
                JSONValue.quoted(c, into: &out)
                out.append(0x20)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The indexes of the columns sent, or an error naming the one missing.
    func sent(_ fileColumns: [String]) throws -> [Int] {
        guard !fileColumns.isEmpty else {
            throw ExtractorError.missingColumn(
                name: columns?.first ?? "(any)", role: "a column to send to the command's program", columns: fileColumns
            )
        }
        guard let columns else { return Array(fileColumns.indices) }
        return try columns.map { c in
            guard let i = fileColumns.firstIndex(of: c) else {
                throw ExtractorError.missingColumn(
                    name: c, role: "a column the command's program is sent (option columns)", columns: fileColumns)
            }
            return i
        }
    }

    public func schema(columns fileColumns: [String]) throws -> FeatureSchema {
        _ = try sent(fileColumns)
        return try pool.schema(columns: columns ?? fileColumns)
    }

    public func bind(columns fileColumns: [String], schema: FeatureSchema, missing: MissingValues) throws
        -> any BoundExtractor
    {
        let sent = try sent(fileColumns)
        let program = try pool.take(columns: columns ?? fileColumns)
        let lease = ProgramLease(pool: pool, program: program)
        guard program.schema == schema else {
            throw ExtractorError.conflictsWithRun(
                "the command's program now declares another schema (features \(program.schema.featureNames.count), labels \(program.schema.labels.map(\.name))) than the run's (features \(schema.featureNames.count), labels \(schema.labels.map(\.name))): a run takes one schema. Use a new --intermediate-dir, or --restart."
            )
        }
        return BoundCommand(extractor: self, lease: lease, columns: fileColumns, sent: sent, schema: schema)
    }
}
