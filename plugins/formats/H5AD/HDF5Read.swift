import CHDF5
import Glibc

/// Reads of datasets and attributes, converted by libhdf5 to the type asked for. Every function
/// is called holding ``HDF5Lock``. A dataset may be a plain array or, in files of anndata before
/// 0.7, one field of a compound (a table): `field` names it.
enum HDF5Read {
    /// The numeric types the readers ask for; HDF5 converts any integer or float type to them.
    enum Numeric {
        case float, double, int32, int64

        var type: hid_t {
            switch self {
            case .float: cq_h5t_native_float()
            case .double: cq_h5t_native_double()
            case .int32: cq_h5t_native_int32()
            case .int64: cq_h5t_native_int64()
            }
        }
    }

    /// The type class of a dataset's elements (of its field `field` when given).
    static func elementClass(_ ds: H5Object, field: String?) throws(H5ADProblem) -> H5T_class_t {
        let t = try ds.fileType()
        defer { H5Tclose(t) }
        guard let field else { return H5Tget_class(t) }
        let m = try member(t, field, ds)
        defer { H5Tclose(m) }
        return H5Tget_class(m)
    }

    /// The type of `field` in the compound type `t` (closed by the caller).
    static func member(_ t: hid_t, _ field: String, _ ds: H5Object) throws(H5ADProblem) -> hid_t {
        guard H5Tget_class(t) == H5T_COMPOUND else {
            throw H5ADProblem("\(ds.path) is not a table (compound dataset) with a field '\(field)'")
        }
        let i = H5Tget_member_index(t, field)
        guard i >= 0 else { throw H5ADProblem("\(ds.path) has no field '\(field)'") }
        return H5Tget_member_type(t, UInt32(i))
    }

    /// The field names of a compound dataset (an old anndata table), in order.
    static func fieldNames(_ ds: H5Object) throws(H5ADProblem) -> [String] {
        let t = try ds.fileType()
        defer { H5Tclose(t) }
        guard H5Tget_class(t) == H5T_COMPOUND else { return [] }
        return (0..<max(0, H5Tget_nmembers(t))).compactMap { i in
            guard let p = H5Tget_member_name(t, UInt32(i)) else { return nil }
            defer { H5free_memory(p) }
            return String(cString: p)
        }
    }

    /// Wraps `elem` in a one-field compound named `field` (HDF5 then picks that field), or returns
    /// a copy of it. Closed by the caller.
    private static func memoryType(_ elem: hid_t, field: String?) -> hid_t {
        guard let field else { return H5Tcopy(elem) }
        let c = H5Tcreate(H5T_COMPOUND, H5Tget_size(elem))
        H5Tinsert(c, field, 0, elem)
        return c
    }

    /// Reads rows `start ..< start + count` of a 1-D dataset, or of a 2-D one (all its `columns`),
    /// converted to `numeric`, into `out` (room for count x columns values).
    static func read(
        _ ds: H5Object, field: String? = nil, _ numeric: Numeric, start: Int, count: Int, columns: Int? = nil,
        into out: UnsafeMutableRawPointer
    ) throws(H5ADProblem) {
        guard count > 0 else { return }
        if try elementClass(ds, field: field) == H5T_ENUM {
            // HDF5 converts no enum (h5py's bool) to a number: read its integers, widen them here.
            try readEnum(ds, field: field, numeric, start: start, count: count, into: out)
            return
        }
        let mem = memoryType(numeric.type, field: field)
        defer { H5Tclose(mem) }
        try readSelection(ds, mem, start: start, count: count, columns: columns, into: out)
    }

    private static func readSelection(
        _ ds: H5Object, _ mem: hid_t, start: Int, count: Int, columns: Int?, into out: UnsafeMutableRawPointer
    ) throws(H5ADProblem) {
        let fspace = H5Dget_space(ds.id)
        defer { H5Sclose(fspace) }
        var offset: [hsize_t] = [hsize_t(start)]
        var size: [hsize_t] = [hsize_t(count)]
        if let columns {
            offset.append(0)
            size.append(hsize_t(columns))
        }
        guard H5Sselect_hyperslab(fspace, H5S_SELECT_SET, offset, nil, size, nil) >= 0 else {
            throw H5ADProblem("\(ds.path): rows \(start)..<\(start + count) are outside the dataset")
        }
        let mspace = H5Screate_simple(Int32(size.count), size, nil)
        defer { H5Sclose(mspace) }
        guard H5Dread(ds.id, mem, mspace, fspace, cq_h5p_default(), out) >= 0 else {
            throw H5ADProblem(
                "\(ds.path): libhdf5 cannot read rows \(start)..<\(start + count) (the file is truncated or damaged, or the type is not a number)"
            )
        }
    }

