import Foundation

#if canImport(Glibc)
    import Glibc
    import QuernKit
#endif

/// Where one output row came from: its split and row, its source file and line, its group key.
public struct RowOrigin: Sendable, Equatable, CustomStringConvertible {
    public var split: String
    public var row: Int
    /// Index into `provenance_files.json`'s `files`.
    public var fileIndex: Int
    /// The file's name relative to the input folder.
    public var file: String
    /// The input folder the run read (`input_dir` of `provenance_files.json`), when known.
    public var inputDir: String?
    /// 1-based line of the row in its file (the header of a CSV is line 1).
    public var line: Int
    /// Index into `provenance_groups.npy`.
    public var groupIndex: Int
    /// The group key's bytes (empty when the extractor has no group column).
    public var group: [UInt8]

    public var description: String {
        let key = String(decoding: group, as: UTF8.self)
        return "\(split) row \(row): \(TerminalText.escape(file)) line \(line)"
            + (group.isEmpty ? "" : ", group \(TerminalText.escape(key))")
    }
}

/// The provenance files of an output folder (`save.provenance: true`), and looking a row up in
/// them. `provenance_<split>.npy` is int64 `(rows, 3)`: file index, line, group index per row of
/// `X_<split>.npy`, in the same order; see docs/formats.md.
public enum Provenance {
    public static let groupsFile = OutputFolderLayout.provenanceGroups
    public static func rowsFile(_ split: String) -> String { OutputFolderLayout.provenance(split: split) }

    /// The origin of row `row` of split `split` (`train`, `val`, `test`, or `all` for the output of
    /// `quern transform`, whose file is `provenance.npy`) in the output folder `folder`. Reads only
    /// the headers and the entries it needs; every size is checked against the file.
    public static func origin(of row: Int, split: String, in folder: String) throws -> RowOrigin {
        let rowsPath =
            "\(folder)/\(split == OutputFolderLayout.transformAllSplit ? OutputFolderLayout.transformProvenance : rowsFile(split))"
        guard FileManager.default.fileExists(atPath: rowsPath) else {
            throw ProvenanceError.missing(folder: folder, file: rowsPath)
        }
        let entry = try readRecords(rowsPath, descr: "<i8", width: RowBlock.originWidth, index: row, what: "row")
        let values = entry.withUnsafeBytes { raw in
            (0..<3).map { Int(Int64(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 8, as: Int64.self))) }
        }
        let listPath = "\(folder)/\(ProvenanceFiles.fileName)"
        let list: ProvenanceFiles
        do {
            list = try JSONDecoder().decode(
                ProvenanceFiles.self, from: Data(try BatchFile.readWhole(listPath, limit: 1 << 30)))
        } catch let e as StorageError {
            throw e
        } catch {
            throw ProvenanceError.damaged(path: listPath, reason: "not a quern file list (\(error))")
        }
        guard values[0] >= 0 && values[0] < list.files.count else {
            throw ProvenanceError.damaged(
                path: rowsPath, reason: "row \(row) names file \(values[0]), and \(listPath) lists \(list.files.count)")
        }
        let groupsPath = "\(folder)/\(groupsFile)"
        var key = try readRecords(groupsPath, descr: nil, width: 1, index: values[2], what: "group")
        while key.last == 0 { key.removeLast() }
        return RowOrigin(
            split: split, row: row, fileIndex: values[0], file: list.files[values[0]], inputDir: list.inputDir,
            line: values[1], groupIndex: values[2],
            group: key)
    }

    /// The bytes of record `index` of a 1-D or 2-D `.npy` file (`width` elements a record);
    /// `descr` nil accepts byte strings (`|S<n>`).
    static func readRecords(_ path: String, descr: String?, width: Int, index: Int, what: String) throws -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw StorageError.io(path: path, operation: "read", errno: errno) }
        defer { close(fd) }
        var head = [UInt8](repeating: 0, count: 4096)
        let got = head.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, 0) }
        guard got > 0 else { throw StorageError.io(path: path, operation: "read", errno: got < 0 ? errno : EIO) }
        head.removeSubrange(got...)
        let h: NpyArray.Header
        do { h = try NpyArray.header(head) } catch {
            throw ProvenanceError.damaged(path: path, reason: error.description)
        }
        let okType = descr.map { h.descr == $0 } ?? h.descr.hasPrefix("|S")
        let expectedShape = width == 1 ? 1 : 2
        guard okType, h.shape.count == expectedShape, width == 1 || h.shape[1] == width,
            let item = NpyArray.itemSize(h.descr)
        else {
            throw ProvenanceError.damaged(
                path: path, reason: "dtype \(h.descr) shape \(h.shape) is not a provenance array")
        }
        guard index >= 0 && index < h.shape[0] else {
            throw ProvenanceError.outOfRange(path: path, what: what, index: index, count: h.shape[0])
        }
        let size = item * width
        var out = [UInt8](repeating: 0, count: size)
        let n = out.withUnsafeMutableBytes { pread(fd, $0.baseAddress, size, off_t(h.dataStart + index * size)) }
        guard n == size else {
            throw ProvenanceError.damaged(path: path, reason: "it ends before \(what) \(index) (cut short?)")
        }
        return out
    }
}

/// Why a row's origin cannot be told.
public enum ProvenanceError: Error, CustomStringConvertible, Equatable {
    case missing(folder: String, file: String)
    case outOfRange(path: String, what: String, index: Int, count: Int)
    case damaged(path: String, reason: String)

    public var description: String {
        switch self {
        case .missing(let folder, let file):
            "\(folder) has no provenance (\(file) is missing): it is written only with save.provenance: true. Set it in the config and run `quern merge` again."
        case .outOfRange(let path, let what, let index, let count):
            "\(what) \(index) is out of range: \(path) holds \(count) (0 to \(count - 1))."
        case .damaged(let path, let reason):
            "\(path) cannot be read as quern provenance: \(reason). Run `quern merge` again to rewrite it (`quern verify` checks the outputs)."
        }
    }
}
