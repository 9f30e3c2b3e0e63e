public import Foundation

/// Journal lines decoded without JSONDecoder (see ``JSONPullParser``): a journal holds a record per
/// input file, and decoding a 20,000-file journal generically was a quarter of a `quern merge`.
/// Every member is read exactly as the synthesized `Decodable` would; a line with anything else
/// (an unknown or repeated key, a number of another form, ...) gives nil, and the caller decodes
/// it with JSONDecoder.
extension JournalEntry {
    /// The entry on `line`, or nil when the fast path does not understand it.
    public static func decodeFast(_ line: Data) -> JournalEntry? {
        JSONPullParser.parse(line) { try JournalEntry(fast: &$0) }
    }

    private init(fast p: inout JSONPullParser) throws {
        var batch = 0
        var parts: [Part] = []
        var files: [FileRecord] = []
        var codec = ""
        var fingerprint = ""
        var seconds = 0.0
        var skipped: [String: Int]? = nil
        var spent: Double? = nil
        var seen = JSONMembersSeen()
        try p.beginObject()
        while let key = try p.nextMember() {
            switch key {
            case "batch":
                try seen.mark(0)
                batch = try p.int()
            case "parts":
                try seen.mark(1)
                try p.beginArray()
                while try p.nextElement() { parts.append(try Part(fast: &p)) }
            case "files":
                try seen.mark(2)
                try p.beginArray()
                while try p.nextElement() { files.append(try FileRecord(fast: &p)) }
            case "codec":
                try seen.mark(3)
                codec = try p.string()
            case "fingerprint":
                try seen.mark(4)
                fingerprint = try p.string()
            case "seconds":
                try seen.mark(5)
                seconds = try p.double()
            case "skipped":
                try seen.mark(6)
                skipped = p.null() ? nil : try p.intDictionary()
            case "spent":
                try seen.mark(7)
                spent = p.null() ? nil : try p.double()
            default:
                throw JSONPullParser.Unsupported()
            }
        }
        guard (0...5).allSatisfy(seen.has) else { throw JSONPullParser.Unsupported() }
        self.init(
            batch: batch, parts: parts, files: files, codec: codec, fingerprint: fingerprint, seconds: seconds,
            skipped: skipped, spent: spent)
    }
}

extension JournalEntry.Part {
    fileprivate init(fast p: inout JSONPullParser) throws {
        var file = ""
        var rows = 0
        var bytes = 0
        var crc32 = ""
        var seen = JSONMembersSeen()
        try p.beginObject()
        while let key = try p.nextMember() {
            switch key {
            case "file":
                try seen.mark(0)
                file = try p.string()
            case "rows":
                try seen.mark(1)
                rows = try p.int()
            case "bytes":
                try seen.mark(2)
                bytes = try p.int()
            case "crc32":
                try seen.mark(3)
                crc32 = try p.string()
            default:
                throw JSONPullParser.Unsupported()
            }
        }
        guard (0...3).allSatisfy(seen.has) else { throw JSONPullParser.Unsupported() }
        self.init(file: file, rows: rows, bytes: bytes, crc32: crc32)
    }
}

extension JournalEntry.FileRecord {
    fileprivate init(fast p: inout JSONPullParser) throws {
        var name = ""
        var size = 0
        var mtimeNs: Int64 = 0
        var crc32 = ""
        var rows = 0
        var skipped: [String: Int] = [:]
        var notes: [String: Int] = [:]
        var errorLine: Int? = nil
        var error: String? = nil
        var failedRecords: [JournalEntry.FailedRecord]? = nil
        var seen = JSONMembersSeen()
        try p.beginObject()
        while let key = try p.nextMember() {
            switch key {
            case "name":
                try seen.mark(0)
                name = try p.string()
            case "size":
                try seen.mark(1)
                size = try p.int()
            case "mtimeNs":
                try seen.mark(2)
                mtimeNs = Int64(try p.int())
            case "crc32":
                try seen.mark(3)
                crc32 = try p.string()
            case "rows":
                try seen.mark(4)
                rows = try p.int()
            case "skipped":
                try seen.mark(5)
                skipped = try p.intDictionary()
            case "notes":
                try seen.mark(6)
                notes = try p.intDictionary()
            case "errorLine":
                try seen.mark(7)
                errorLine = p.null() ? nil : try p.int()
            case "error":
                try seen.mark(8)
                error = p.null() ? nil : try p.string()
            case "failedRecords":
                try seen.mark(9)
                if !p.null() {
                    var list: [JournalEntry.FailedRecord] = []
                    try p.beginArray()
                    while try p.nextElement() { list.append(try JournalEntry.FailedRecord(fast: &p)) }
                    failedRecords = list
                }
            default:
                throw JSONPullParser.Unsupported()
            }
        }
        guard (0...6).allSatisfy(seen.has) else { throw JSONPullParser.Unsupported() }
        self.init(
            name: name, size: size, mtimeNs: mtimeNs, crc32: crc32, rows: rows, skipped: skipped, notes: notes,
            errorLine: errorLine, error: error, failedRecords: failedRecords)
    }
}

extension JournalEntry.FailedRecord {
    fileprivate init(fast p: inout JSONPullParser) throws {
        var line = 0
        var reason = ""
        var seen = JSONMembersSeen()
        try p.beginObject()
        while let key = try p.nextMember() {
            switch key {
            case "line":
                try seen.mark(0)
                line = try p.int()
            case "reason":
                try seen.mark(1)
                reason = try p.string()
            default:
                throw JSONPullParser.Unsupported()
            }
        }
        guard seen.has(0), seen.has(1) else { throw JSONPullParser.Unsupported() }
        self.init(line: line, reason: reason)
    }
}
