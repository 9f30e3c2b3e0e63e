import QuernCore
import QuernPlugins
import Testing

/// Which input format (and compression) a file name implies: discovery asks for every input file,
/// so the answer is computed from the end of the name, and must stay what splitting the name at
/// its dots gives (empty parts dropped).
@Suite("Discovery: a file name's format")
struct DiscoveryNamesTests {
    /// The rule as first written: split at dots, drop empty parts, a codec extension last, then
    /// a format extension.
    static func byParts(_ name: String, _ registry: PluginRegistry) -> (format: String, compression: String?)? {
        var parts = name.split(separator: ".").map(String.init)
        guard parts.count >= 2 else { return nil }
        var compression: String? = nil
        if registry.compressedExtensions.contains(parts.last!.lowercased()) {
            compression = parts.removeLast().lowercased()
            guard parts.count >= 2 else { return nil }
        }
        guard let format = registry.formatName(forExtension: parts.last!) else { return nil }
        return (format, compression)
    }

    @Test(arguments: [
        "a.csv", "a.CSV", "game 1.csv", "a.csv.gz", "a.CSV.GZ", "a.csv.zst", "a.b.csv.lz4", "a.tsv", "a.jsonl.gz",
        "a.ndjson", ".csv", "csv", ".csv.gz", "a..csv", "a.csv.", "a.csv..", "..csv", "x.gz", "a.gz.csv", "a.tar.gz",
        "a.txt", "", ".", "..", "a", "日本.csv", "é.tsv.gz", "a.csv.gz.gz", "csv.gz", "a.h5ad", "a.trmph", "a. csv",
    ])
    func theFormatIsWhatTheDottedPartsSay(_ name: String) {
        let registry = PluginRegistry.builtIn
        let fast = Discovery.formatName(of: name, registry: registry)
        let reference = Self.byParts(name, registry)
        #expect(fast?.format == reference?.format && fast?.compression == reference?.compression, "\(name)")
    }

    @Test func knownNames() {
        let registry = PluginRegistry.builtIn
        #expect(Discovery.formatName(of: "game 1.csv.gz", registry: registry)! == ("csv", "gz"))
        #expect(Discovery.formatName(of: "x.TSV", registry: registry)! == ("tsv", nil))
        #expect(Discovery.formatName(of: ".csv", registry: registry) == nil)
        #expect(Discovery.formatName(of: "notes.txt", registry: registry) == nil)
    }
}
