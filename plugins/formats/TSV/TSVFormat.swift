public import QuernKit

/// Tab-separated values with a header row. Fields are not quoted unless `quoting` is on.
public struct TSVFormat: InputFormat, InputFormatPlugin {
    public static let name = "tsv"
    public static let summary = "tab-separated values with a header row"
    public static let options = [
        OptionSpec("quoting", .bool, default: "false", help: "read \"...\" as quoted fields, as in CSV")
    ]
    public static let fileExtensions = ["tsv", "tab"]

    public static func make(_ options: PluginOptions) throws -> any InputFormat {
        TSVFormat(quoting: options.bool("quoting") ?? false)
    }

    public let quoting: Bool
    public init(quoting: Bool = false) { self.quoting = quoting }
    public var name: String { Self.name }
    public var recordSplitting: RecordSplitting? {
        RecordSplitting(delimiter: UInt8(ascii: "\t"), quote: quoting ? UInt8(ascii: "\"") : nil)
    }

    public func open(_ source: any ByteSource, settings: ReaderSettings) throws(ReadError) -> any RecordReader {
        try DelimitedReader(
            source, delimiter: UInt8(ascii: "\t"), quote: quoting ? UInt8(ascii: "\"") : nil, settings: settings)
    }
}
