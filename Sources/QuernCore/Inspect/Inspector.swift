import Foundation

#if canImport(Glibc)
    import Glibc
    import QuernKit
#endif

/// Builds an ``Inspection`` of a path: a batch file, an intermediate folder, or an output folder
/// (told apart by what they hold). Reading only: nothing is written or moved. With `checksums`,
/// every byte is checked as `quern verify` checks it; without, the files are only listed.
public enum Inspector {
    public static func inspect(_ path: String, head: Int, checksums: Bool, registry: PluginRegistry) throws
        -> Inspection
    {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else {
            throw InspectError.notFound(path: path)
        }
        if !isDir.boolValue { return try batch(path, head: head, checksums: checksums, registry: registry) }
        let fm = FileManager.default
        if fm.fileExists(atPath: "\(path)/\(OutputFolderLayout.stats)")
            || fm.fileExists(atPath: "\(path)/\(OutputFolderLayout.x(split: "train"))")
        {
            return try output(path, head: head, checksums: checksums)
        }
        let journaled = try !JournalState.load(from: path, withFiles: false).entries.isEmpty
        if fm.fileExists(atPath: "\(path)/\(Plan.fileName)") || journaled {
            return try intermediate(path, head: head, checksums: checksums, registry: registry)
        }
        throw InspectError.notQuern(path: path)
    }

    // MARK: One batch file (always checked: reading it checks it)

    static func batch(_ path: String, head: Int, checksums: Bool, registry: PluginRegistry) throws -> Inspection {
        let name = UserPath.lastComponent(of: path)
        let bytes = fileSize(path)
        // A batch is verified by loading it: every member's CRC-32 and the chained checksum.
        // In its intermediate folder, a batch is also checked against its journal line (size, CRC-32).
        let journal = try? JournalState.load(from: UserPath.parent(of: path), withFiles: false)
        let part = journal?.entries.values.lazy.flatMap(\.parts).first { $0.file == name }
        let checked = (part == nil ? "" : "its journal line, ") + "every member's CRC-32 and the batch checksum"
        do {
            let expected = part.map { BatchFile.Expected(bytes: $0.bytes, crc32: $0.crc32) }
            let loaded = try BatchFile.load(path: path, expected: expected) { try registry.codec(zipMethod: $0) }
            let m = loaded.meta
            let packed = Dictionary(uniqueKeysWithValues: m.schema.masks.map { ("mask_\($0.name)", $0) })
                .filter { loaded.packedMasks.contains($0.value.name) }
            let arrays = BatchFile.arrays(of: loaded.batch, schema: m.schema).map {
                var info = Inspection.ArrayInfo(name: $0.0, dtype: $0.1.descr, shape: $0.1.shape)
                if let head = packed[$0.0] {
                    info.stored = "maskbits_\(head.name) |u1 [\(m.rows), \((head.width + 7) / 8)]"
                }
                return info
            }
            return Inspection(
                kind: .batch, path: path, rows: m.rows, fingerprint: m.fingerprint, extractor: m.extractor,
                codecs: [m.codec],
                inputFiles: loaded.batch.sources.count,
                files: [.init(name: name, bytes: bytes, rows: m.rows, codec: m.codec, checksum: "ok")], arrays: arrays,
                checksums: .init(status: "ok", checked: checked),
                head: rows(of: loaded.batch, schema: m.schema, first: head, from: 0),
                featureNames: m.schema.features.map(\.name))
        } catch let error as StorageError {
            guard case .corruptBatch(_, let reason) = error else { throw error }
            return Inspection(
                kind: .batch, path: path, rows: 0, codecs: [],
                files: [.init(name: name, bytes: bytes, checksum: "damaged")], arrays: [],
                checksums: .init(status: "damaged", checked: checked, problems: ["\(path): \(reason)"]))
        }
    }

    // MARK: An intermediate folder

