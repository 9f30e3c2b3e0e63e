public import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// The plan: which input files make up which batch. Append-only (`plan.jsonl` in the intermediate
/// folder), first line a header with the schema fingerprint. Once planned, a batch's files never
/// change, so batch numbers are stable across runs, workers and shards; new input files go into
/// new batches.
public struct Plan: Sendable, Equatable {
    public struct Header: Codable, Sendable, Equatable {
        public var plan = 1
        public var fingerprint: String
        public var extractor: String
        public var features: Int
        /// The extractor's options, canonical (absent in plans of older versions): lets a merge
        /// say what changed in the config without reading the inputs.
        public var options: String? = nil
    }

    public struct Entry: Codable, Sendable, Equatable {
        public var batch: Int
        public var files: [String]
    }

    public var header: Header?
    public var entries: [Entry] = []
    /// Whether `plan.jsonl` exists at all.
    public var exists = false
    /// Line numbers (from 1; 1 is the header) of complete lines that are not what they should be.
    /// ``IntermediateAudit`` reports them; an extract rebuilds the plan from the journal.
    public var damagedLines: [Int] = []

    public static let fileName = IntermediateFolderLayout.plan

    public init() {}

    /// Reads the plan. Without `withFiles`, entries come without their file lists (a merge needs
    /// only the batch numbers, and decoding 500 names a batch showed up in its profile). A damaged
    /// line is skipped and listed in `damagedLines`, never silently dropped.
    public static func load(from dir: String, withFiles: Bool = true) throws -> Plan {
        var plan = Plan()
        let path = "\(dir)/\(fileName)"
        plan.exists = FileManager.default.fileExists(atPath: path)
        let decoder = JSONDecoder()
        for (number, line) in try JSONLines.readNumbered(path) {
            if number == 1 {
                plan.header = try? decoder.decode(Header.self, from: line)
                if plan.header == nil { plan.damagedLines.append(number) }
            } else if withFiles, let e = try? decoder.decode(Entry.self, from: line) {
                plan.entries.append(e)
            } else if !withFiles,
                let b = try? decoder.decode(BatchOnly.self, from: JSONLines.removing(member: "files", from: line))
            {
                plan.entries.append(Entry(batch: b.batch, files: []))
            } else {
                plan.damagedLines.append(number)
            }
        }
        return plan
    }

    /// The plan's header alone (its first line), or nil when there is no plan.
    public static func header(in dir: String) -> Header? {
        guard let fd = fopen("\(dir)/\(fileName)", "r") else { return nil }
        defer { fclose(fd) }
        var line: UnsafeMutablePointer<CChar>? = nil
        var capacity = 0
        defer { free(line) }
        guard getline(&line, &capacity, fd) > 0, let line else { return nil }
        return try? JSONDecoder().decode(Header.self, from: Data(String(cString: line).utf8))
    }

    private struct BatchOnly: Decodable { var batch: Int }

    public var plannedFiles: Set<String> { Set(entries.flatMap(\.files)) }
    public var nextBatch: Int { (entries.map(\.batch).max() ?? -1) + 1 }

    /// The plan as `plan.jsonl` holds it: the header, then one line per batch.
    public var text: String {
        ([header.map { JSONLines.encode($0) }].compactMap { $0 } + entries.map { JSONLines.encode($0) }).map {
            $0 + "\n"
        }.joined()
    }
}

/// One completed batch, as a shard's journal records it (`journal.jsonl`, one JSON object per
/// line; the latest line for a batch wins).
public struct JournalEntry: Codable, Sendable, Equatable {
    public struct Part: Codable, Sendable, Equatable {
        public var file: String
        public var rows: Int
        public var bytes: Int
        public var crc32: String
    }

    public struct FileRecord: Codable, Sendable, Equatable {
        public var name: String
        public var size: Int
        public var mtimeNs: Int64
        /// CRC-32 of the file's raw bytes, to tell a touched file from a changed one.
        public var crc32: String
        public var rows: Int
        /// Rows skipped, by reason.
        public var skipped: [String: Int]
        /// Things counted that did not skip a row.
        public var notes: [String: Int]
        /// Set when the file failed and none of its rows were used.
        public var errorLine: Int?
        public var error: String?
        /// Records the extractor found invalid (``RowOutcome/failed(_:)``) while the file's other
        /// records were kept: at most ``FileRecord/maxFailedRecords`` listed, the rest counted in
        /// `skipped`. Nil when there were none (and in journals written before it existed).
        public var failedRecords: [FailedRecord]? = nil

