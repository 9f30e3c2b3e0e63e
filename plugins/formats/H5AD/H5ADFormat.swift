import Glibc
public import QuernKit

/// AnnData files (`.h5ad`, single-cell data on HDF5), read through libhdf5 (docs/formats.md,
/// docs/single-cell.md). A record is a cell: `obs_names` (the cell id), the `obs` columns
/// (numbers, booleans, strings, categoricals), then one column per gene (the `var` names),
/// handed over as a ``NumericBlock`` of float32 values, dense or sparse: never printed as text.
///
/// Reads `X` (or `raw/X`, or `layers/<name>`: option `matrix`) dense of any numeric type, or
/// sparse CSR or CSC, a block of cells at a time (bounded memory, see ``MatrixReader``). The
/// genes of every file are lined up by name with the run's vocabulary: the first file's `var`,
/// or the `genes` option's file (``GeneAlignment``). HDF5 needs random access, so the file is
/// opened by its path: a compressed `.h5ad.gz` is refused (HDF5 compresses inside the file).
public struct H5ADFormat: InputFormat, InputFormatPlugin {
    public static let name = "h5ad"
    public static let summary =
        "AnnData single-cell files (HDF5): a cell per record, obs columns, then one column per gene"
    public static let options: [OptionSpec] = [
        OptionSpec(
            "matrix", .string, default: "X",
            help: "the matrix read: X, raw (raw/X with raw/var's genes) or layers/NAME"),
        OptionSpec(
            "block_values", .int(1...(1 << 30)), default: String(MatrixReader.targetValues),
            help:
                "about how many matrix values a block of cells holds (8 bytes each while read): less memory, more reads"
        ),
        OptionSpec(
            "genes", .string,
            help:
                "a text file of gene names, one a line: the run's gene columns, in that order (default: the first file's var)"
        ),
    ]
    public static let fileExtensions = ["h5ad"]

    public static func make(_ options: PluginOptions) throws -> any InputFormat {
        let matrix = options.string("matrix") ?? "X"
        guard matrix == "X" || matrix == "raw" || (matrix.hasPrefix("layers/") && matrix.count > 7) else {
            throw PluginError.badOptionValue(
                plugin: name, kind: .format, option: "matrix", value: matrix,
                expected: "X, raw or layers/NAME (a layer of the file)", valid: options.specs.map(\.name))
        }
        var vocabulary: [String]? = nil
        if let path = options.string("genes") {
            guard let data = readWholeFile(path) else {
                throw PluginError.badOptionValue(
                    plugin: name, kind: .format, option: "genes", value: path,
                    expected: "a readable text file of gene names, one a line", valid: options.specs.map(\.name))
            }
            let names = String(decoding: data, as: UTF8.self).split(whereSeparator: \.isNewline)
                .map { String($0.drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed()) }
                .filter { !$0.isEmpty }
            guard !names.isEmpty else {
                throw PluginError.badOptionValue(
                    plugin: name, kind: .format, option: "genes", value: path,
                    expected: "a file with at least one gene name", valid: options.specs.map(\.name))
            }
            vocabulary = names
        }
        return H5ADFormat(
            matrix: matrix, vocabulary: vocabulary,
            blockValues: options.int("block_values") ?? MatrixReader.targetValues)
    }

    public let matrix: String
    public let vocabulary: [String]?
    public let blockValues: Int

    public init(matrix: String = "X", vocabulary: [String]? = nil, blockValues: Int = 8 << 20) {
        self.matrix = matrix
        self.vocabulary = vocabulary
        self.blockValues = blockValues
    }

    public var name: String { Self.name }

    public func open(_ source: any ByteSource, settings: ReaderSettings) throws(ReadError) -> any RecordReader {
        guard let path = source.filePath else {
            throw ReadError(
                line: nil,
                "an .h5ad is read by its path (HDF5 needs random access): give the file itself, not a compressed or streamed copy"
            )
        }
        do {
            return try H5ADReader(path: path, matrix: matrix, vocabulary: vocabulary, blockValues: blockValues)
        } catch {
            throw ReadError(line: nil, error.description)
        }
    }
}

/// The bytes of the file at `path`, or nil when it cannot be read (the kit has no Foundation).
func readWholeFile(_ path: String) -> [UInt8]? {
    let fd = Glibc.open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { return nil }
    defer { close(fd) }
    var out: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 1 << 16)
    while true {
        let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
        if n < 0 { return nil }
        if n == 0 { return out }
        out += chunk[0..<n]
    }
}
