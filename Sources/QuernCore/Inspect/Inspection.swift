import Foundation

/// What `quern inspect` found in a batch file, an intermediate folder or an output folder: the
/// arrays with their dtype and shape, the codecs, rows and files, the checksum status, the schema
/// fingerprint, and the first rows. `--json` prints it as is (keys sorted); the table is
/// ``InspectionTable``. docs/cli.md documents the fields.
public struct Inspection: Codable, Sendable {
    public enum Kind: String, Codable, Sendable {
        case batch, intermediate, output
    }

    /// One array: a batch member, or an array of an output file. In an intermediate folder the
    /// shapes are those of all batches together (`groups` and `sources` are per batch, left out).
    public struct ArrayInfo: Codable, Sendable, Equatable {
        public var name: String
        /// NumPy type string: `<f4`, `<i4`, `|i1`, `|S12`.
        public var dtype: String
        public var shape: [Int]
        /// The file that holds it, for outputs (`labels_train.npz`).
        public var file: String?
        /// How a batch file stores it when not as shown: a mask head packed eight values to a
        /// byte (`maskbits_legal |u1 [1000, 11]`), which numpy's `np.load` shows as it is.
        public var stored: String? = nil
    }

    /// One file: a batch file (with its rows and codec) or an output file.
    public struct FileInfo: Codable, Sendable, Equatable {
        public var name: String
        public var bytes: Int
        public var rows: Int?
        public var codec: String?
        /// `ok`, `damaged` or `not checked`.
        public var checksum: String
    }

    /// Whether the bytes are those Quern wrote, and what was compared to say so.
    public struct Checksums: Codable, Sendable, Equatable {
        /// `ok`, `damaged` or `not checked`.
        public var status: String
        public var checked: String
        /// `path: what is wrong`, one per problem (as `quern verify` prints them).
        public var problems: [String] = []
    }

    /// One of the first rows. `group`, `source` and `line` come from the batches; outputs do not
    /// hold them (the row-origin section of provenance is where they will come from).
    public struct Row: Codable, Sendable, Equatable {
        public var row: Int
        public var split: String?
        public var features: [Float]
        public var labels: [String: Int]
        public var masks: [String: [Int]]
        public var group: String?
        public var source: String?
        public var line: Int?
    }

    public var kind: Kind
    public var path: String
    public var rows: Int
    /// Rows per split, for an output folder.
    public var splits: [String: Int]?
    public var fingerprint: String?
    public var extractor: String?
    /// Codec specs found (`zstd:1`); `none` for outputs, which are stored.
    public var codecs: [String]
    /// Input files the batches were made from (intermediate folder and batch file).
    public var inputFiles: Int?
    public var files: [FileInfo]
    public var arrays: [ArrayInfo]
    public var checksums: Checksums
    public var head: [Row] = []
    public var featureNames: [String]?

    /// The JSON `--json` prints: keys sorted, one object.
    public func json() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(
            positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }
}

/// Why `quern inspect` or `quern export` cannot do what was asked, with what to do instead.
public enum InspectError: Error, CustomStringConvertible, Equatable {
    case notFound(path: String)
    case notQuern(path: String)
    case destinationInUse(path: String)
    case destinationIsSource(destination: String, source: String)
    case notABatchFolder(path: String)

    public var description: String {
        switch self {
        case .notFound(let p):
            return
                "\(p): no such file or folder. Give a batch file (\(IntermediateFolderLayout.batchPattern)), an intermediate folder or an output folder."
        case .notQuern(let p):
            return
                "\(p): not something quern wrote: a batch file is named \(IntermediateFolderLayout.batch(0, part: 0)), an intermediate folder holds \(IntermediateFolderLayout.journal(shard: 0, of: 1)), an output folder \(OutputFolderLayout.x(split: "train"))."
        case .destinationInUse(let p):
            return
                "\(p): the folder exists, is not empty and is not an earlier export (it has no \(IntermediateFolderLayout.exportMarker)): give a new or empty folder with --to, or remove this one first."
        case .destinationIsSource(let d, let s):
            return
                "\(d): is \(s) or inside it; export never writes into its source: give a folder outside it with --to."
        case .notABatchFolder(let p):
            return
                "\(p): holds no journaled batches to export (no \(IntermediateFolderLayout.journal(shard: 0, of: 1))): give an intermediate folder (paths.intermediate) or one batch file."
        }
    }
}
