public import QuernCore

/// CSV per RFC 4180, with a header row (quoted fields, CRLF or LF, a UTF-8 BOM).
public struct CSVFormat: InputFormat, InputFormatPlugin {
    public static let name = "csv"
    public static let summary = "comma-separated values with a header row (RFC 4180 quoting)"
    public static let options = [OptionSpec("delimiter", .string, default: ",", help: "the one-character field separator")]
    public static let fileExtensions = ["csv"]

    public static func make(_ options: PluginOptions) throws -> any InputFormat {
        let d = Array((options.string("delimiter") ?? ",").utf8)
        guard d.count == 1 else { throw RegistryError.badOptionValue(plugin: name, kind: .format, option: "delimiter", value: options.string("delimiter") ?? "", expected: "one ASCII character", valid: ["delimiter"]) }
        return CSVFormat(delimiter: d[0])
    }

    public let delimiter: UInt8
    public init(delimiter: UInt8 = UInt8(ascii: ",")) { self.delimiter = delimiter }
    public var name: String { Self.name }

    public func open(_ source: any ByteSource, settings: ReaderSettings) throws(ReadError) -> any RecordReader {
        try DelimitedReader(source, delimiter: delimiter, quote: UInt8(ascii: "\""), settings: settings)
    }
}
