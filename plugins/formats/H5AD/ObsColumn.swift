import CHDF5

/// One column of a data frame in an `.h5ad` (an `obs` column, or an index), read a block of cells
/// at a time into text (every column: labels, groups and messages read bytes) and, for numbers
/// and booleans, typed numbers. Called holding ``HDF5Lock``.
struct ObsColumn {
    enum Kind: Equatable {
        /// Integers or floats; `integer` says how to print them.
        case number(integer: Bool)
        /// h5py's booleans (an enum of FALSE/TRUE): `true`/`false`, numbers 1/0.
        case bool
        case strings
        /// `codes` (-1: missing) into `categories`.
        case categorical([String])
    }

    let name: String
    let dataset: H5Object
    let field: String?
    let kind: Kind
    /// A nullable column's mask (anndata's `nullable-integer`, `nullable-boolean`): true is missing.
    var mask: H5Object? = nil

    var describe: String { field.map { "\(dataset.path) field \($0)" } ?? dataset.path }

    /// The kind of a plain array column (not a categorical).
    static func kind(of ds: H5Object, field: String?) throws(H5ADProblem) -> Kind {
        if field == nil {
            let shape = try ds.shape()
            guard shape.count == 1 else {
                throw H5ADProblem("\(ds.path) has \(shape.count) dimensions; an obs column has 1")
            }
        }
        switch try HDF5Read.elementClass(ds, field: field) {
        case H5T_INTEGER: return .number(integer: true)
        case H5T_FLOAT: return .number(integer: false)
        case H5T_ENUM: return .bool
        case H5T_STRING: return .strings
        default:
            throw H5ADProblem(
                "\(field.map { "\(ds.path) field \($0)" } ?? ds.path) holds neither numbers, booleans nor strings")
        }
    }

    func length() throws(H5ADProblem) -> Int {
        let shape = try dataset.shape()
        guard shape.count == 1 else { throw H5ADProblem("\(describe) is not a 1-D array") }
        return shape[0]
    }

    /// Every entry as a string (the gene names).
    func strings() throws(H5ADProblem) -> [String] {
        try HDF5Read.allStrings(dataset, field: field)
    }

    /// A categorical's categories as text: strings, or numbers (pandas allows integer categories).
    static func categories(_ ds: H5Object) throws(H5ADProblem) -> [String] {
        let c = try HDF5Read.elementClass(ds, field: nil)
        guard c == H5T_INTEGER || c == H5T_FLOAT else { return try HDF5Read.allStrings(ds) }
        let shape = try ds.shape()
        guard shape.count == 1 else { throw H5ADProblem("\(ds.path) is not a 1-D array of categories") }
        var values = [Double](repeating: 0, count: shape[0])
        try withRawBytes(&values) { (b) throws(H5ADProblem) in
            try HDF5Read.read(ds, .double, start: 0, count: shape[0], into: b)
        }
        return values.map { c == H5T_INTEGER && abs($0) < 9.0e15 ? String(Int64($0)) : String($0) }
    }

    /// Reads cells `start ..< start + count`: appends each cell's text to `bytes` and its end to
    /// `ends`, and its number (NaN when it has none) to `numbers`.
    func read(
        start: Int, count: Int, bytes: inout [UInt8], ends: inout [Int], numbers: inout [Double]
    ) throws(H5ADProblem) {
        let (firstEnd, firstNumber, base) = (ends.count, numbers.count, bytes.count)
        try readValues(start: start, count: count, bytes: &bytes, ends: &ends, numbers: &numbers)
        guard let mask else { return }
        // A nullable column: masked cells become missing (no text, no number).
        var masked = [Int64](repeating: 0, count: count)
        try withRawBytes(&masked) { (b) throws(H5ADProblem) in
            try HDF5Read.read(mask, .int64, start: start, count: count, into: b)
        }
        let old = Array(bytes[base...])
        bytes.removeSubrange(base...)
        var from = 0
        for i in 0..<count {
            let end = ends[firstEnd + i] - base
            if masked[i] == 0 { bytes.append(contentsOf: old[from..<end]) } else { numbers[firstNumber + i] = .nan }
            ends[firstEnd + i] = bytes.count
            from = end
        }
    }

    private func readValues(
        start: Int, count: Int, bytes: inout [UInt8], ends: inout [Int], numbers: inout [Double]
    ) throws(H5ADProblem) {
        switch kind {
        case .strings:
            try HDF5Read.readStrings(dataset, field: field, start: start, count: count, bytes: &bytes, ends: &ends)
            numbers.append(contentsOf: repeatElement(.nan, count: count))
        case .number(let integer):
            var values = [Double](repeating: 0, count: count)
            try withRawBytes(&values) { (b) throws(H5ADProblem) in
                try HDF5Read.read(dataset, field: field, .double, start: start, count: count, into: b)
            }
            for v in values {
                // NaN is pandas' missing value: no text (a missing token) and no number.
                if !v.isNaN {
                    let text = integer && abs(v) < 9.0e15 ? String(Int64(v)) : String(v)
                    bytes.append(contentsOf: text.utf8)
                }
                ends.append(bytes.count)
                numbers.append(v)
            }
        case .bool:
            var values = [Int64](repeating: 0, count: count)
            try withRawBytes(&values) { (b) throws(H5ADProblem) in
                try HDF5Read.read(dataset, field: field, .int64, start: start, count: count, into: b)
            }
            for v in values {
                bytes.append(contentsOf: (v != 0 ? "true" : "false").utf8)
                ends.append(bytes.count)
                numbers.append(v != 0 ? 1 : 0)
            }
        case .categorical(let categories):
            var codes = [Int64](repeating: 0, count: count)
            try withRawBytes(&codes) { (b) throws(H5ADProblem) in
                try HDF5Read.read(dataset, field: field, .int64, start: start, count: count, into: b)
            }
            for (i, c) in codes.enumerated() {
                // -1 is pandas' missing category.
                if c >= 0 {
                    guard c < categories.count else {
                        throw H5ADProblem(
                            "\(describe): cell row \(start + i + 1) has code \(c) but there are \(categories.count) categories"
                        )
                    }
                    bytes.append(contentsOf: categories[Int(c)].utf8)
                }
                ends.append(bytes.count)
                numbers.append(.nan)
            }
        }
    }
}
