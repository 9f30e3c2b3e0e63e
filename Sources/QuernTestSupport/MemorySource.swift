import QuernCore
public import QuernKit

/// Bytes in memory as a ``ByteSource``, handed out at most `step` bytes per read, so tests can
/// force records to straddle chunk boundaries.
public final class MemorySource: ByteSource {
    private let bytes: [UInt8]
    private let step: Int
    private var offset = 0

    public init(_ bytes: [UInt8], step: Int = .max) {
        self.bytes = bytes
        self.step = max(1, step)
    }

    public convenience init(_ text: String, step: Int = .max) {
        self.init(Array(text.utf8), step: step)
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws(ReadError) -> Int {
        let n = min(buffer.count, step, bytes.count - offset)
        guard n > 0 else { return 0 }
        bytes.withUnsafeBytes { src in
            buffer.baseAddress!.copyMemory(from: src.baseAddress! + offset, byteCount: n)
        }
        offset += n
        return n
    }
}

/// Reads every record of `source` with `format` into arrays of field strings.
public func readAll(_ format: any InputFormat, _ source: any ByteSource, settings: ReaderSettings = ReaderSettings())
    throws -> (
        columns: [String], rows: [[String]], lines: [Int]
    )
{
    let reader = try format.open(source, settings: settings)
    let record = Record()
    var rows: [[String]] = []
    var lines: [Int] = []
    while try reader.next(into: record) {
        rows.append((0..<record.count).map { record.string($0) })
        lines.append(record.line)
    }
    return (reader.columns, rows, lines)
}
