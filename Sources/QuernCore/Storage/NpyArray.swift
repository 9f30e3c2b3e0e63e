/// One array in NumPy's `.npy` format (version 1.0 header, little-endian data, C order): what
/// batch members and output files hold, so `numpy.load` opens them.
public struct NpyArray: Sendable, Equatable {
    /// NumPy type string: `<f4`, `<i4`, `<i8`, `|i1`, `|u1`, `|S12`.
    public var descr: String
    public var shape: [Int]
    /// The raw element bytes, C order.
    public var data: [UInt8]

    public init(descr: String, shape: [Int], data: [UInt8]) {
        self.descr = descr
        self.shape = shape
        self.data = data
    }

    public init<T: BitwiseCopyable>(_ values: [T], descr: String, shape: [Int]) {
        self.descr = descr
        self.shape = shape
        data = values.withUnsafeBytes { Array($0) }
    }

    /// Fixed-width byte strings (`|S<w>`), NUL-padded; numpy shows them as `bytes`.
    public init(byteStrings: [[UInt8]]) {
        let width = max(1, byteStrings.map(\.count).max() ?? 1)
        var out = [UInt8](repeating: 0, count: width * byteStrings.count)
        for (i, s) in byteStrings.enumerated() { out.replaceSubrange(i * width..<(i * width + s.count), with: s) }
        self.init(descr: "|S\(width)", shape: [byteStrings.count], data: out)
    }

    public var elementCount: Int { shape.reduce(1, *) }

    /// Size of one element from the type string, or nil for a type Quern does not read.
    public static func itemSize(_ descr: String) -> Int? {
        let body = descr.dropFirst()
        if body.hasPrefix("S") { return Int(body.dropFirst()) }
        guard let kind = body.first, "fiub".contains(kind), let n = Int(body.dropFirst()) else { return nil }
        return n
    }

    /// The file bytes: magic, header, data.
    public func encoded() -> [UInt8] {
        var out = headerBytes()
        out.append(contentsOf: data)
        return out
    }

    public func headerBytes() -> [UInt8] { Self.header(descr: descr, shape: shape) }

    /// The magic and header of an array of this type and shape; the data follows it.
    public static func header(descr: String, shape: [Int]) -> [UInt8] {
        let shapeText = shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
        var dict = "{'descr': '\(descr)', 'fortran_order': False, 'shape': \(shapeText), }"
        // Pad so that magic (6) + version (2) + length (2) + header is a multiple of 64.
        let total = 10 + dict.utf8.count + 1
        dict += String(repeating: " ", count: (64 - total % 64) % 64) + "\n"
        var out: [UInt8] = [0x93] + Array("NUMPY".utf8) + [1, 0]
        let n = UInt16(dict.utf8.count)
        out += [UInt8(n & 0xFF), UInt8(n >> 8)]
        out += Array(dict.utf8)
        return out
    }

    /// Parses `.npy` bytes, checking that the data length matches the declared shape.
    public static func decode(_ bytes: [UInt8]) throws(NpyError) -> NpyArray {
        let h = try header(bytes)
        let expected = try h.dataBytes()
        guard bytes.count - h.dataStart == expected else {
            throw NpyError(
                "data is \(bytes.count - h.dataStart) bytes, shape \(h.shape) of \(h.descr) needs \(expected)")
        }
        return NpyArray(descr: h.descr, shape: h.shape, data: Array(bytes[h.dataStart...]))
    }

    /// What an `.npy` header says: type, shape, and where the data starts.
    public struct Header: Sendable, Equatable {
        public var descr: String
        public var shape: [Int]
        public var dataStart: Int

        /// Bytes the data must have, checked for overflow (a header may claim any shape).
        public func dataBytes() throws(NpyError) -> Int {
            guard let item = NpyArray.itemSize(descr) else { throw NpyError("unsupported dtype \(descr)") }
            var total = item
            for d in shape {
                let (p, o) = total.multipliedReportingOverflow(by: d)
                guard !o else { throw NpyError("shape \(shape) of \(descr) is larger than any file") }
                total = p
            }
            return total
        }
    }

