import Foundation

/// What one run did, written as `summary.json` in its log folder (atomically) and printed at the
/// end: status, rows, time, peak memory, each stage's status and seconds, and the failure reason.
/// A batch run (`--datasets`) reads each dataset's summary to make its own.
public struct RunSummary: Codable, Sendable, Equatable {
    /// ok, files_failed (done, but some input files were skipped) or failed.
    public var status: String
    public var dataset: String
    public var runId: String
    public var command: String
    public var exitStatus: Int32
    public var seconds: Double
    public var peakRssBytes: Int
    public var rowsExtracted: Int?
    /// Rows in the published outputs (train + val + test).
    public var rowsOut: Int?
    public var filesOK: Int?
    public var filesFailed: Int?
    /// Entries of the input folder that matched but were not read (FIFOs, devices, dangling links).
    public var filesSkipped: Int?
    public var batches: Int?
    public var outputDir: String?
    /// Input rows the extractor dropped because the config could not take them (a label missing,
    /// a label value it does not list), by reason; empty when none were.
    public var rowsDropped: [String: Int]?
    public var stages: [String: RunContext.StageRecord]
    public var error: String?
    /// What the user should know though the run succeeded (an empty val or test split).
    public var warnings: [String]?
    /// The quern that wrote it (``QuernVersion``); absent in summaries of quern before 0.9.
    public var quernVersion: String?

    enum CodingKeys: String, CodingKey {
        case status, dataset, command, seconds, stages, error, batches, warnings
        case runId = "run_id"
        case exitStatus = "exit_status"
        case peakRssBytes = "peak_rss_bytes"
        case rowsExtracted = "rows_extracted"
        case rowsOut = "rows_out"
        case filesOK = "files_ok"
        case filesFailed = "files_failed"
        case filesSkipped = "files_skipped"
        case outputDir = "output_dir"
        case rowsDropped = "rows_dropped"
        case quernVersion = "quern_version"
    }

    public init(
        status: String, dataset: String, runId: String, command: String, exitStatus: Int32, seconds: Double,
        stages: [String: RunContext.StageRecord]
    ) {
        self.status = status
        self.dataset = dataset
        self.runId = runId
        self.command = command
        self.exitStatus = exitStatus
        self.seconds = seconds
        self.stages = stages
        peakRssBytes = peakResidentBytes()
        quernVersion = QuernVersion.current
    }

    /// Rows the run produced: the outputs' rows after a merge, else the rows extracted.
    public var rows: Int? { rowsOut ?? rowsExtracted }

    public func write(to dir: String) throws {
        let e = JSONEncoder()
        e.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        try AtomicFile.write(
            String(decoding: try e.encode(self), as: UTF8.self) + "\n", to: "\(dir)/\(RunLog.summaryFile)")
    }

    public static func read(from dir: String) -> RunSummary? {
        guard let data = FileManager.default.contents(atPath: "\(dir)/\(RunLog.summaryFile)") else { return nil }
        return try? JSONDecoder().decode(RunSummary.self, from: data)
    }

    /// `discover 0.0 s, extract 2.1 s (95 MiB), merge 0.4 s (180 MiB), ... (total 3.0 s)` in stage
    /// order, with each stage's peak memory.
    public var stageLine: String {
        let each = StageName.allCases.filter { $0 != .run }.compactMap { s in
            stages[s.rawValue].map { r in
                let notes = [r.peakRssBytes.map { Human.bytes($0) }, r.status == "ok" ? nil : r.status].compactMap {
                    $0
                }
                return "\(s.rawValue) \(Human.duration(r.seconds))"
                    + (notes.isEmpty ? "" : " (\(notes.joined(separator: ", ")))")
            }
        }
        return each.joined(separator: ", ")
            + (stages[StageName.run.rawValue].map { " (total \(Human.duration($0.seconds)))" } ?? "")
    }
}
