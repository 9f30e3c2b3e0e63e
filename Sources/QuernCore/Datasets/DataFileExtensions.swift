/// The extensions a dataset file loses when it is named: one of a registered input format's
/// (`csv`, `tsv`, `jsonl`, ...), optionally followed by one of a codec's (`gz`, `zst`, `lz4`, ...),
/// compared without case. Any other dot is part of the name, so `sales.2023.csv` and
/// `sales.2024.csv` stay apart (`sales_2023`, `sales_2024`), and `x.gz` or `notes.txt` keep theirs.
///
///     let ext = DataFileExtensions(formats: ["csv"], compressions: ["gz"])
///     ext.strip("sales.2023.csv.gz")  // "sales.2023"
public struct DataFileExtensions: Sendable, Equatable {
    /// Input format extensions, lowercased (`csv`).
    public var formats: Set<String>
    /// Compression extensions, lowercased (`gz`).
    public var compressions: Set<String>

    public init(formats: some Sequence<String>, compressions: some Sequence<String>) {
        self.formats = Set(formats.map { $0.lowercased() })
        self.compressions = Set(compressions.map { $0.lowercased() })
    }

    /// The extensions of every input format and codec in `registry`, the same ones input
    /// discovery reads files by.
    public init(registry: PluginRegistry) {
        self.init(formats: registry.formatExtensions, compressions: registry.compressedExtensions)
    }

    /// `name` without its data extension (and the compression one after it), or `name` unchanged
    /// when it does not end in one. A leading dot is not an extension (`.csv` stays).
    public func strip(_ name: String) -> String {
        var rest = Substring(name)
        if let (stem, ext) = Self.split(rest), compressions.contains(ext) { rest = stem }
        guard let (stem, ext) = Self.split(rest), formats.contains(ext) else { return name }
        return String(stem)
    }

    private static func split(_ s: Substring) -> (stem: Substring, ext: String)? {
        guard let dot = s.lastIndex(of: "."), dot != s.startIndex else { return nil }
        return (s[..<dot], s[s.index(after: dot)...].lowercased())
    }
}
