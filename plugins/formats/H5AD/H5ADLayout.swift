import CHDF5

/// Where the parts of one `.h5ad` file are: the matrix (dense, CSR or CSC), the gene names, the
/// cell ids and the `obs` columns. Read from the file's structure and attributes only (no data):
/// as anndata 0.8 and later write it (groups with `encoding-type`), and as anndata before 0.7
/// did (`obs` and `var` as tables, `h5sparse_format`, categories in `uns/<column>_categories`),
/// which the files scanpy ships still are. Built holding ``HDF5Lock``.
struct H5ADLayout {
    enum Matrix {
        /// A 2-D dataset, cells x genes.
        case dense(H5Object)
        /// Sparse by cell (`indptr` has cells + 1 entries) or by gene (genes + 1).
        case csr(data: H5Object, indices: H5Object, indptr: H5Object)
        case csc(data: H5Object, indices: H5Object, indptr: H5Object)

        var name: String {
            switch self {
            case .dense: "dense"
            case .csr: "sparse CSR"
            case .csc: "sparse CSC"
            }
        }
    }

    let file: H5Object
    let matrix: Matrix
    /// The matrix's path in the file (`X`, `raw/X`, `layers/counts`).
    let matrixPath: String
    let cells: Int
    let genes: [String]
    /// The cell ids (the `obs` index).
    let cellIDs: ObsColumn
    let obs: [ObsColumn]

    /// Reads the layout of the file at `path`, for the matrix `which` (``H5ADFormat/matrix``).
    init(path: String, which: String) throws(H5ADProblem) {
        file = try H5Object.open(file: path)
        let legacyRaw = which == "raw" && file.child("raw") == nil && file.child("raw.X") != nil
        matrixPath = which == "raw" ? (legacyRaw ? "raw.X" : "raw/X") : which
        let varPath = which == "raw" ? (legacyRaw ? "raw.var" : "raw/var") : "var"
        guard let m = file.child(matrixPath) else {
            var hint = ""
            if which.hasPrefix("layers/") {
                let names = file.child("layers")?.memberNames() ?? []
                hint = names.isEmpty ? " (the file has no layers)" : " (its layers: \(names.joined(separator: ", ")))"
            }
            throw H5ADProblem(
                "\(matrixPath) (the matrix to read, h5ad option `matrix: \(which)`) is missing\(hint); is this an AnnData file?"
            )
        }
        let (matrix, cells, genes) = try Self.matrix(m)
        self.matrix = matrix
        self.cells = cells
        guard let varObject = file.child(varPath) else {
            throw H5ADProblem("\(varPath) (the gene names) is missing")
        }
        let geneNames = try Self.index(varObject, role: "the gene names").strings()
        guard geneNames.count == genes else {
            throw H5ADProblem(
                "\(varPath) names \(geneNames.count) genes but \(matrixPath) has \(genes) columns")
        }
        self.genes = geneNames
        guard let obsObject = file.child("obs") else { throw H5ADProblem("obs (the cells' columns) is missing") }
        cellIDs = try Self.index(obsObject, role: "the cell ids")
        obs = try Self.obsColumns(obsObject, uns: file.child("uns"))
        for c in [cellIDs] + obs {
            let n = try c.length()
            guard n == cells else {
                throw H5ADProblem("\(c.describe) has \(n) entries but \(matrixPath) has \(cells) cells")
            }
        }
    }

    private static func matrix(_ m: H5Object) throws(H5ADProblem) -> (Matrix, Int, Int) {
        if m.kind == .dataset {
            let shape = try m.shape()
            guard shape.count == 2 else {
                throw H5ADProblem(
                    "\(m.path) is a dataset of \(shape.count) dimensions; a dense matrix has 2 (cells x genes)")
            }
            try checkNumeric(m, role: "the dense matrix")
            return (.dense(m), shape[0], shape[1])
        }
        guard m.kind == .group else { throw H5ADProblem("\(m.path) is neither a dataset nor a group") }
        let encoding =
            HDF5Read.attributeStrings(m, "encoding-type")?.first
            ?? HDF5Read.attributeStrings(m, "h5sparse_format")?.first.map { "\($0)_matrix" }
        guard let encoding, encoding == "csr_matrix" || encoding == "csc_matrix" else {
            throw H5ADProblem(
                "\(m.path) is a group whose encoding-type attribute is not csr_matrix or csc_matrix (found \(HDF5Read.attributeStrings(m, "encoding-type")?.first ?? "none"))"
            )
        }
        guard let shape = HDF5Read.attributeInts(m, "shape") ?? HDF5Read.attributeInts(m, "h5sparse_shape"),
            shape.count == 2, shape[0] >= 0, shape[1] >= 0
        else {
            throw H5ADProblem("\(m.path) has no `shape` attribute of two integers (cells, genes)")
        }
        let data = try m.dataset("data", role: "the non-zero values")
        let indices = try m.dataset("indices", role: "the non-zero values' positions")
        let indptr = try m.dataset("indptr", role: "where each row's values start")
        try checkNumeric(data, role: "the non-zero values")
        try checkInteger(indices, role: "positions")
        try checkInteger(indptr, role: "row starts")
        let csr = encoding == "csr_matrix"
        let expected = (csr ? shape[0] : shape[1]) + 1
        let nnz = try data.shape()
        guard try indptr.shape() == [expected] else {
            throw H5ADProblem(
                "\(indptr.path) has \(try indptr.shape()) entries; a \(csr ? "CSR" : "CSC") matrix of shape \(shape) needs [\(expected)]"
            )
        }
        guard nnz.count == 1, try indices.shape() == nnz else {
            throw H5ADProblem("\(data.path) and \(indices.path) differ in length (\(nnz) and \(try indices.shape()))")
        }
        var last: Int64 = 0
        try HDF5Read.read(indptr, .int64, start: expected - 1, count: 1, into: &last)
        guard last == Int64(nnz[0]) else {
            throw H5ADProblem("\(indptr.path) ends at \(last) but \(data.path) holds \(nnz[0]) values")
        }
        let matrix: Matrix =
            csr
            ? .csr(data: data, indices: indices, indptr: indptr) : .csc(data: data, indices: indices, indptr: indptr)
        return (matrix, shape[0], shape[1])
    }

