import Foundation
import QuernCore
import QuernKit
import QuernTestSupport
import Testing

/// The ``InputFormat`` contract for a binary format read from a file by its path (an `.h5ad`):
/// the sample file reads as written (text fields, lines, and each record's block of numbers),
/// a truncated copy is a ``ReadError``, and any bytes at all in a file end in records or a
/// ``ReadError``, never a crash or a hang.
extension InputFormatConformance {
    static func readsTheFile(_ format: any InputFormat, _ s: Sample, _ file: String) {
        do {
            let reader = try format.open(try FileSource(path: file), settings: ReaderSettings())
            let record = Record()
            var rows: [[String]] = []
            var lines: [Int] = []
            var blocks: [[Float]] = []
            while try reader.next(into: record) {
                rows.append((0..<record.count).map { record.string($0) })
                lines.append(record.line)
                if let b = record.block { blocks.append(dense(b)) }
            }
            #expect(reader.columns == s.columns, "\(s.format): columns")
            #expect(rows == s.rows, "\(s.format): records")
            #expect(lines == s.lines, "\(s.format): lines")
            #expect(blocks == (s.blocks ?? []), "\(s.format): each record's block of numbers")
            if let range = reader.blockColumns {
                #expect(range.upperBound == reader.columns.count, "\(s.format): the block spans the last columns")
            }
        } catch {
            Issue.record("\(s.format): reading \(file): \(error)")
        }
    }

    /// A block as its dense values (a sparse block's absent positions are 0), checking that a
    /// sparse block's positions ascend within its width.
    static func dense(_ b: NumericBlock) -> [Float] {
        guard let positions = b.indices else { return Array(b.values) }
        var out = [Float](repeating: 0, count: b.width)
        var last = -1
        for (k, p) in positions.enumerated() {
            #expect(Int(p) > last && Int(p) < b.width, "sparse positions ascend within the block's width")
            last = Int(p)
            if Int(p) >= 0 && Int(p) < b.width { out[Int(p)] = b.values[k] }
        }
        return out
    }

    static func refusesATruncatedCopy(_ format: any InputFormat, _ s: Sample, _ file: String) {
        guard let bytes = FileManager.default.contents(atPath: file) else {
            Issue.record("\(s.format): cannot read \(file)")
            return
        }
        let ws = TempWorkspace("quern-conformance")
        for cut in [bytes.count / 2, bytes.count - 100, 8] where cut > 0 {
            let path = ws.write("truncated", Array(bytes.prefix(cut)))
            #expect(throws: ReadError.self, "\(s.format): a copy cut at \(cut) bytes is refused") {
                _ = try readAll(format, try FileSource(path: path))
            }
        }
    }

    /// Random bytes in a file read by its path end in records or a ``ReadError``.
    static func survivesAnyFile(_ format: any InputFormat) {
        var rng = SplitMix64(seed: 29)
        let ws = TempWorkspace("quern-conformance")
        for k in 0..<50 {
            var bytes = (0..<Int(rng.next() % 4000)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            // Half start with the HDF5 signature, so the reader gets past the first check.
            if k % 2 == 0 { bytes = [0x89, 0x48, 0x44, 0x46, 0x0D, 0x0A, 0x1A, 0x0A] + bytes }
            let path = ws.write("random-\(k)", bytes)
            _ = try? readAll(format, try FileSource(path: path))
        }
    }
}
