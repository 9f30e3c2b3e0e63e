import Foundation

/// The datasets of a batch run (`quern run --datasets DIR`): each subfolder of DIR, or each file,
/// with its sanitized name. Hidden entries (`.x`) are skipped; names are sorted in byte order so
/// they, and collision suffixes, are the same from run to run.
public struct DatasetBatch: Sendable {
    public struct Dataset: Sendable, Equatable {
        public var name: String
        /// The folder (or file) as found.
        public var path: String
        public var isFile: Bool
        /// Set when the name had to be changed to stay distinct.
        public var note: String?
    }

    public var datasets: [Dataset]
    /// Entries of DIR that cannot be datasets and are not hidden, with why (a name that is not
    /// valid UTF-8), for the caller to say.
    public var skipped: [String] = []

    /// Lists DIR. A file's name loses the extensions of `registry`'s formats and codecs
    /// (``DataFileExtensions``). Throws when DIR is missing, unreadable (a ``DiscoveryError``) or
    /// holds no dataset (a ``DatasetError``).
    public static func discover(in dir: String, files: Bool, registry: PluginRegistry) throws -> DatasetBatch {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: dir, isDirectory: &isDir) else {
            throw DatasetError.missingFolder(dir)
        }
        guard isDir.boolValue else { throw DatasetError.notAFolder(dir) }
        // readdir, not FileManager, which decodes a name that is not UTF-8 lossily into a path
        // that does not exist: the dataset would be left out without a word.
        let entries = try Discovery.entryNames(dir)
        let skipped = entries.filter { !$0.name.hasPrefix(".") }.compactMap { e in
            e.invalid.map {
                "\(dir)/\(Discovery.escapedBytes($0)) is skipped: its name is not valid UTF-8, which quern cannot "
                    + "record in its journal and outputs (rename it to process it)"
            }
        }.sorted()
        let picked = entries.filter { $0.invalid == nil }.map(\.name).filter { name in
            guard !name.hasPrefix(".") else { return false }
            var d: ObjCBool = false
            guard FileManager.default.fileExists(atPath: "\(dir)/\(name)", isDirectory: &d) else { return false }
            return d.boolValue != files
        }.sorted { $0.precedesInByteOrder($1) }
        guard !picked.isEmpty else { throw DatasetError.noDatasets(dir: dir, files: files) }
        let assigned = DatasetNames.assign(picked, dropping: files ? DataFileExtensions(registry: registry) : nil)
        return DatasetBatch(
            datasets: assigned.map { Dataset(name: $0.name, path: "\(dir)/\($0.input)", isFile: files, note: $0.note) },
            skipped: skipped)
    }

    /// How one dataset ended, for the summary table and `<logs>/summary.json`.
    public struct Outcome: Codable, Sendable, Equatable {
        public var name: String
        public var input: String
        /// ok, files_failed or failed.
        public var status: String
        public var rows: Int?
        public var seconds: Double
        public var peakRssBytes: Int
        public var exitStatus: Int32
        public var error: String?
        public var stages: [String: RunContext.StageRecord]
        public var logDir: String
        public var outputDir: String

        enum CodingKeys: String, CodingKey {
            case name, input, status, rows, seconds, error, stages
            case peakRssBytes = "peak_rss_bytes"
            case exitStatus = "exit_status"
            case logDir = "log_dir"
            case outputDir = "output_dir"
        }

        public init(
            name: String, input: String, status: String, rows: Int?, seconds: Double, peakRssBytes: Int,
            exitStatus: Int32, error: String?,
            stages: [String: RunContext.StageRecord], logDir: String, outputDir: String
        ) {
            self.name = name
            self.input = input
            self.status = status
            self.rows = rows
            self.seconds = seconds
            self.peakRssBytes = peakRssBytes
            self.exitStatus = exitStatus
            self.error = error
            self.stages = stages
            self.logDir = logDir
            self.outputDir = outputDir
        }
    }

    /// The JSON summary of a batch run.
    public struct Summary: Codable, Sendable, Equatable {
        public var datasets: [Outcome]
        public var ok: Int
        public var failed: Int
        public var seconds: Double

        public init(datasets: [Outcome], seconds: Double) {
            self.datasets = datasets
            ok = datasets.filter { $0.status != "failed" }.count
            failed = datasets.count - ok
            self.seconds = seconds
        }

        public func write(to dir: String) throws {
            let e = JSONEncoder()
            e.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            try AtomicFile.write(
                String(decoding: try e.encode(self), as: UTF8.self) + "\n", to: "\(dir)/\(RunLog.summaryFile)")
        }

        /// The table printed at the end.
        public var table: String {
            let width = max(7, datasets.map(\.name.count).max() ?? 0)
            func pad(_ s: String, _ n: Int) -> String { s + String(repeating: " ", count: max(0, n - s.count)) }
            var lines = [
                "datasets: \(ok) of \(datasets.count) done\(failed > 0 ? ", \(failed) failed" : "") in \(Human.duration(seconds))"
            ]
            lines.append("  " + pad("dataset", width) + "  status        rows        time      peak memory")
            for o in datasets {
                let rows = o.rows.map(Human.count) ?? "-"
                lines.append(
                    "  " + pad(o.name, width) + "  " + pad(o.status, 12) + "  " + pad(rows, 10) + "  "
                        + pad(Human.duration(o.seconds), 8) + "  "
                        + (o.peakRssBytes > 0 ? Human.bytes(o.peakRssBytes) : "-"))
            }
            for o in datasets where !o.stages.isEmpty {
                let stages = StageName.allCases.filter { $0 != .run }.compactMap { st in
                    o.stages[st.rawValue].map { "\(st.rawValue) \(Human.duration($0.seconds))" }
                }
                lines.append("  \(o.name) stages: \(stages.joined(separator: ", "))")
            }
            for o in datasets where o.error != nil {
                var why = o.error!.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.joined(
                    separator: " ")
                if why.count > 300 { why = String(why.prefix(300)) + "..." }
                lines.append("  \(o.name) failed: \(why) (log: \(o.logDir)/\(RunLog.humanFile))")
            }
            return lines.joined(separator: "\n")
        }
    }
}

/// Problems with the folder given to `--datasets`, each with what to do.
public enum DatasetError: Error, CustomStringConvertible, Equatable {
    case missingFolder(String)
    case notAFolder(String)
    case noDatasets(dir: String, files: Bool)

    public var description: String {
        switch self {
        case .missingFolder(let d):
            "datasets folder \(d) does not exist: --datasets takes the folder whose subfolders (or files) are the datasets."
        case .notAFolder(let d):
            "\(d) is not a folder: --datasets takes the folder whose subfolders (or files) are the datasets."
        case .noDatasets(let d, let files):
            files
                ? "\(d) holds no files, so there is no dataset to run: put one file per dataset there, or use --datasets-from dirs for subfolders."
                : "\(d) holds no subfolders, so there is no dataset to run: put one subfolder per dataset there, or pass --datasets-from files to make each file a dataset."
        }
    }
}
