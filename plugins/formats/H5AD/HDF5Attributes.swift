import CHDF5

extension HDF5Read {
    /// Attribute reads that failed, counted under the lock: in ``HDF5Probe``'s child (whose
    /// memory is bounded) a failure means a damaged attribute, such as a string length of
    /// gigabytes, that quern itself must not read.
    nonisolated(unsafe) static var failedAttributeReads = 0

    /// The strings of attribute `name` (a scalar gives one), nil when there is no such attribute
    /// or it holds no strings. anndata writes `encoding-type`, `_index` and `column-order` so.
    static func attributeStrings(_ o: H5Object, _ name: String) -> [String]? {
        guard o.hasAttribute(name) else { return nil }
        let a = H5Aopen(o.id, name, cq_h5p_default())
        guard a >= 0 else { return nil }
        defer { H5Aclose(a) }
        let t = H5Aget_type(a)
        defer { H5Tclose(t) }
        let space = H5Aget_space(a)
        defer { H5Sclose(space) }
        let n = Int(max(0, H5Sget_simple_extent_npoints(space)))
        guard H5Tget_class(t) == H5T_STRING else { return n == 0 ? [] : nil }
        guard n > 0 else { return [] }
        if H5Tis_variable_str(t) > 0 {
            let s = H5Tcopy(cq_h5t_c_s1())
            defer { H5Tclose(s) }
            H5Tset_size(s, cq_h5t_variable())
            H5Tset_cset(s, H5Tget_cset(t))
            var ptrs = [UnsafeMutablePointer<CChar>?](repeating: nil, count: n)
            let ok = ptrs.withUnsafeMutableBytes { H5Aread(a, s, $0.baseAddress) >= 0 }
            guard ok else {
                failedAttributeReads += 1
                return nil
            }
            let out = ptrs.map { $0.map { String(cString: $0) } ?? "" }
            ptrs.withUnsafeMutableBytes { _ = H5Dvlen_reclaim(s, space, cq_h5p_default(), $0.baseAddress) }
            return out
        }
        let width = H5Tget_size(t)
        var raw = [UInt8](repeating: 0, count: n * width)
        let ok = raw.withUnsafeMutableBytes { H5Aread(a, t, $0.baseAddress) >= 0 }
        guard ok else {
            failedAttributeReads += 1
            return nil
        }
        return (0..<n).map { i in
            var k = width
            while k > 0, raw[i * width + k - 1] == 0 || raw[i * width + k - 1] == 32 { k -= 1 }
            return String(decoding: raw[(i * width)..<(i * width + k)], as: UTF8.self)
        }
    }

    /// The integers of attribute `name` (anndata's `shape`), nil when it is absent or not integers.
    static func attributeInts(_ o: H5Object, _ name: String) -> [Int]? {
        guard o.hasAttribute(name) else { return nil }
        let a = H5Aopen(o.id, name, cq_h5p_default())
        guard a >= 0 else { return nil }
        defer { H5Aclose(a) }
        let t = H5Aget_type(a)
        defer { H5Tclose(t) }
        guard H5Tget_class(t) == H5T_INTEGER else { return nil }
        let space = H5Aget_space(a)
        defer { H5Sclose(space) }
        let n = Int(max(0, H5Sget_simple_extent_npoints(space)))
        var values = [Int64](repeating: 0, count: n)
        let ok = values.withUnsafeMutableBytes { H5Aread(a, cq_h5t_native_int64(), $0.baseAddress) >= 0 }
        if !ok { failedAttributeReads += 1 }
        return ok ? values.map { Int($0) } : nil
    }
}
