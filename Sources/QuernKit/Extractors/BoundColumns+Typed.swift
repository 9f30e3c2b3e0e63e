extension BoundColumns {
    /// ``readNumeric(_:into:)`` for a record with typed numbers: a column in the record's
    /// ``NumericBlock`` takes its value from it (a sparse block's absent positions are 0), a
    /// column with a typed number (``Record/number(_:)``) takes that, any other parses its bytes.
    /// NaN is a missing value (`fill_missing`); infinities follow `non_finite`.
    @usableFromInline func readTyped(_ record: Record, into out: UnsafeMutablePointer<Float>) throws(RowError) -> Int {
        var nonFinite = 0
        let block = record.block
        func typed(_ v: Float, _ k: Int) throws(RowError) -> Float {
            if v.isFinite { return v }
            if v.isNaN { return fill }
            guard nonFiniteIsMissing else {
                throw RowError(
                    column: numericNames[k],
                    "\(v) does not fit in float32 (finite values only); set `non_finite: missing` under `extractor:` "
                        + "to read such values as missing")
            }
            nonFinite += 1
            return fill
        }
        for k in 0..<numeric.count {
            let col = numeric[k]
            if let b = block, b.contains(column: col) {
                out[k] = b.indices == nil ? try typed(b.values[col - b.firstColumn], k) : 0
            } else if let v = record.number(col) {
                out[k] = try typed(Float(v), k)
            } else {
                let f = record.field(col)
                if missing.isMissing(f) {
                    out[k] = fill
                } else if let v = NumberParsing.double(f) {
                    if Float(v).isFinite {
                        out[k] = Float(v)
                    } else if nonFiniteIsMissing {
                        out[k] = fill
                        nonFinite += 1
                    } else {
                        throw notFinite(f, column: numericNames[k])
                    }
                } else {
                    throw RowError(column: numericNames[k], "\(RowError.shown(f)) is not a number")
                }
            }
        }
        // A sparse block: walk its positions and the block's columns (both ascending) together.
        if let b = block, let positions = b.indices {
            var p = 0
            for k in byColumn {
                let pos = numeric[k] - b.firstColumn
                guard pos >= 0, pos < b.width else { continue }
                while p < positions.count, Int(positions[p]) < pos { p += 1 }
                if p < positions.count, Int(positions[p]) == pos { out[k] = try typed(b.values[p], k) }
            }
        }
        return nonFinite
    }
}
