import CHDF5

/// What is wrong with an HDF5 file, in words a user can act on (the reader turns it into a
/// ``QuernKit/ReadError``).
struct H5ADProblem: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// An open HDF5 object (file, group or dataset) and its path in the file, for messages. Every
/// method is called holding ``HDF5Lock``; the id is closed when the handle goes (taking the lock,
/// which is recursive).
final class H5Object {
    enum Kind { case file, group, dataset, other }

    let id: hid_t
    let path: String
    let kind: Kind

    init(id: hid_t, path: String, kind: Kind) {
        self.id = id
        self.path = path
        self.kind = kind
    }

    deinit {
        let (id, kind) = (id, kind)
        HDF5Lock.shared.run {
            switch kind {
            case .file: _ = H5Fclose(id)
            default: _ = H5Oclose(id)
            }
        }
    }

    /// Opens the file read-only.
    static func open(file path: String) throws(H5ADProblem) -> H5Object {
        guard H5Fis_hdf5(path) > 0 else {
            throw H5ADProblem(
                "not an HDF5 file (no HDF5 signature; an .h5ad is AnnData written by anndata's write_h5ad), or it is truncated"
            )
        }
        // H5F_ACC_RDONLY (a macro Swift does not import).
        let readOnly: UInt32 = 0
        let id = H5Fopen(path, readOnly, cq_h5p_default())
        guard id >= 0 else {
            throw H5ADProblem("libhdf5 cannot open it (a damaged or truncated HDF5 file)")
        }
        return H5Object(id: id, path: "", kind: .file)
    }

    /// The member at `name` (a path of `/`-separated names below this object), or nil when there
    /// is none.
    func child(_ name: String) -> H5Object? {
        var sub = path
        var current = self
        for part in name.split(separator: "/") {
            let p = String(part)
            guard H5Lexists(current.id, p, cq_h5p_default()) > 0 else { return nil }
            let id = H5Oopen(current.id, p, cq_h5p_default())
            guard id >= 0 else { return nil }
            sub = sub.isEmpty ? p : "\(sub)/\(p)"
            let kind: Kind =
                switch H5Iget_type(id) {
                case H5I_GROUP: .group
                case H5I_DATASET: .dataset
                default: .other
                }
            current = H5Object(id: id, path: sub, kind: kind)
        }
        return current
    }

    /// The dataset at `name`, or a problem naming it when it is missing or not a dataset.
    func dataset(_ name: String, role: String) throws(H5ADProblem) -> H5Object {
        guard let o = child(name) else { throw H5ADProblem("\(joined(name)) (\(role)) is missing") }
        guard o.kind == .dataset else { throw H5ADProblem("\(o.path) (\(role)) is not a dataset") }
        return o
    }

    func joined(_ name: String) -> String { path.isEmpty ? name : "\(path)/\(name)" }

    /// The names of a group's members, in the file's order.
    func memberNames() -> [String] {
        var info = H5G_info_t()
        guard H5Gget_info(id, &info) >= 0 else { return [] }
        var names: [String] = []
        for i in 0..<info.nlinks {
            let n = H5Lget_name_by_idx(id, ".", H5_INDEX_NAME, H5_ITER_INC, i, nil, 0, cq_h5p_default())
            guard n >= 0 else { continue }
            var buf = [CChar](repeating: 0, count: Int(n) + 1)
            _ = H5Lget_name_by_idx(id, ".", H5_INDEX_NAME, H5_ITER_INC, i, &buf, Int(n) + 1, cq_h5p_default())
            names.append(String(decoding: buf.prefix(Int(n)).map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        return names
    }

    /// The dimensions of a dataset.
    func shape() throws(H5ADProblem) -> [Int] {
        let space = H5Dget_space(id)
        guard space >= 0 else { throw H5ADProblem("\(path): cannot read its shape") }
        defer { H5Sclose(space) }
        let n = H5Sget_simple_extent_ndims(space)
        guard n >= 0 else { throw H5ADProblem("\(path): cannot read its shape") }
        var dims = [hsize_t](repeating: 0, count: Int(n))
        H5Sget_simple_extent_dims(space, &dims, nil)
        return dims.map { Int($0) }
    }

    /// The dataset's element type (an id to close with H5Tclose).
    func fileType() throws(H5ADProblem) -> hid_t {
        let t = H5Dget_type(id)
        guard t >= 0 else { throw H5ADProblem("\(path): cannot read its type") }
        return t
    }

    func hasAttribute(_ name: String) -> Bool { H5Aexists(id, name) > 0 }
}
