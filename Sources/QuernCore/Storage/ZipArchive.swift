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
    /// One central-directory entry (a regular file, mode 0644, no extra field or comment): the one
    /// layout of batch files and of the outputs' `.npz` files.
    static func centralEntry(
        name: [UInt8], method: UInt16, crc32: UInt32, compressedSize: Int, uncompressedSize: Int, offset: Int
    ) -> [UInt8] {
        let version: UInt16 = method == 93 ? 63 : 20
        var central: [UInt8] = []
        central.reserveCapacity(46 + name.count)
        central.le32(0x0201_4B50)
        central.le16(version)
        central.le16(version)
        central.le16(0)
        central.le16(method)
        central.le16(0)
        central.le16(dosDate)
        central.le32(crc32)
        central.le32(UInt32(compressedSize))
        central.le32(UInt32(uncompressedSize))
        central.le16(UInt16(name.count))
        central.le16(0)
        central.le16(0)
        central.le16(0)
        central.le16(0)
        central.le32(0o100644 << 16)
        central.le32(UInt32(offset))
        return central + name
    }

    public static func build(_ members: [Member], path: String) throws(StorageError) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(members.reduce(22) { $0 + $1.compressed.count + 2 * (46 + $1.name.utf8.count) })
        var writer = Writer(path: path)
        for m in members {
            try m.compressed.withStorageBytes { (data) throws(StorageError) in
                try writer.add(
                    name: m.name, method: m.method, crc32: m.crc32, uncompressedSize: m.uncompressedSize,
                    compressed: data
                ) { out += $0 }
            }
        }
        try writer.finish { out += $0 }
        return out
    }

    /// Writes a ZIP file member by member into `sink` (a file, or an array for `build`): each
    /// member's compressed bytes go out as they are, never copied into one buffer for the file.
    public struct Writer: Sendable {
        public typealias Sink = (UnsafeRawBufferPointer) throws(StorageError) -> Void
        let path: String
        private var central: [UInt8] = []
        private var members = 0
        /// Bytes written so far.
        public private(set) var offset = 0

        public init(path: String) { self.path = path }

        public mutating func add(
            name: String, method: UInt16, crc32: UInt32, uncompressedSize: Int, compressed: UnsafeRawBufferPointer,
            to sink: Sink
        ) throws(StorageError) {
            guard compressed.count < limit, uncompressedSize < limit, offset < limit else {
                throw .tooLarge(path: path, what: "member \(name)", limit: "4 GiB")
            }
            let nameBytes = Array(name.utf8)
            let version: UInt16 = method == 93 ? 63 : 20
            var local: [UInt8] = []
            local.reserveCapacity(30 + nameBytes.count)
            local.le32(0x0403_4B50)
            local.le16(version)
            local.le16(0)
            local.le16(method)
            local.le16(0)
            local.le16(dosDate)
            local.le32(crc32)
            local.le32(UInt32(compressed.count))
            local.le32(UInt32(uncompressedSize))
            local.le16(UInt16(nameBytes.count))
            local.le16(0)
            local += nameBytes
            central += ZipArchive.centralEntry(
                name: nameBytes, method: method, crc32: crc32, compressedSize: compressed.count,
                uncompressedSize: uncompressedSize, offset: offset)
            members += 1
            try local.withStorageBytes(sink)
            try sink(compressed)
            offset += local.count + compressed.count
        }

        /// Writes the directory and the end record.
        public mutating func finish(to sink: Sink) throws(StorageError) {
            let cdOffset = offset
            guard offset + central.count < limit else {
                throw .tooLarge(path: path, what: "the batch file", limit: "4 GiB")
            }
            var tail = central
            tail.le32(0x0605_4B50)
            tail.le16(0)
            tail.le16(0)
            tail.le16(UInt16(members))
            tail.le16(UInt16(members))
            tail.le32(UInt32(central.count))
            tail.le32(UInt32(cdOffset))
            tail.le16(0)
            try tail.withStorageBytes(sink)
            offset += tail.count
        }
    }

    /// A member found in a file's directory: where its compressed bytes are, and what it claims.
    public struct Entry: Sendable, Equatable {
        public var name: String
        public var method: UInt16
        public var crc32: UInt32
        /// Offset and length of the compressed bytes in the file.
        public var offset: Int
        public var compressedSize: Int
        public var uncompressedSize: Int
    }

    /// Reads the member table and contents, checking every offset and size against the file.
    public static func read(_ bytes: [UInt8], path: String) throws(StorageError) -> [Member] {
        let r: Result<[Member], StorageError> = bytes.withUnsafeBytes { file in
            Result { () throws(StorageError) in
                try entries(file, path: path).map { e in
                    Member(
                        name: e.name, method: e.method, crc32: e.crc32,
                        compressed: Array(file[e.offset..<(e.offset + e.compressedSize)]),
                        uncompressedSize: e.uncompressedSize)
                }
            }
        }
        return try r.get()
    }

    /// The member table of a ZIP file in memory, every offset and size checked against the file;
    /// nothing is copied.
    public static func entries(_ bytes: UnsafeRawBufferPointer, path: String) throws(StorageError) -> [Entry] {
        func bad(_ why: String) -> StorageError { .corruptBatch(path: path, reason: why) }
        func u16(_ i: Int) -> Int { Int(UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: i, as: UInt16.self))) }
        func u32(_ i: Int) -> Int { Int(UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: i, as: UInt32.self))) }
        guard bytes.count >= 22 else {
            throw bad("\(bytes.count) bytes is too short for a ZIP file (truncated or empty)")
        }
        var eocd = -1
        var i = bytes.count - 22
        let lowest = max(0, bytes.count - 22 - 65535)
        while i >= lowest {
            if u32(i) == 0x0605_4B50 {
                eocd = i
                break
            }
            i -= 1
        }
        guard eocd >= 0 else { throw bad("no ZIP end record (truncated, or not a batch file)") }
        let count = u16(eocd + 10)
        let cdSize = u32(eocd + 12)
        let cdOffset = u32(eocd + 16)
        guard cdOffset + cdSize <= eocd else { throw bad("the ZIP directory points past its end (truncated?)") }
        var members: [Entry] = []
        var p = cdOffset
        // Members may not overlap: their data together fits in the file, so a directory that lists
        // the same bytes many times cannot multiply the memory spent reading it.
        var total = 0
        for _ in 0..<count {
            guard p + 46 <= eocd, u32(p) == 0x0201_4B50 else { throw bad("damaged ZIP directory entry") }
            let method = UInt16(u16(p + 10))
            let crc = UInt32(u32(p + 16))
            let csize = u32(p + 20)
            let usize = u32(p + 24)
            let n = u16(p + 28)
            let m = u16(p + 30)
            let k = u16(p + 32)
            let local = u32(p + 42)
            guard p + 46 + n <= eocd else { throw bad("damaged ZIP directory entry name") }
            let name = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[(p + 46)..<(p + 46 + n)]), as: UTF8.self)
            p += 46 + n + m + k
            guard local + 30 <= cdOffset, u32(local) == 0x0403_4B50 else {
                throw bad("member \(name): damaged local header")
            }
            let start = local + 30 + u16(local + 26) + u16(local + 28)
            guard start + csize <= cdOffset else {
                throw bad("member \(name) runs past the end of the data (truncated?)")
            }
            total += 30 + csize
            guard total <= cdOffset else {
                throw bad("the ZIP directory lists overlapping members (not a batch file quern wrote)")
            }
            members.append(
                Entry(
                    name: name, method: method, crc32: crc, offset: start, compressedSize: csize,
                    uncompressedSize: usize))
        }
        return members
    }
}

extension Array where Element == UInt8 {
    /// `withUnsafeBytes` for a body that throws only ``StorageError`` (the standard one does not keep the type).
    func withStorageBytes(_ body: (UnsafeRawBufferPointer) throws(StorageError) -> Void) throws(StorageError) {
        let r: Result<Void, StorageError> = withUnsafeBytes { b in Result { () throws(StorageError) in try body(b) } }
        try r.get()
    }
    mutating func le16(_ v: UInt16) {
        append(UInt8(v & 0xFF))
        append(UInt8(v >> 8))
    }
    mutating func le32(_ v: UInt32) {
        for s in stride(from: 0, to: 32, by: 8) { append(UInt8((v >> UInt32(s)) & 0xFF)) }
    }
    func u16(_ i: Int) -> UInt16 { UInt16(self[i]) | UInt16(self[i + 1]) << 8 }
    func u32(_ i: Int) -> UInt32 {
        UInt32(self[i]) | UInt32(self[i + 1]) << 8 | UInt32(self[i + 2]) << 16 | UInt32(self[i + 3]) << 24
    }
}