    private static func readEnum(
        _ ds: H5Object, field: String?, _ numeric: Numeric, start: Int, count: Int, into out: UnsafeMutableRawPointer
    ) throws(H5ADProblem) {
        let t = try ds.fileType()
        defer { H5Tclose(t) }
        let e = field == nil ? H5Tcopy(t) : try member(t, field!, ds)
        defer { H5Tclose(e) }
        let native = H5Tget_native_type(e, H5T_DIR_DEFAULT)
        defer { H5Tclose(native) }
        let width = H5Tget_size(native)
        let signed = H5Tget_sign(native) == H5T_SGN_2
        let mem = memoryType(native, field: field)
        defer { H5Tclose(mem) }
        var raw = [UInt8](repeating: 0, count: count * width)
        try withRawBytes(&raw) { (b) throws(H5ADProblem) in
            try readSelection(ds, mem, start: start, count: count, columns: nil, into: b)
        }
        for i in 0..<count {
            var v: Int64 = 0
            switch (width, signed) {
            case (1, true): v = Int64(Int8(bitPattern: raw[i]))
            case (1, false): v = Int64(raw[i])
            default:
                for k in (0..<min(width, 8)).reversed() { v = (v << 8) | Int64(raw[i * width + k]) }
            }
            switch numeric {
            case .float: out.storeBytes(of: Float(v), toByteOffset: i * 4, as: Float.self)
            case .double: out.storeBytes(of: Double(v), toByteOffset: i * 8, as: Double.self)
            case .int32: out.storeBytes(of: Int32(truncatingIfNeeded: v), toByteOffset: i * 4, as: Int32.self)
            case .int64: out.storeBytes(of: v, toByteOffset: i * 8, as: Int64.self)
            }
        }
    }

    /// Reads strings `start ..< start + count` of a 1-D dataset of strings (variable or fixed
    /// length), appending their bytes to `bytes` and their ends to `ends`.
    static func readStrings(
        _ ds: H5Object, field: String? = nil, start: Int, count: Int, bytes: inout [UInt8], ends: inout [Int]
    ) throws(H5ADProblem) {
        guard count > 0 else { return }
        let t = try ds.fileType()
        defer { H5Tclose(t) }
        let e = field == nil ? H5Tcopy(t) : try member(t, field!, ds)
        defer { H5Tclose(e) }
        guard H5Tget_class(e) == H5T_STRING else {
            throw H5ADProblem("\(ds.path)\(field.map { " field \($0)" } ?? "") holds no strings")
        }
        if H5Tis_variable_str(e) > 0 {
            let s = H5Tcopy(cq_h5t_c_s1())
            defer { H5Tclose(s) }
            H5Tset_size(s, cq_h5t_variable())
            H5Tset_cset(s, H5Tget_cset(e))
            let mem = memoryType(s, field: field)
            defer { H5Tclose(mem) }
            var ptrs = [UnsafeMutablePointer<CChar>?](repeating: nil, count: count)
            try withRawBytes(&ptrs) { (b) throws(H5ADProblem) in
                try readSelection(ds, mem, start: start, count: count, columns: nil, into: b)
            }
            for p in ptrs {
                if let p {
                    let n = strlen(p)
                    p.withMemoryRebound(to: UInt8.self, capacity: n) {
                        bytes.append(contentsOf: UnsafeBufferPointer(start: $0, count: n))
                    }
                }
                ends.append(bytes.count)
            }
            let space = H5Screate_simple(1, [hsize_t(count)], nil)
            defer { H5Sclose(space) }
            ptrs.withUnsafeMutableBytes { _ = H5Dvlen_reclaim(mem, space, cq_h5p_default(), $0.baseAddress) }
        } else {
            let width = H5Tget_size(e)
            let mem = memoryType(e, field: field)
            defer { H5Tclose(mem) }
            var raw = [UInt8](repeating: 0, count: count * width)
            try withRawBytes(&raw) { (b) throws(H5ADProblem) in
                try readSelection(ds, mem, start: start, count: count, columns: nil, into: b)
            }
            for i in 0..<count {
                var n = width
                // Fixed-length strings are padded with NULs (or spaces, SPACEPAD).
                while n > 0, raw[i * width + n - 1] == 0 || raw[i * width + n - 1] == 32 { n -= 1 }
                bytes.append(contentsOf: raw[(i * width)..<(i * width + n)])
                ends.append(bytes.count)
            }
        }
    }

    /// Every string of a 1-D dataset (small ones: gene names, categories).
    static func allStrings(_ ds: H5Object, field: String? = nil) throws(H5ADProblem) -> [String] {
        let shape = try ds.shape()
        guard shape.count == 1 else { throw H5ADProblem("\(ds.path) is not a 1-D array of strings") }
        var bytes: [UInt8] = []
        var ends: [Int] = []
        try readStrings(ds, field: field, start: 0, count: shape[0], bytes: &bytes, ends: &ends)
        var start = 0
        return ends.map { end in
            defer { start = end }
            return String(decoding: bytes[start..<end], as: UTF8.self)
        }
    }
}

/// `array`'s bytes to `body` (which reads into them), passing on its typed error (the standard
/// library's `withUnsafeMutableBytes` only rethrows `any Error`).
func withRawBytes<T>(
    _ array: inout [T], _ body: (UnsafeMutableRawPointer) throws(H5ADProblem) -> Void
) throws(H5ADProblem) {
    var problem: H5ADProblem? = nil
    array.withUnsafeMutableBytes { b in
        guard let base = b.baseAddress else { return }
        do throws(H5ADProblem) { try body(base) } catch { problem = error }
    }
    if let problem { throw problem }
}
