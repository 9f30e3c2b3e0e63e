public import Foundation

/// Reads and writes batch files: a ZIP of `.npy` members (a standard `.npz` with codec `none` or
/// `zlib`), each compressed by the batch's codec, plus a `meta` member. The format is specified in
/// docs/formats.md.
public enum BatchFile {
    /// The encoded file and what the journal records about it.
    public struct Encoded: Sendable {
        public var bytes: [UInt8]
        public var meta: BatchMeta
        /// CRC-32 of the whole file, as the journal records it.
        public var fileCRC: UInt32
    }

    /// Array members in the order they are written.
    public static func arrays(of batch: RowBatch, schema: FeatureSchema) -> [(String, NpyArray)] {
        let n = batch.count
        var out: [(String, NpyArray)] = [("X", NpyArray(batch.features, descr: "<f4", shape: [n, batch.featureCount]))]
        for (h, head) in schema.labels.enumerated() {
            out.append(("label_\(head.name)", NpyArray(batch.labels[h], descr: "<i4", shape: [n])))
        }
        for (h, head) in schema.masks.enumerated() {
            out.append(("mask_\(head.name)", NpyArray(batch.masks[h], descr: "|i1", shape: [n, head.width])))
        }
        out.append(("group_index", NpyArray(batch.groupIndex, descr: "<i4", shape: [n])))
        out.append(("groups", NpyArray(byteStrings: batch.groups)))
        out.append(("source_index", NpyArray(batch.sourceIndex, descr: "<i4", shape: [n])))
        out.append(("source_row", NpyArray(batch.sourceRow, descr: "<i8", shape: [n])))
        out.append(("sources", NpyArray(byteStrings: batch.sources.map { Array($0.utf8) })))
        return out
    }

    public static func encode(
        _ batch: RowBatch, name: BatchName, schema: FeatureSchema, fingerprint: SchemaFingerprint, extractor: String,
        codec: any Codec, path: String
    ) throws -> Encoded {
        var members: [ZipArchive.Member] = []
        var chained = CRC32()
        for (key, array) in arrays(of: batch, schema: schema) {
            let raw = array.encoded()
            let crc = CRC32.of(raw)
            withUnsafeBytes(of: crc.littleEndian) { chained.update($0) }
            members.append(try member("\(key).npy", raw, crc: crc, codec: codec))
        }
        let meta = BatchMeta(
            batch: name.batch, part: name.part, rows: batch.count, fingerprint: fingerprint.value, extractor: extractor,
            codec: codec.spec, schema: schema, checksum: chained.hex)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let json = try Array(encoder.encode(meta))
        let metaRaw = NpyArray(descr: "|u1", shape: [json.count], data: json).encoded()
        members.append(try member("meta.npy", metaRaw, crc: CRC32.of(metaRaw), codec: codec))
        let bytes = try ZipArchive.build(members, path: path)
        return Encoded(bytes: bytes, meta: meta, fileCRC: CRC32.of(bytes))
    }

    private static func member(_ name: String, _ raw: [UInt8], crc: UInt32, codec: any Codec) throws -> ZipArchive.Member {
        let compressed = codec.zipMethod == 0 ? raw : try raw.withUnsafeBytes { try codec.compress($0) }
        return ZipArchive.Member(name: name, method: codec.zipMethod, crc32: crc, compressed: compressed, uncompressedSize: raw.count)
    }

    static func rows(from arrays: [String: NpyArray], meta: BatchMeta, _ bad: (String) -> StorageError) throws -> RowBatch {
        let n = meta.rows
        let d = meta.schema.features.count
        func array(_ key: String, _ shape: [Int]) throws -> NpyArray {
            guard let a = arrays[key] else { throw bad("missing array \(key)") }
            guard a.shape == shape else { throw bad("array \(key) has shape \(a.shape), expected \(shape)") }
            return a
        }
        do {
            let X = try array("X", [n, d]).values(as: Float.self, descr: "<f4")
            let labels = try meta.schema.labels.map { try array("label_\($0.name)", [n]).values(as: Int32.self, descr: "<i4") }
            let masks = try meta.schema.masks.map { try array("mask_\($0.name)", [n, $0.width]).values(as: Int8.self, descr: "|i1") }
            let groupIndex = try array("group_index", [n]).values(as: Int32.self, descr: "<i4")
            guard let g = arrays["groups"], let s = arrays["sources"] else { throw bad("missing groups or sources") }
            let groups = try g.byteStrings()
            let sources = try s.byteStrings().map { String(decoding: $0, as: UTF8.self) }
            let sourceIndex = try array("source_index", [n]).values(as: Int32.self, descr: "<i4")
            let sourceRow = try array("source_row", [n]).values(as: Int64.self, descr: "<i8")
            guard groupIndex.allSatisfy({ $0 >= 0 && Int($0) < max(groups.count, 1) }) || n == 0 else { throw bad("a group index is out of range") }
            guard sourceIndex.allSatisfy({ $0 >= 0 && Int($0) < max(sources.count, 1) }) || n == 0 else { throw bad("a source index is out of range") }
            return RowBatch.fromArrays(
                featureCount: d, maskWidths: meta.schema.masks.map(\.width), features: X, labels: labels, masks: masks,
                groupIndex: groupIndex, groups: groups, sourceIndex: sourceIndex, sourceRow: sourceRow, sources: sources)
        } catch let e as NpyError {
            throw bad(e.description)
        }
    }
}
