public import QuernKit

/// What a batch file says about itself, stored as the `meta` member (a uint8 array holding this as
/// JSON, so `numpy.load` still lists it as an array). See docs/formats.md.
public struct BatchMeta: Sendable, Codable, Equatable {
    public var format = "quern-batch"
    public var version = 1
    public var batch: Int
    public var part: Int
    public var rows: Int
    public var fingerprint: String
    public var extractor: String
    /// Codec spec the members were written with (`zstd:1`); reading uses each member's ZIP method.
    public var codec: String
    public var schema: FeatureSchema
    /// CRC-32 of every array member's uncompressed `.npy` bytes, in member order, chained.
    public var checksum: String

    public init(
        batch: Int, part: Int, rows: Int, fingerprint: String, extractor: String, codec: String, schema: FeatureSchema,
        checksum: String, version: Int = 1
    ) {
        self.version = version
        self.batch = batch
        self.part = part
        self.rows = rows
        self.fingerprint = fingerprint
        self.extractor = extractor
        self.codec = codec
        self.schema = schema
        self.checksum = checksum
    }
}

/// Names of batch files: `batch_000012.npz` for the first part of batch 12, `batch_000012.001.npz`
/// for the next when a batch outgrows `--rows-per-batch`.
public struct BatchName: Sendable, Equatable, Hashable, Comparable, CustomStringConvertible {
    public var batch: Int
    public var part: Int

    public init(batch: Int, part: Int) {
        self.batch = batch
        self.part = part
    }

    /// Its file name (see ``IntermediateFolderLayout/batch(_:part:)``).
    public var fileName: String { IntermediateFolderLayout.batch(batch, part: part) }

    public var description: String { fileName }

    /// Parses a batch file name; nil for anything else.
    public init?(fileName: String) {
        guard let parsed = IntermediateFolderLayout.parseBatch(fileName) else { return nil }
        self.init(batch: parsed.batch, part: parsed.part)
    }

    public static func < (a: BatchName, b: BatchName) -> Bool { (a.batch, a.part) < (b.batch, b.part) }
}
