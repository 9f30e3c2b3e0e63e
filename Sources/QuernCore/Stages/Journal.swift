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
    }

    public struct Entry: Codable, Sendable, Equatable {
        public var batch: Int
        public var files: [String]
    }

    public var header: Header?
    public var entries: [Entry] = []

    public static let fileName = "plan.jsonl"

    public static func load(from dir: String) throws -> Plan {
        var plan = Plan()
        let lines = try JSONLines.read("\(dir)/\(fileName)")
        for (i, line) in lines.enumerated() {
            if i == 0 {
                plan.header = try? JSONDecoder().decode(Header.self, from: line)
                if plan.header == nil { throw StorageError.corruptBatch(path: "\(dir)/\(fileName)", reason: "first line is not a plan header") }
            } else if let e = try? JSONDecoder().decode(Entry.self, from: line) {
                plan.entries.append(e)
            }
        }
        return plan
    }

    public var plannedFiles: Set<String> { Set(entries.flatMap(\.files)) }
    public var nextBatch: Int { (entries.map(\.batch).max() ?? -1) + 1 }
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
    }

    public var batch: Int
    public var parts: [Part]
    public var files: [FileRecord]
    public var codec: String
    public var fingerprint: String
    public var seconds: Double

    public var rows: Int { parts.reduce(0) { $0 + $1.rows } }
    public var bytes: Int { parts.reduce(0) { $0 + $1.bytes } }
}

/// The journals of an intermediate folder (one per shard), merged: the latest entry per batch.
public struct JournalState: Sendable {
    public var entries: [Int: JournalEntry] = [:]

    /// The journals' current state. Decoding a large journal is not free (a 20,000-file dataset's
    /// journal took ~0.15 s), and pre-flight, the merge and the shard check each ask for it, so a
    /// decoded state is kept per folder for as long as no journal file changed (name, size and
    /// modification time all match).
    public static func load(from dir: String) throws -> JournalState {
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? [])
            .filter { $0.hasPrefix("journal") && $0.hasSuffix(".jsonl") }.sorted()
        let signature = names.map { name -> String in
            var st = stat()
            guard stat("\(dir)/\(name)", &st) == 0 else { return name }
            return "\(name):\(st.st_size):\(st.st_mtim.tv_sec).\(st.st_mtim.tv_nsec):\(st.st_ino)"
        }.joined(separator: "|")
        if let hit = cache.withLock({ $0[dir] }), hit.signature == signature { return hit.state }
        var state = JournalState()
        let decoder = JSONDecoder()
        for name in names {
            for line in try JSONLines.read("\(dir)/\(name)") {
                if let e = try? decoder.decode(JournalEntry.self, from: line) { state.entries[e.batch] = e }
            }
        }
        cache.withLock { $0[dir] = (signature, state) }
        return state
    }

    private static let cache = Mutex<[String: (signature: String, state: JournalState)]>([:])
}

/// Reads JSON Lines files written by quern: complete lines only (a torn last line from a crash is
/// ignored; the next append cuts it off).
public enum JSONLines {
    public static func read(_ path: String) throws -> [Data] {
        guard let data = FileManager.default.contents(atPath: path) else { return [] }
        var lines: [Data] = []
        var start = data.startIndex
        while let nl = data[start...].firstIndex(of: UInt8(ascii: "\n")) {
            if nl > start { lines.append(data[start..<nl]) }
            start = nl + 1
        }
        return lines
    }

    public static func encode<T: Encodable>(_ value: T) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? String(decoding: encoder.encode(value), as: UTF8.self)) ?? "{}"
    }
}
