import Foundation

#if canImport(Glibc)
    import Glibc
    public import QuernKit
#endif

/// `quern export`: batch files rewritten with a codec numpy reads by itself (`none` or `zlib`)
/// into another folder, with the same arrays, names and metadata (but the codec). From an
/// intermediate folder the destination gets the plan and a journal too, so it is an intermediate
/// folder of its own (`quern merge` and `quern.iter_batches` read it). The source is only read.
///
/// Every file is written atomically. `export.json`, written last, marks the folder as an export:
/// a later export may replace it; any other non-empty folder is refused.
public enum BatchExport {
    public static let markerName = IntermediateFolderLayout.exportMarker

    /// What `export.json` records.
    public struct Marker: Codable, Sendable, Equatable {
        public var export = 1
        public var source: String
        public var codec: String
        public var files: Int
        public var rows: Int
        public var exportedAt: String
    }

    /// Exports `source` (an intermediate folder or one batch file) into `destination`.
    public static func run(source: String, destination: String, codec: any Codec, registry: PluginRegistry) throws
        -> Marker
    {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: source, isDirectory: &isDir) else {
            throw InspectError.notFound(path: source)
        }
        let sourceIsFolder = isDir.boolValue
        let src = UserPath.resolved(source)
        let dst = UserPath.resolved(destination)
        let srcFolder = sourceIsFolder ? src : UserPath.parent(of: src)
        if dst == srcFolder || dst.hasPrefix(srcFolder.hasSuffix("/") ? srcFolder : srcFolder + "/") {
            throw InspectError.destinationIsSource(
                destination: destination, source: sourceIsFolder ? source : UserPath.parent(of: source))
        }
        try checkDestination(destination)

        // (file name in the source, expected size and CRC from the journal, batch name)
        var parts: [(file: String, expected: BatchFile.Expected?, name: BatchName)] = []
        var entries: [JournalEntry] = []
        if sourceIsFolder {
            let journal = try JournalState.load(from: source)
            entries = journal.entries.keys.sorted().map { journal.entries[$0]! }
            guard !entries.isEmpty else { throw InspectError.notABatchFolder(path: source) }
            for e in entries {
                for (p, part) in e.parts.enumerated() {
                    parts.append(
                        (
                            "\(source)/\(part.file)", .init(bytes: part.bytes, crc32: part.crc32),
                            BatchName(batch: e.batch, part: p)
                        ))
                }
            }
        } else {
            guard let name = BatchName(fileName: UserPath.lastComponent(of: source)) else {
                throw InspectError.notQuern(path: source)
            }
            parts.append((source, nil, name))
        }

        try AtomicFile.makeFolders(destination, for: "create the export folder")
        var written: [BatchName: JournalEntry.Part] = [:]
        var rows = 0
        for part in parts {
            let loaded = try BatchFile.load(path: part.file, expected: part.expected) {
                try registry.codec(zipMethod: $0)
            }
            let m = loaded.meta
            let target = "\(destination)/\(part.name.fileName)"
            let encoded = try BatchFile.encode(
                loaded.batch, name: part.name, schema: m.schema, fingerprint: SchemaFingerprint(value: m.fingerprint),
                extractor: m.extractor,
                codec: codec, path: target)
            try AtomicFile.write(encoded.bytes, to: target)
            written[part.name] = .init(
                file: part.name.fileName, rows: m.rows, bytes: encoded.bytes.count, crc32: crc32Hex(encoded.fileCRC))
            rows += m.rows
        }
        if sourceIsFolder {
            let journal = entries.map { e -> String in
                var e = e
                e.parts = e.parts.indices.map { written[BatchName(batch: e.batch, part: $0)]! }
                e.codec = codec.spec
                return JSONLines.encode(e) + "\n"
            }.joined()
            try AtomicFile.write(journal, to: "\(destination)/\(IntermediateFolderLayout.journal(shard: 0, of: 1))")
            if let plan = FileManager.default.contents(atPath: "\(source)/\(Plan.fileName)") {
                try AtomicFile.write([UInt8](plan), to: "\(destination)/\(Plan.fileName)")
            }
        } else {
            // One batch file is no intermediate folder: an earlier export's journal would lie.
            for own in [IntermediateFolderLayout.journal(shard: 0, of: 1), Plan.fileName] {
                try? FileManager.default.removeItem(atPath: "\(destination)/\(own)")
            }
        }
        // Batch files of an earlier export that this one did not write would pass for part of it.
        let names = Set(written.keys.map(\.fileName))
        for stale in ((try? FileManager.default.contentsOfDirectory(atPath: destination)) ?? [])
        where BatchName(fileName: stale) != nil && !names.contains(stale) {
            try? FileManager.default.removeItem(atPath: "\(destination)/\(stale)")
        }
        let marker = Marker(
            source: src, codec: codec.spec, files: written.count, rows: rows,
            exportedAt: ISO8601DateFormatter().string(from: Date()))
        try AtomicFile.write(JSONLines.encode(marker) + "\n", to: "\(destination)/\(markerName)")
        return marker
    }

    /// A destination may be new, empty, or an earlier export (it has `export.json`).
    static func checkDestination(_ path: String) throws {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else { return }
        guard isDir.boolValue else { throw InspectError.destinationInUse(path: path) }
        let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
        if names.isEmpty || names.contains(markerName) { return }
        throw InspectError.destinationInUse(path: path)
    }
}
