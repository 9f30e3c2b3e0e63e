import Foundation
public import QuernKit
import Synchronization

/// The source files and group keys of a merge with provenance (`save.provenance: true`), in the
/// order the merge first meets them (batch order, so input files come in the plan's order). Each
/// row's origin (``RowBlock/origin``) holds indexes into these tables; the save step writes them as
/// `provenance_files.json` and `provenance_groups.npy` beside `provenance_<split>.npy`
/// (docs/formats.md).
///
/// A loader reads a batch with its own small tables (a batch's `sources` and `groups`); the merge's
/// one consumer thread renumbers each block to these tables before a strategy sees it
/// (``globalize(_:sources:groups:)``), so the numbering is the same however the loaders race.
public final class ProvenanceTable: Sendable {
    struct State {
        var files: [String] = []
        var fileIndex: [String: Int64] = [:]
        var groups: [[UInt8]] = []
        var groupIndex: [[UInt8]: Int64] = [:]
    }
    private let state = Mutex(State())

    public init() {}

    /// The source files, relative to the input folder, by index.
    public var files: [String] { state.withLock { $0.files } }
    /// The group keys (UTF-8 bytes; empty when the extractor has no group column), by index.
    public var groups: [[UInt8]] { state.withLock { $0.groups } }

    /// Turns a block's batch-local origins (a source index into `sources`, a group index into
    /// `groups`, as ``BatchSet/block(from:layout:split:)`` copies them) into indexes of this table.
    public func globalize(_ block: inout RowBlock, sources: [String], groups: [[UInt8]]) {
        let (fileMap, groupMap) = state.withLock { s -> ([Int64], [Int64]) in
            let f = sources.map { name -> Int64 in
                if let k = s.fileIndex[name] { return k }
                let k = Int64(s.files.count)
                s.files.append(name)
                s.fileIndex[name] = k
                return k
            }
            let g = groups.map { key -> Int64 in
                if let k = s.groupIndex[key] { return k }
                let k = Int64(s.groups.count)
                s.groups.append(key)
                s.groupIndex[key] = k
                return k
            }
            return (f, g)
        }
        let w = RowBlock.originWidth
        block.origin.withUnsafeMutableBufferPointer { o in
            for r in 0..<(o.count / w) {
                o[r * w] = fileMap[Int(o[r * w])]
                o[r * w + 2] = groupMap.isEmpty ? 0 : groupMap[Int(o[r * w + 2])]
            }
        }
    }

    /// Writes `provenance_files.json` and `provenance_groups.npy` into `dir` (atomically).
    /// `inputDir` is the folder the file names are relative to, when the config names it.
    public func write(to dir: String, inputDir: String?) throws {
        let list = ProvenanceFiles(inputDir: inputDir, files: files)
        try AtomicFile.write(list.text, to: "\(dir)/\(ProvenanceFiles.fileName)")
        try AtomicFile.write(NpyArray(byteStrings: groups).encoded(), to: "\(dir)/\(Provenance.groupsFile)")
    }
}

/// `provenance_files.json`: the source files that `provenance_<split>.npy`'s file column indexes.
///
/// ```json
/// {"files": ["game_000001.csv", "game_000002.csv"], "format": "quern-provenance-files",
///  "input_dir": "data/input", "version": 1}
/// ```
public struct ProvenanceFiles: Codable, Sendable, Equatable {
    public static let fileName = OutputFolderLayout.provenanceFiles

    public var format = "quern-provenance-files"
    public var version = 1
    /// The input folder the names are relative to, when the merge knows it: written by `quern run`
    /// (which extracted from it), absent after a `quern merge` alone.
    public var inputDir: String?
    /// File names relative to the input folder, by index.
    public var files: [String]

    enum CodingKeys: String, CodingKey {
        case format, version, files
        case inputDir = "input_dir"
    }

    public init(inputDir: String?, files: [String]) {
        self.inputDir = inputDir
        self.files = files
    }

    var text: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let data = (try? encoder.encode(self)) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self) + "\n"
    }
}
