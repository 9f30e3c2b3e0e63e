public import QuernKit

/// CSV per RFC 4180, with a header row (quoted fields, CRLF or LF, a UTF-8 BOM).
public struct CSVFormat: InputFormat, InputFormatPlugin {
    public static let name = "csv"
    public static let summary = "comma-separated values with a header row (RFC 4180 quoting)"
    public static let options = [
        OptionSpec(
            "delimiter", .string, default: ",",
            help: "the one-character field separator (; | and so on); \\t or tab for a tab")
    ]
    public static let fileExtensions = ["csv"]

    public static func make(_ options: PluginOptions) throws -> any InputFormat {
        let text = options.string("delimiter") ?? ","
        guard let d = delimiter(text) else {
            throw PluginError.badOptionValue(
                plugin: name, kind: .format, option: "delimiter", value: text,
                expected: "one ASCII character other than a quote or a line break (\\t or tab for a tab)",
                valid: ["delimiter"])
        }
        return CSVFormat(delimiter: d)
    }

    /// The byte `text` names: one ASCII character, or `\t` / `tab` (a tab is hard to type in a flag).
    static func delimiter(_ text: String) -> UInt8? {
        if text == "\\t" || text.lowercased() == "tab" { return UInt8(ascii: "\t") }
        let bytes = Array(text.utf8)
        guard bytes.count == 1, bytes[0] < 0x80, !"\"\n\r".utf8.contains(bytes[0]) else { return nil }
        return bytes[0]
    }

    public let delimiter: UInt8
    public init(delimiter: UInt8 = UInt8(ascii: ",")) { self.delimiter = delimiter }
    public var name: String { Self.name }
    public var recordSplitting: RecordSplitting? { RecordSplitting(delimiter: delimiter, quote: UInt8(ascii: "\"")) }

    public func open(_ source: any ByteSource, settings: ReaderSettings) throws(ReadError) -> any RecordReader {
        try DelimitedReader(source, delimiter: delimiter, quote: UInt8(ascii: "\""), settings: settings)
    }
}