    /// Parses the header at the start of `bytes` (which may be just the file's first bytes).
    public static func header(_ bytes: [UInt8]) throws(NpyError) -> Header {
        let r: Result<Header, NpyError> = bytes.withUnsafeBytes { b in Result { () throws(NpyError) in try header(b) } }
        return try r.get()
    }

    /// The same, on bytes in place.
    public static func header(_ bytes: UnsafeRawBufferPointer) throws(NpyError) -> Header {
        guard bytes.count >= 10, bytes[0] == 0x93, bytes[1..<6].elementsEqual("NUMPY".utf8) else {
            throw NpyError("not an .npy array (bad magic)")
        }
        let major = bytes[6]
        let headerLength: Int
        let start: Int
        if major == 1 {
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
            start = 10
        } else if major == 2 || major == 3, bytes.count >= 12 {
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24
            start = 12
        } else {
            throw NpyError("unsupported .npy version \(major)")
        }
        guard start + headerLength <= bytes.count else { throw NpyError("header runs past the end") }
        let header = String(
            decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<(start + headerLength)]), as: UTF8.self)
        guard let descr = field(header, "descr").map({ $0.trimmingCharacters(in: "'\"") }),
            let shapeText = field(header, "shape")
        else { throw NpyError("header lacks descr or shape: \(header.prefix(200))") }
        if field(header, "fortran_order")?.hasPrefix("True") == true {
            throw NpyError("Fortran-ordered arrays are not read")
        }
        let dims = shapeText.trimmingCharacters(in: "() ").split(separator: ",").map {
            String($0).trimmingCharacters(in: " ")
        }
        .filter { !$0.isEmpty }
        var shape: [Int] = []
        for d in dims {
            guard let v = Int(d), v >= 0 else { throw NpyError("bad shape \(shapeText.prefix(100))") }
            shape.append(v)
        }
        guard itemSize(descr) != nil else { throw NpyError("unsupported dtype \(descr.prefix(20))") }
        return Header(descr: descr, shape: shape, dataStart: start + headerLength)
    }

    private static func field(_ header: String, _ key: String) -> String? {
        guard let r = header.range(of: "'\(key)':") else { return nil }
        var rest = header[r.upperBound...].drop(while: { $0 == " " })
        if rest.first == "(" {
            guard let close = rest.firstIndex(of: ")") else { return nil }
            return String(rest[...close])
        }
        if rest.first == "'" {
            rest = rest.dropFirst()
            guard let close = rest.firstIndex(of: "'") else { return nil }
            return String(rest[..<close])
        }
        return String(rest.prefix(while: { $0 != "," && $0 != "}" }))
    }

    /// The elements as `T`, when `descr` matches.
    public func values<T: BitwiseCopyable>(as: T.Type, descr expected: String) throws(NpyError) -> [T] {
        guard descr == expected else { throw NpyError("dtype is \(descr), expected \(expected)") }
        let n = data.count / MemoryLayout<T>.size
        return [T](unsafeUninitializedCapacity: n) { buf, count in
            data.withUnsafeBytes { src in
                UnsafeMutableRawBufferPointer(buf).copyMemory(
                    from: UnsafeRawBufferPointer(rebasing: src[0..<(n * MemoryLayout<T>.size)]))
            }
            count = n
        }
    }

    /// Fixed-width byte strings back, trailing NULs removed.
    public func byteStrings() throws(NpyError) -> [[UInt8]] {
        guard descr.hasPrefix("|S"), let width = NpyArray.itemSize(descr), width > 0 else {
            throw NpyError("dtype is \(descr), expected byte strings")
        }
        return stride(from: 0, to: data.count, by: width).map { i in
            var s = Array(data[i..<(i + width)])
            while s.last == 0 { s.removeLast() }
            return s
        }
    }
}

public struct NpyError: Error, CustomStringConvertible, Equatable {
    public var reason: String
    public init(_ reason: String) { self.reason = reason }
    public var description: String { reason }
}

extension String {
    func trimmingCharacters(in set: String) -> String {  // a small helper: Foundation's takes a CharacterSet
        var s = Substring(self)
        while let f = s.first, set.contains(f) { s = s.dropFirst() }
        while let l = s.last, set.contains(l) { s = s.dropLast() }
        return String(s)
    }
}