    static func intermediate(_ dir: String, head: Int, checksums: Bool, registry: PluginRegistry) throws -> Inspection {
        let journal = try JournalState.load(from: dir)
        let planHeader = Plan.header(in: dir)
        let entries = journal.entries.keys.sorted().map { journal.entries[$0]! }
        var status = Inspection.Checksums(status: "not checked", checked: "nothing (--no-checksums)")
        var damaged = Set<String>()
        if checksums {
            var report = VerifyReport()
            IntermediateVerifier.check(dir, registry: registry, into: &report)
            status = .init(
                status: report.ok ? "ok" : "damaged",
                checked: "every batch file against its journal line, its members' CRC-32 and its checksum",
                problems: report.problems.map(\.description))
            damaged = Set(report.problems.map(\.path))
        }
        var files: [Inspection.FileInfo] = []
        for e in entries {
            for p in e.parts {
                let path = "\(dir)/\(p.file)"
                let state =
                    !checksums
                    ? "not checked"
                    : damaged.contains(path)
                        ? "damaged" : FileManager.default.fileExists(atPath: path) ? "ok" : "missing"
                files.append(.init(name: p.file, bytes: p.bytes, rows: p.rows, codec: e.codec, checksum: state))
            }
        }
        let rows = entries.reduce(0) { $0 + $1.rows }
        // The schema of the first readable batch gives dtypes and widths; shapes span all batches.
        var meta: BatchMeta? = nil
        for f in files where meta == nil && f.checksum != "damaged" && f.checksum != "missing" {
            meta = try? BatchFile.loadMeta(path: "\(dir)/\(f.name)") { try registry.codec(zipMethod: $0) }
        }
        var arrays: [Inspection.ArrayInfo] = []
        if let s = meta?.schema {
            arrays.append(.init(name: "X", dtype: "<f4", shape: [rows, s.features.count]))
            arrays += s.labels.map { .init(name: "label_\($0.name)", dtype: "<i4", shape: [rows]) }
            arrays += s.masks.map { .init(name: "mask_\($0.name)", dtype: "|i1", shape: [rows, $0.width]) }
            arrays += [
                .init(name: "group_index", dtype: "<i4", shape: [rows]),
                .init(name: "source_index", dtype: "<i4", shape: [rows]),
                .init(name: "source_row", dtype: "<i8", shape: [rows]),
            ]
        }
        var headRows: [Inspection.Row] = []
        for f in files
        where headRows.count < head && f.checksum != "damaged" && f.checksum != "missing" && (f.rows ?? 0) > 0 {
            let loaded = try BatchFile.load(path: "\(dir)/\(f.name)") { try registry.codec(zipMethod: $0) }
            headRows += self.rows(
                of: loaded.batch, schema: loaded.meta.schema, first: head - headRows.count, from: headRows.count)
        }
        return Inspection(
            kind: .intermediate, path: dir, rows: rows,
            fingerprint: planHeader?.fingerprint ?? entries.first?.fingerprint,
            extractor: planHeader?.extractor ?? meta?.extractor, codecs: Array(Set(entries.map(\.codec))).sorted(),
            inputFiles: entries.reduce(0) { $0 + $1.files.count }, files: files, arrays: arrays, checksums: status,
            head: headRows,
            featureNames: meta?.schema.features.map(\.name))
    }

    /// The first `first` rows of `batch` as head rows numbered from `from`.
    static func rows(of batch: RowBatch, schema: FeatureSchema, first: Int, from: Int) -> [Inspection.Row] {
        let d = batch.featureCount
        return (0..<min(max(first, 0), batch.count)).map { i in
            var labels: [String: Int] = [:]
            for (h, head) in schema.labels.enumerated() { labels[head.name] = Int(batch.labels[h][i]) }
            var masks: [String: [Int]] = [:]
            for (h, head) in schema.masks.enumerated() {
                masks[head.name] = batch.masks[h][(i * head.width)..<((i + 1) * head.width)].map { Int($0) }
            }
            let g = Int(batch.groupIndex[i])
            let s = Int(batch.sourceIndex[i])
            return Inspection.Row(
                row: from + i, features: Array(batch.features[(i * d)..<((i + 1) * d)]), labels: labels, masks: masks,
                group: schema.hasGroups && g < batch.groups.count
                    ? String(decoding: batch.groups[g], as: UTF8.self) : nil,
                source: s < batch.sources.count ? batch.sources[s] : nil, line: Int(batch.sourceRow[i]))
        }
    }

    static func fileSize(_ path: String) -> Int {
        ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.intValue ?? 0
    }
}
