/// A run of numeric columns a binary format hands over as numbers, not text: the genes of one
/// cell in an `.h5ad` file, dense or sparse. Valid, like the record's bytes, until the reader's
/// next call.
///
/// The block spans the columns `firstColumn ..< firstColumn + width` of
/// ``RecordReader/columns``. Dense: `indices` is nil and `values` holds `width` values in column
/// order. Sparse: `indices` holds the positions within the block (0..<width, ascending, no
/// repeats) of the non-zero values, and `values` their values; every other column is 0.
public struct NumericBlock {
    public var firstColumn: Int
    public var width: Int
    public var indices: UnsafeBufferPointer<Int32>?
    public var values: UnsafeBufferPointer<Float>

    public init(firstColumn: Int, width: Int, indices: UnsafeBufferPointer<Int32>?, values: UnsafeBufferPointer<Float>)
    {
        self.firstColumn = firstColumn
        self.width = width
        self.indices = indices
        self.values = values
    }

    /// Whether column `column` of the record lies in the block.
    @inlinable public func contains(column: Int) -> Bool {
        column >= firstColumn && column < firstColumn + width
    }
}