        /// How many invalid records of one file the journal lists by line.
        public static let maxFailedRecords = 1000
    }

    /// One invalid record of a file that was otherwise used: its line and why.
    public struct FailedRecord: Codable, Sendable, Equatable {
        public var line: Int
        public var reason: String
    }

    public var batch: Int
    public var parts: [Part]
    public var files: [FileRecord]
    public var codec: String
    public var fingerprint: String
    public var seconds: Double
    /// Rows of the batch's files skipped by the extractor, by reason (the sum of the files'
    /// `skipped`), so a merge can report them without decoding every file record. Nil in journals
    /// written before it was recorded.
    public var skipped: [String: Int]? = nil
    /// What the batch's records cost (``BoundExtractor/spent``, e.g. the `command` extractor's
    /// reported costs), summed over all its files, failed ones too; nil when nothing was
    /// reported. `extract.budget` holds a run to the sum over the journal.
    public var spent: Double? = nil

    public var rows: Int { parts.reduce(0) { $0 + $1.rows } }
    public var bytes: Int { parts.reduce(0) { $0 + $1.bytes } }
}

/// The journals of an intermediate folder (one per shard), merged: the latest entry per batch.
public struct JournalState: Sendable {
    public var entries: [Int: JournalEntry] = [:]
    /// Complete lines that are not journal entries, by journal file name (line numbers from 1).
    public var damagedLines: [String: [Int]] = [:]

    public init() {}

    /// The journals' current state. Decoding a large journal is not free (a 20,000-file dataset's
    /// journal took JSONDecoder 0.2 s, ``JournalEntry/decodeFast(_:)`` a tenth of that), and
    /// pre-flight, the merge and the shard check each ask for it, so a decoded state is kept per
    /// folder for as long as no journal file changed (name, size and modification time all match).
    ///
    /// `withFiles: false` allows lines that the fast decoder does not read to come without their
    /// per-file records (`files` empty), which spares JSONDecoder most of its work; lines it reads
    /// come with them either way.
    public static func load(from dir: String, withFiles: Bool = true) throws -> JournalState {
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? [])
            .filter(IntermediateFolderLayout.isJournal).sorted()
        let signature = names.map { name -> String in
            var st = stat()
            guard stat("\(dir)/\(name)", &st) == 0 else { return name }
            return "\(name):\(st.st_size):\(st.st_mtim.tv_sec).\(st.st_mtim.tv_nsec):\(st.st_ino)"
        }.joined(separator: "|")
        if let hit = cache.withLock({ $0[dir] }), hit.signature == signature, hit.withFiles || !withFiles {
            return hit.state
        }
        var state = JournalState()
        let decoder = JSONDecoder()
        // A line the fast decoder reads comes with its files whatever was asked (that costs
        // little there); the state is cached as complete only when every line was.
        var complete = true
        for name in names {
            for (number, line) in try JSONLines.readNumbered("\(dir)/\(name)") {
                if let e = JournalEntry.decodeFast(line) {
                    state.entries[e.batch] = e
                } else if withFiles, let e = try? decoder.decode(JournalEntry.self, from: line) {
                    state.entries[e.batch] = e
                } else if !withFiles,
                    let h = try? decoder.decode(Head.self, from: JSONLines.removing(member: "files", from: line))
                {
                    state.entries[h.batch] = JournalEntry(
                        batch: h.batch, parts: h.parts, files: [], codec: h.codec, fingerprint: h.fingerprint,
                        seconds: h.seconds, skipped: h.skipped, spent: h.spent)
                    complete = false
                } else {
                    state.damagedLines[name, default: []].append(number)
                }
            }
        }
        cache.withLock { $0[dir] = (signature, withFiles || complete, state) }
        return state
    }

    /// A journal line without its file records.
    private struct Head: Decodable {
        var batch: Int
        var parts: [JournalEntry.Part]
        var codec: String
        var fingerprint: String
        var seconds: Double
        var skipped: [String: Int]?
        var spent: Double?
    }

    private static let cache = Mutex<[String: (signature: String, withFiles: Bool, state: JournalState)]>([:])
}

/// Reads JSON Lines files written by quern: complete lines only (a torn last line from a crash is
/// ignored; the next append cuts it off).
public enum JSONLines {
    public static func read(_ path: String) throws -> [Data] {
        try readNumbered(path).map(\.line)
    }

