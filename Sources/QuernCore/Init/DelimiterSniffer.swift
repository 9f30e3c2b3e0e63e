public import QuernKit

/// Finds the field separator of a delimited file from its first lines, for `quern init`: a
/// `.csv` written with `;` (common where `,` is the decimal mark) or with tabs, or a `.tsv` written
/// with `,`. A candidate fits when the header holds it and every sampled line holds it as many
/// times (outside quotes); of those that fit, the one making the most fields wins, and the
/// extension's own separator wins a tie. When none fits, the extension's separator is kept and
/// the reader reports the lines that do not match.
public enum DelimiterSniffer {
    /// Separators tried, in order of preference after the extension's own.
    public static let candidates: [UInt8] = [
        UInt8(ascii: ","), UInt8(ascii: ";"), UInt8(ascii: "\t"), UInt8(ascii: "|"),
    ]

    /// The separator of the text at the start of a file, or nil when no candidate fits every line.
    /// `preferred` is the format's own separator.
    public static func sniff(_ bytes: [UInt8], preferred: UInt8) -> UInt8? {
        let lines = Self.lines(bytes, maxLines: 50)
        guard let header = lines.first else { return nil }
        var best: (delimiter: UInt8, fields: Int)? = nil
        // The preferred one first, so it keeps a tie (only a strictly larger field count replaces).
        for d in [preferred] + candidates.filter({ $0 != preferred }) {
            let n = count(d, in: header)
            guard n > 0, lines.allSatisfy({ count(d, in: $0) == n }) else { continue }
            if n + 1 > best?.fields ?? 0 { best = (d, n + 1) }
        }
        return best?.delimiter
    }

    /// Up to `maxLines` complete, non-blank lines (a line break inside quotes does not end one; an
    /// unfinished last line is dropped, as it may be cut by the sample's end).
    static func lines(_ bytes: [UInt8], maxLines: Int) -> [ArraySlice<UInt8>] {
        var out: [ArraySlice<UInt8>] = []
        var start = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
        var quoted = false
        var i = start
        while i < bytes.count && out.count < maxLines {
            let b = bytes[i]
            if b == UInt8(ascii: "\"") {
                quoted.toggle()
            } else if b == UInt8(ascii: "\n") && !quoted {
                var line = bytes[start..<i]
                if line.last == UInt8(ascii: "\r") { line = line.dropLast() }
                if !line.isEmpty { out.append(line) }
                start = i + 1
            }
            i += 1
        }
        return out
    }

    /// Occurrences of `d` outside quotes.
    static func count(_ d: UInt8, in line: ArraySlice<UInt8>) -> Int {
        var n = 0
        var quoted = false
        for b in line {
            if b == UInt8(ascii: "\"") { quoted.toggle() } else if b == d && !quoted { n += 1 }
        }
        return n
    }

    /// Up to `limit` bytes from the start of `source`.
    public static func prefix(of source: any ByteSource, limit: Int = 64 << 10) throws -> [UInt8] {
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16 << 10)
        while bytes.count < limit {
            let n = try chunk.withUnsafeMutableBytes { buf in try source.read(into: buf) }
            if n == 0 { break }
            bytes += chunk[0..<min(n, limit - bytes.count)]
        }
        return bytes
    }
}
