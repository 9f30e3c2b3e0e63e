/// The ZIP container of batch files (what `numpy.savez` writes): members stored (method 0),
/// deflated (8), or compressed by another registered codec (zstd is method 93, as the ZIP
/// specification assigns; see docs/formats.md). No ZIP64: a member must stay under 4 GiB, which
/// `--rows-per-batch` bounds. Dates are fixed so identical content gives identical bytes.
public enum ZipArchive {
    public struct Member: Sendable, Equatable {
        public var name: String
        public var method: UInt16
        public var crc32: UInt32
        public var compressed: [UInt8]
        public var uncompressedSize: Int

        public init(name: String, method: UInt16, crc32: UInt32, compressed: [UInt8], uncompressedSize: Int) {
            self.name = name
            self.method = method
            self.crc32 = crc32
            self.compressed = compressed
            self.uncompressedSize = uncompressedSize
        }
    }

    static let dosDate: UInt16 = (0 << 9) | (1 << 5) | 1  // 1980-01-01, the ZIP epoch
    static let limit = Int(UInt32.max) - 1

    /// Lays out members as a complete ZIP file.
    public static func build(_ members: [Member], path: String) throws(StorageError) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(members.reduce(22) { $0 + $1.compressed.count + 2 * (46 + $1.name.utf8.count) })
        var central: [UInt8] = []
        for m in members {
            guard m.compressed.count < limit, m.uncompressedSize < limit, out.count < limit else {
                throw .tooLarge(path: path, what: "member \(m.name)", limit: "4 GiB")
            }
            let name = Array(m.name.utf8)
            let version: UInt16 = m.method == 93 ? 63 : 20
            let offset = UInt32(out.count)
            out.le32(0x0403_4B50)
            out.le16(version); out.le16(0); out.le16(m.method); out.le16(0); out.le16(dosDate)
            out.le32(m.crc32); out.le32(UInt32(m.compressed.count)); out.le32(UInt32(m.uncompressedSize))
            out.le16(UInt16(name.count)); out.le16(0)
            out += name
            out += m.compressed
            central.le32(0x0201_4B50)
            central.le16(version); central.le16(version); central.le16(0); central.le16(m.method)
            central.le16(0); central.le16(dosDate)
            central.le32(m.crc32); central.le32(UInt32(m.compressed.count)); central.le32(UInt32(m.uncompressedSize))
            central.le16(UInt16(name.count)); central.le16(0); central.le16(0); central.le16(0); central.le16(0)
            central.le32(0o100644 << 16); central.le32(offset)
            central += name
        }
        let cdOffset = out.count
        out += central
        guard out.count < limit else { throw .tooLarge(path: path, what: "the batch file", limit: "4 GiB") }
        out.le32(0x0605_4B50)
        out.le16(0); out.le16(0); out.le16(UInt16(members.count)); out.le16(UInt16(members.count))
        out.le32(UInt32(central.count)); out.le32(UInt32(cdOffset)); out.le16(0)
        return out
    }

    /// Reads the member table and contents, checking every offset and size against the file.
    public static func read(_ bytes: [UInt8], path: String) throws(StorageError) -> [Member] {
        func bad(_ why: String) -> StorageError { .corruptBatch(path: path, reason: why) }
        guard bytes.count >= 22 else { throw bad("\(bytes.count) bytes is too short for a ZIP file (truncated or empty)") }
        var eocd = -1
        var i = bytes.count - 22
        let lowest = max(0, bytes.count - 22 - 65535)
        while i >= lowest {
            if bytes.u32(i) == 0x0605_4B50 { eocd = i; break }
            i -= 1
        }
        guard eocd >= 0 else { throw bad("no ZIP end record (truncated, or not a batch file)") }
        let count = Int(bytes.u16(eocd + 10))
        let cdSize = Int(bytes.u32(eocd + 12))
        let cdOffset = Int(bytes.u32(eocd + 16))
        guard cdOffset + cdSize <= eocd else { throw bad("the ZIP directory points past its end (truncated?)") }
        var members: [Member] = []
        var p = cdOffset
        // Members may not overlap: their data together fits in the file, so a directory that lists
        // the same bytes many times cannot multiply the memory spent reading it.
        var total = 0
        for _ in 0..<count {
            guard p + 46 <= eocd, bytes.u32(p) == 0x0201_4B50 else { throw bad("damaged ZIP directory entry") }
            let method = bytes.u16(p + 10)
            let crc = bytes.u32(p + 16)
            let csize = Int(bytes.u32(p + 20))
            let usize = Int(bytes.u32(p + 24))
            let n = Int(bytes.u16(p + 28)), m = Int(bytes.u16(p + 30)), k = Int(bytes.u16(p + 32))
            let local = Int(bytes.u32(p + 42))
            guard p + 46 + n <= eocd else { throw bad("damaged ZIP directory entry name") }
            let name = String(decoding: bytes[(p + 46)..<(p + 46 + n)], as: UTF8.self)
            p += 46 + n + m + k
            guard local + 30 <= cdOffset, bytes.u32(local) == 0x0403_4B50 else { throw bad("member \(name): damaged local header") }
            let start = local + 30 + Int(bytes.u16(local + 26)) + Int(bytes.u16(local + 28))
            guard start + csize <= cdOffset else { throw bad("member \(name) runs past the end of the data (truncated?)") }
            total += 30 + csize
            guard total <= cdOffset else { throw bad("the ZIP directory lists overlapping members (not a batch file quern wrote)") }
            members.append(Member(name: name, method: method, crc32: crc, compressed: Array(bytes[start..<(start + csize)]), uncompressedSize: usize))
        }
        return members
    }
}

extension Array where Element == UInt8 {
    mutating func le16(_ v: UInt16) { append(UInt8(v & 0xFF)); append(UInt8(v >> 8)) }
    mutating func le32(_ v: UInt32) { for s in stride(from: 0, to: 32, by: 8) { append(UInt8((v >> UInt32(s)) & 0xFF)) } }
    func u16(_ i: Int) -> UInt16 { UInt16(self[i]) | UInt16(self[i + 1]) << 8 }
    func u32(_ i: Int) -> UInt32 { UInt32(self[i]) | UInt32(self[i + 1]) << 8 | UInt32(self[i + 2]) << 16 | UInt32(self[i + 3]) << 24 }
}