    /// The complete, non-empty lines with their line numbers in the file (from 1), for messages
    /// that name the line.
    public static func readNumbered(_ path: String) throws -> [(number: Int, line: Data)] {
        guard let data = FileManager.default.contents(atPath: path) else { return [] }
        // The newlines are found with memchr: Data's own byte search pays an exclusivity check
        // per byte, which was most of reading a 2.4 MB journal.
        let ends: [Int] = data.withUnsafeBytes { raw in
            guard let base = raw.baseAddress else { return [] }
            var ends: [Int] = []
            var at = 0
            while at < raw.count, let hit = memchr(base + at, Int32(UInt8(ascii: "\n")), raw.count - at) {
                let nl = base.distance(to: UnsafeRawPointer(hit))
                ends.append(nl)
                at = nl + 1
            }
            return ends
        }
        var lines: [(Int, Data)] = []
        var start = 0
        for (k, nl) in ends.enumerated() {
            if nl > start { lines.append((k + 1, data[data.startIndex + start..<data.startIndex + nl])) }
            start = nl + 1
        }
        return lines
    }

    /// `line` (one JSON object) without its top-level member `key`, for a decoder that does not
    /// need it: a journal line holds a record per input file (500 a batch), which JSONDecoder
    /// would parse in full even to read the few fields a merge needs (3% of a merge's CPU). The
    /// value is skipped by a scanner that respects strings and nesting; a line it cannot follow
    /// comes back unchanged.
    public static func removing(member key: String, from line: Data) -> Data {
        let bytes = [UInt8](line)
        let quote = UInt8(ascii: "\"")
        let backslash = UInt8(ascii: "\\")
        let target = Array("\"\(key)\"".utf8)
        /// The index just past the string that starts at `i` (a quote), or nil.
        func endOfString(_ i: Int) -> Int? {
            var j = i + 1
            while j < bytes.count {
                if bytes[j] == backslash {
                    j += 2
                    continue
                }
                if bytes[j] == quote { return j + 1 }
                j += 1
            }
            return nil
        }
        /// The index just past the value that starts at `i`, or nil.
        func endOfValue(_ i: Int) -> Int? {
            guard i < bytes.count else { return nil }
            if bytes[i] == quote { return endOfString(i) }
            var depth = 0
            var j = i
            while j < bytes.count {
                switch bytes[j] {
                case quote:
                    guard let e = endOfString(j) else { return nil }
                    j = e
                    continue
                case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1
                case UInt8(ascii: "}"), UInt8(ascii: "]"):
                    if depth == 0 { return j }
                    depth -= 1
                    if depth == 0 { return j + 1 }
                case UInt8(ascii: ","): if depth == 0 { return j }
                default: break
                }
                j += 1
            }
            return nil
        }
        guard bytes.first == UInt8(ascii: "{") else { return line }
        var i = 1
        var previousComma: Int? = nil
        while i < bytes.count {
            let b = bytes[i]
            if b == quote {
                guard let keyEnd = endOfString(i) else { return line }
                var colon = keyEnd
                while colon < bytes.count && bytes[colon] == UInt8(ascii: " ") { colon += 1 }
                guard colon < bytes.count, bytes[colon] == UInt8(ascii: ":") else { return line }
                var valueStart = colon + 1
                while valueStart < bytes.count && bytes[valueStart] == UInt8(ascii: " ") { valueStart += 1 }
                guard let valueEnd = endOfValue(valueStart) else { return line }
                if bytes[i..<keyEnd].elementsEqual(target) {
                    // Remove the member and one comma next to it.
                    if valueEnd < bytes.count, bytes[valueEnd] == UInt8(ascii: ",") {
                        return Data(bytes[..<i] + bytes[(valueEnd + 1)...])
                    }
                    if let c = previousComma { return Data(bytes[..<c] + bytes[valueEnd...]) }
                    return Data(bytes[..<i] + bytes[valueEnd...])
                }
                i = valueEnd
                continue
            }
            if b == UInt8(ascii: ",") { previousComma = i }
            if b == UInt8(ascii: "}") { return line }
            i += 1
        }
        return line
    }

    public static func encode<T: Encodable>(_ value: T) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? String(decoding: encoder.encode(value), as: UTF8.self)) ?? "{}"
    }
}
