import QuernKit

/// Reads the cells of one `.h5ad` file as records, a block of cells at a time (see
/// ``MatrixReader``). A record is a cell; its `line` is the cell's 1-based row in the file.
/// Fields: `obs_names` (the cell id), then the `obs` columns as text (numbers and booleans also
/// as typed numbers, ``QuernKit/Record/number(_:)``), then the genes, handed over as the
/// record's ``QuernKit/NumericBlock`` (their fields have no bytes).
final class H5ADReader: RecordReader {
    private(set) var columns: [String]
    private(set) var notes: [String: Int] = [:]
    private let layout: H5ADLayout
    private let matrix: MatrixReader
    /// The text columns: the cell ids, then obs.
    private let textColumns: [ObsColumn]
    private var alignment: GeneAlignment? = nil
    private let read = CellBlock()
    private let aligned = CellBlock()
    /// The block of cells being handed out: its first cell's row (0-based), and the next one's.
    private var blockStart = 0
    private var position = 0
    private var cellsInBlock = 0
    private let text = OwnedBuffer<UInt8>()
    private var starts: [Int] = []
    private var ends: [Int] = []
    private var numbers: [Double] = []

    static let cellIDColumn = "obs_names"

    init(path: String, matrix which: String, vocabulary: [String]?, blockValues: Int) throws(H5ADProblem) {
        let damaged = HDF5Lock.shared.run {
            HDF5Probe.check { () throws(H5ADProblem) in try Self.probe(path: path, matrix: which) }
        }
        if let damaged { throw damaged }
        let layout = try HDF5Lock.shared.run { () throws(H5ADProblem) in try H5ADLayout(path: path, which: which) }
        self.layout = layout
        matrix = try HDF5Lock.shared.run { () throws(H5ADProblem) in try MatrixReader(layout, targetValues: blockValues)
        }
        textColumns = [layout.cellIDs] + layout.obs
        columns = [Self.cellIDColumn] + layout.obs.map(\.name) + layout.genes
        if let vocabulary { align(vocabulary) }
    }

    var blockColumns: Range<Int>? { textColumns.count..<columns.count }

    /// What ``HDF5Probe`` reads in its child: the layout, every obs column whole (a block at a
    /// time: variable-length strings live in heaps a damaged byte sends libhdf5 astray in), and
    /// the matrix's first and last cells (for a CSC matrix the first only: reaching the last
    /// walks every gene's whole column).
    static func probe(path: String, matrix which: String) throws(H5ADProblem) {
        // The child's copy of the count is the parent's: count this file's failures only.
        HDF5Read.failedAttributeReads = 0
        let layout = try H5ADLayout(path: path, which: which)
        guard HDF5Read.failedAttributeReads == 0 else {
            throw H5ADProblem("libhdf5 cannot read some of this file's attributes: the file is damaged")
        }
        guard layout.cells > 0 else { return }
        let matrix = try MatrixReader(layout, targetValues: 1)
        var rows = [0]
        if case .csc = layout.matrix {} else if layout.cells > 1 { rows.append(layout.cells - 1) }
        let block = CellBlock()
        for row in rows { try matrix.read(from: row, into: block) }
        for c in [layout.cellIDs] + layout.obs {
            for start in stride(from: 0, to: layout.cells, by: 1 << 16) {
                var (bytes, ends, numbers) = ([UInt8](), [Int](), [Double]())
                try c.read(
                    start: start, count: min(1 << 16, layout.cells - start), bytes: &bytes, ends: &ends,
                    numbers: &numbers)
            }
        }
    }

    /// A cell is named by its id (the `obs` index) in messages, beside its row.
    func name(of record: Record) -> String? { "cell '\(record.string(0))'" }

    func align(toBlock names: [String]) throws(ReadError) {
        align(names)
    }

    private func align(_ names: [String]) {
        alignment = GeneAlignment(file: layout.genes, vocabulary: names)
        columns = [Self.cellIDColumn] + layout.obs.map(\.name) + names
        notes = [:]
        if let a = alignment {
            if a.missing > 0 { notes[GeneAlignment.missingNote] = a.missing }
            if a.extra > 0 { notes[GeneAlignment.extraNote] = a.extra }
        }
    }

    func next(into record: Record) throws(ReadError) -> Bool {
        if position == cellsInBlock {
            let next = blockStart + cellsInBlock
            guard next < layout.cells else { return false }
            do {
                try HDF5Lock.shared.run { () throws(H5ADProblem) in try load(from: next) }
            } catch {
                throw ReadError(line: next + 1, "\(error.description) (reading \(layout.matrixPath))")
            }
        }
        let i = position
        let n = cellsInBlock
        record.reset(base: UnsafePointer(text.pointer), line: blockStart + i + 1)
        for c in 0..<textColumns.count {
            record.append(start: starts[c * n + i], end: ends[c * n + i])
            let v = numbers[c * n + i]
            if !v.isNaN { record.setNumber(v, at: c) }
        }
        let b = alignment == nil ? read : aligned
        if b.sparse {
            let (lo, hi) = (b.rowStarts[i], b.rowStarts[i + 1])
            record.block = NumericBlock(
                firstColumn: textColumns.count, width: b.width, indices: b.indices.slice(lo, hi),
                values: b.values.slice(lo, hi))
        } else {
            record.block = NumericBlock(
                firstColumn: textColumns.count, width: b.width, indices: nil,
                values: b.values.slice(i * b.width, (i + 1) * b.width))
        }
        position += 1
        return true
    }

    /// Reads the block of cells starting at row `start`: genes, then each text column.
    private func load(from start: Int) throws(H5ADProblem) {
        try matrix.read(from: start, into: read)
        if let alignment { alignment.apply(read, into: aligned) }
        let n = read.cells
        var bytes: [UInt8] = []
        var columnEnds: [Int] = []
        starts.removeAll(keepingCapacity: true)
        ends.removeAll(keepingCapacity: true)
        numbers.removeAll(keepingCapacity: true)
        for c in textColumns {
            let base = bytes.count
            columnEnds.removeAll(keepingCapacity: true)
            try c.read(start: start, count: n, bytes: &bytes, ends: &columnEnds, numbers: &numbers)
            var s = base
            for e in columnEnds {
                starts.append(s)
                ends.append(e)
                s = e
            }
        }
        text.resize(max(bytes.count, 1))
        if !bytes.isEmpty {
            bytes.withUnsafeBufferPointer { text.pointer.update(from: $0.baseAddress!, count: $0.count) }
        }
        blockStart = start
        cellsInBlock = n
        position = 0
    }
}
