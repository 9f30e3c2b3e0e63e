public import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Fits a normalization on the train rows and applies it to every split, in place, a block of rows
/// at a time (memory: one block). `standard`: mean and population std in float64, a std of 0
/// becomes 1 (two passes, exactly as numpy computes them); `minmax`: (x - min) / (max - min), a range
/// of 0 becomes 1; `none`. Only features the extractor marks as normalized are touched.
public struct Normalizer: Sendable {
    public enum Method: String, Sendable, CaseIterable { case standard, minmax, none }

    public struct Parameters: Sendable, Equatable {
        public var method: Method
        /// Per normalized feature: (name, shift, scale): x' = (x - shift) / scale.
        public var features: [(name: String, shift: Double, scale: Double)]

        public static func == (a: Parameters, b: Parameters) -> Bool {
            a.method == b.method && a.features.elementsEqual(b.features) { $0.name == $1.name && $0.shift == $1.shift && $0.scale == $1.scale }
        }
    }

    public var method: Method
    public var schema: FeatureSchema
    /// Rows read at a time (fewer under a memory limit).
    public var blockRows = 1 << 16

    public init(method: Method, schema: FeatureSchema) {
        self.method = method
        self.schema = schema
    }

    var columns: [Int] { schema.features.indices.filter { schema.features[$0].normalized } }

    /// Calls `body` with successive blocks of rows of an X file written by ``SplitWriter``.
    func forEachBlock(_ path: String, rows: Int, write: Bool, _ body: (UnsafeMutableBufferPointer<Float>, Int) throws -> Void) throws {
        let d = schema.features.count
        guard rows > 0, d > 0 else { return }
        let fd = open(path, write ? O_RDWR : O_RDONLY)
        guard fd >= 0 else { throw StorageError.io(path: path, operation: "open", errno: errno) }
        defer { close(fd) }
        let buffer = UnsafeMutableBufferPointer<Float>.allocate(capacity: blockRows * d)
        defer { buffer.deallocate() }
        var start = 0
        while start < rows {
            let n = min(blockRows, rows - start)
            let bytes = n * d * 4
            let offset = off_t(NpyHeader.length + start * d * 4)
            guard pread(fd, buffer.baseAddress, bytes, offset) == bytes else { throw StorageError.io(path: path, operation: "read", errno: errno) }
            let view = UnsafeMutableBufferPointer(rebasing: buffer[0..<(n * d)])
            try body(view, n)
            if write {
                guard pwrite(fd, buffer.baseAddress, bytes, offset) == bytes else { throw StorageError.io(path: path, operation: "write", errno: errno) }
            }
            start += n
        }
    }

    /// Fits on the train X file.
    public func fit(trainPath: String, rows: Int) throws -> Parameters {
        let cols = columns
        let d = schema.features.count
        let names = cols.map { schema.features[$0].name }
        switch method {
        case .none:
            return Parameters(method: .none, features: [])
        case .standard:
            var sum = [Double](repeating: 0, count: cols.count)
            try forEachBlock(trainPath, rows: rows, write: false) { x, n in
                for r in 0..<n { for (k, c) in cols.enumerated() { sum[k] += Double(x[r * d + c]) } }
            }
            let mean = rows > 0 ? sum.map { $0 / Double(rows) } : sum
            var squares = [Double](repeating: 0, count: cols.count)
            try forEachBlock(trainPath, rows: rows, write: false) { x, n in
                for r in 0..<n {
                    for (k, c) in cols.enumerated() {
                        let dev = Double(x[r * d + c]) - mean[k]
                        squares[k] += dev * dev
                    }
                }
            }
            let std = squares.map { rows > 0 ? ($0 / Double(rows)).squareRoot() : 1 }.map { $0 == 0 ? 1 : $0 }
            return Parameters(method: .standard, features: (0..<cols.count).map { (names[$0], mean[$0], std[$0]) })
        case .minmax:
            var lo = [Double](repeating: .infinity, count: cols.count), hi = [Double](repeating: -.infinity, count: cols.count)
            try forEachBlock(trainPath, rows: rows, write: false) { x, n in
                for r in 0..<n {
                    for (k, c) in cols.enumerated() {
                        let v = Double(x[r * d + c])
                        lo[k] = min(lo[k], v)
                        hi[k] = max(hi[k], v)
                    }
                }
            }
            var out: [(name: String, shift: Double, scale: Double)] = []
            for k in 0..<cols.count {
                let range: Double = hi[k] - lo[k]
                out.append(rows == 0 ? (names[k], 0.0, 1.0) : (names[k], lo[k], range == 0 ? 1.0 : range))
            }
            return Parameters(method: .minmax, features: out)
        }
    }

    /// Applies `p` to an X file in place; returns how many values are NaN or infinite afterwards.
    public func apply(_ p: Parameters, path: String, rows: Int) throws -> Int {
        let cols = columns
        let d = schema.features.count
        var bad = 0
        try forEachBlock(path, rows: rows, write: p.method != .none) { x, n in
            if p.method != .none {
                for r in 0..<n {
                    for (k, c) in cols.enumerated() {
                        x[r * d + c] = Float((Double(x[r * d + c]) - p.features[k].shift) / p.features[k].scale)
                    }
                }
            }
            for v in x where !v.isFinite { bad += 1 }
        }
        return bad
    }
}
