import QuernKit

#if canImport(Glibc)
    import Glibc
#endif

/// Per-gene factors read from the file `gene_factors:` names: each gene's normalized value is
/// divided by its factor before ranking (the median of the gene's non-zero normalized
/// expression over a reference corpus, as Geneformer's tokenizer uses).
///
/// The file is text, one gene a line: its name, then a tab, a comma or spaces, then a positive
/// finite number (`ENSG00000139618\t1.73`). Blank lines and lines starting with `#` are skipped;
/// a first line whose second field is not a number is a header. A gene named twice, a factor
/// that is not a positive number, or a line without two fields is an error naming the line.
public struct GeneFactors: Sendable, Equatable {
    public var byName: [String: Double]
    /// FNV-1a 64 of the file's bytes: in the options text, so batches made with other factors are
    /// never mixed with these.
    public var digest: UInt64

    public init(byName: [String: Double], digest: UInt64) {
        self.byName = byName
        self.digest = digest
    }

    /// The largest file read (a gene list is a few MB at most).
    static let maxBytes = 256 << 20

    /// Reads `path`; `option` names the option in messages.
    public static func read(_ path: String, option: String) throws -> GeneFactors {
        let bytes = try contents(path, option: option)
        var byName: [String: Double] = [:]
        var sawContent = false
        for (n, raw) in bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).enumerated() {
            let lineNumber = n + 1
            let trimmed = String(decoding: raw, as: UTF8.self).split(whereSeparator: { $0 == "\r" }).joined()
            let fields = trimmed.split(whereSeparator: { $0 == "\t" || $0 == "," || $0 == " " }).map(String.init)
            if fields.isEmpty || fields[0].hasPrefix("#") { continue }
            let first = !sawContent
            sawContent = true
            func bad(_ why: String) -> PluginError {
                .invalidOptions(
                    "\(option): \(OneLine.escape(path)):\(lineNumber): \(why); each line is a gene name and its factor (a positive number), separated by a tab, a comma or spaces."
                )
            }
            guard fields.count == 2 else {
                throw bad("\(fields.count) fields in '\(OneLine.escape(String(trimmed.prefix(80))))'")
            }
            guard let factor = Double(fields[1]) else {
                if first { continue }  // a header
                throw bad("factor '\(OneLine.escape(String(fields[1].prefix(40))))' is not a number")
            }
            guard factor.isFinite, factor > 0 else { throw bad("factor \(fields[1]) is not a positive finite number") }
            guard byName[fields[0]] == nil else { throw bad("gene '\(OneLine.escape(fields[0]))' is named twice") }
            byName[fields[0]] = factor
        }
        guard !byName.isEmpty else {
            throw PluginError.invalidOptions("\(option): '\(OneLine.escape(path))' lists no gene factors.")
        }
        return GeneFactors(byName: byName, digest: FNV1a64.hash(bytes))
    }

    /// The bytes of the file at `path` (a regular file of at most ``maxBytes``).
    static func contents(_ path: String, option: String) throws -> [UInt8] {
        func failed(_ what: String) -> PluginError {
            .invalidOptions(
                "\(option): cannot read '\(OneLine.escape(path))' (\(what)): give the file of gene factors (one `gene<TAB>factor` a line), relative to where quern runs."
            )
        }
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw failed(String(cString: strerror(errno))) }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else { throw failed("not a regular file") }
        guard Int(st.st_size) <= maxBytes else { throw failed("larger than \(maxBytes >> 20) MiB") }
        var out = [UInt8]()
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            guard n >= 0 else { throw failed(String(cString: strerror(errno))) }
            if n == 0 { break }
            out += chunk[0..<n]
            guard out.count <= maxBytes else { throw failed("larger than \(maxBytes >> 20) MiB") }
        }
        return out
    }
}