    private static func checkNumeric(_ ds: H5Object, role: String) throws(H5ADProblem) {
        let c = try HDF5Read.elementClass(ds, field: nil)
        guard c == H5T_INTEGER || c == H5T_FLOAT else {
            throw H5ADProblem("\(ds.path) (\(role)) does not hold numbers")
        }
    }

    private static func checkInteger(_ ds: H5Object, role: String) throws(H5ADProblem) {
        guard try HDF5Read.elementClass(ds, field: nil) == H5T_INTEGER else {
            throw H5ADProblem("\(ds.path) (\(role)) does not hold integers")
        }
    }

    /// The index of a data frame (`obs` or `var`): the dataset its `_index` attribute names, or
    /// the `index` field of an old table.
    private static func index(_ frame: H5Object, role: String) throws(H5ADProblem) -> ObsColumn {
        if frame.kind == .dataset {
            guard ((try? HDF5Read.fieldNames(frame)) ?? []).contains("index") else {
                throw H5ADProblem("\(frame.path) (\(role)) is a dataset without an `index` field")
            }
            return ObsColumn(name: "index", dataset: frame, field: "index", kind: .strings)
        }
        let name = HDF5Read.attributeStrings(frame, "_index")?.first ?? "_index"
        let ds = try frame.dataset(name, role: role)
        return ObsColumn(name: name, dataset: ds, field: nil, kind: .strings)
    }

    /// The `obs` columns in `column-order`, each typed (numbers, booleans, strings, categoricals).
    private static func obsColumns(_ obs: H5Object, uns: H5Object?) throws(H5ADProblem) -> [ObsColumn] {
        if obs.kind == .dataset {
            // anndata before 0.7: a table; a categorical's categories are uns/<column>_categories.
            var out: [ObsColumn] = []
            for field in try HDF5Read.fieldNames(obs) where field != "index" {
                if let cats = uns?.child("\(field)_categories"), cats.kind == .dataset {
                    let categories = try ObsColumn.categories(cats)
                    out.append(ObsColumn(name: field, dataset: obs, field: field, kind: .categorical(categories)))
                } else {
                    out.append(
                        ObsColumn(
                            name: field, dataset: obs, field: field, kind: try ObsColumn.kind(of: obs, field: field)))
                }
            }
            return out
        }
        let order = HDF5Read.attributeStrings(obs, "column-order") ?? []
        var out: [ObsColumn] = []
        for name in order {
            guard let o = obs.child(name) else {
                throw H5ADProblem("obs/\(name) is listed in obs's column-order but missing")
            }
            if o.kind == .group {
                let encoding = HDF5Read.attributeStrings(o, "encoding-type")?.first ?? "none"
                if encoding.hasPrefix("nullable-") {
                    // anndata 0.9 and later: values, and a mask of the missing ones.
                    let values = try o.dataset("values", role: "the column's values")
                    var column = ObsColumn(
                        name: name, dataset: values, field: nil, kind: try ObsColumn.kind(of: values, field: nil))
                    column.mask = try o.dataset("mask", role: "which values are missing")
                    out.append(column)
                    continue
                }
                guard encoding == "categorical" else {
                    throw H5ADProblem(
                        "\(o.path) is a group of encoding-type \(encoding); obs columns read are arrays, nullable arrays and categoricals"
                    )
                }
                let codes = try o.dataset("codes", role: "the categorical's codes")
                let categories = try ObsColumn.categories(try o.dataset("categories", role: "the categorical's values"))
                out.append(ObsColumn(name: name, dataset: codes, field: nil, kind: .categorical(categories)))
            } else {
                out.append(ObsColumn(name: name, dataset: o, field: nil, kind: try ObsColumn.kind(of: o, field: nil)))
            }
        }
        return out
    }
}
