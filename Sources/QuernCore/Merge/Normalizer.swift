import CQuernSys
import Foundation
public import QuernKit
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Fits a normalization on the train rows (from ``FeatureMoments`` gathered as they were written)
/// and applies it to every split's X file in place. `standard`: (x - mean) / population std, in
/// float64, a std of 0 becomes 1; `minmax`: (x - min) / (max - min), a range of 0 becomes 1;
/// `none`. Only features the extractor marks as normalized are touched.
public struct Normalizer: Sendable {
    public enum Method: String, Sendable, CaseIterable { case standard, minmax, none }

    public struct Parameters: Sendable, Equatable {
        public var method: Method
        /// Per normalized feature: (name, shift, scale): x' = (x - shift) / scale.
        public var features: [(name: String, shift: Double, scale: Double)]

        public static func == (a: Parameters, b: Parameters) -> Bool {
            a.method == b.method
                && a.features.elementsEqual(b.features) {
                    $0.name == $1.name && $0.shift == $1.shift && $0.scale == $1.scale
                }
        }
    }

    public var method: Method
    public var schema: FeatureSchema
    /// Bytes of X mapped at a time while applying (less under a memory limit: mapped pages count as resident).
    public var windowBytes = 32 << 20

    public init(method: Method, schema: FeatureSchema) {
        self.method = method
        self.schema = schema
    }

    var columns: [Int] { schema.features.indices.filter { schema.features[$0].normalized } }

    /// Fits on the train rows' statistics, gathered as they were written (``FeatureMoments``):
    /// population std (numpy's default), a std or range of 0 becomes 1.
    public func fit(_ moments: FeatureMoments) -> Parameters {
        let names = moments.columns.map { schema.features[$0].name }
        let n = Double(moments.count)
        switch method {
        case .none:
            return Parameters(method: .none, features: [])
        case .standard:
            return Parameters(
                method: .standard,
                features: names.indices.map { k in
                    let std = moments.count > 0 ? (moments.m2[k] / n).squareRoot() : 1
                    return (names[k], moments.mean[k], std == 0 ? 1 : std)
                })
        case .minmax:
            return Parameters(
                method: .minmax,
                features: names.indices.map { k in
                    guard moments.count > 0 else { return (names[k], 0.0, 1.0) }
                    let range = moments.max[k] - moments.min[k]
                    return (names[k], moments.min[k], range == 0 ? 1.0 : range)
                })
        }
    }

    /// Applies `p` to an X file in place, through shared mappings of a window of rows at a time
    /// (no read or write copies, and only the windows in use count towards the process's memory),
    /// the rows split between `threads` threads; returns how many values are NaN or infinite
    /// afterwards.
    public func apply(_ p: Parameters, path: String, rows: Int, threads: Int = ProcessInfoCores.count) throws -> Int {
        let d = schema.features.count
        guard rows > 0, d > 0 else { return 0 }
        let fd = open(path, p.method != .none ? O_RDWR : O_RDONLY)
        guard fd >= 0 else { throw StorageError.io(path: path, operation: "open", errno: errno) }
        defer { close(fd) }
        let parts = max(1, min(threads, rows / 65_536))
        // The threads share the window budget: mapped pages count as resident memory.
        let window = max(1 << 20, windowBytes / parts)
        let results = Mutex<[Result<Int, StorageError>]>([])
        let this = self
        DispatchQueue.concurrentPerform(iterations: parts) { k in
            let from = rows * k / parts
            let to = rows * (k + 1) / parts
            let r = Result { () throws(StorageError) in
                try this.apply(p, fd: fd, path: path, rows: from..<to, window: window)
            }
            results.withLock { $0.append(r) }
        }
        return try results.withLock { $0 }.reduce(0) { try $0 + $1.get() }
    }

    /// Applies `p` to rows `range` of the open X file `fd`, a mapped window of `window` bytes at a time.
    private func apply(_ p: Parameters, fd: Int32, path: String, rows range: Range<Int>, window: Int)
        throws(StorageError) -> Int
    {
        let cols = columns
        let d = schema.features.count
        let writing = p.method != .none
        let shift = p.features.map(\.shift)
        let inverse = p.features.map { 1 / $0.scale }
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        var bad = 0
        var row = range.lowerBound
        while row < range.upperBound {
            let n = min(range.upperBound - row, max(1, window / (d * 4)))
            let first = NpyHeader.length + row * d * 4
            let mapStart = first / page * page
            let length = first + n * d * 4 - mapStart
            guard
                let map = mmap(
                    nil, length, writing ? (PROT_READ | PROT_WRITE) : PROT_READ, MAP_SHARED, fd, off_t(mapStart)),
                map != MAP_FAILED
            else {
                throw .io(path: path, operation: "map", errno: errno)
            }
            // Map the whole window writable in one call (MADV_POPULATE_WRITE, Linux 5.14) rather
            // than taking a read fault and then a write fault on every page as the loop first
            // touches it; where the kernel does not know it, the faults happen as before.
            if writing { _ = madvise(map, length, 23) }  // 23: MADV_POPULATE_WRITE
            let x = (map + (first - mapStart)).assumingMemoryBound(to: Float.self)
            // Raw pointers, and a straight run of columns where the schema has one (the usual
            // case): the loops vectorize. The bounds-checked loops were 6% of a merge's CPU.
            cols.withUnsafeBufferPointer { c in
                shift.withUnsafeBufferPointer { sh in
                    inverse.withUnsafeBufferPointer { inv in
                        let kc = c.count
                        let c0 = c.first ?? 0
                        let straight = kc > 0 && c[kc - 1] - c0 == kc - 1
                        for r in 0..<n {
                            let v = x + r * d
                            if writing {
                                if straight {
                                    let w = v + c0
                                    for k in 0..<kc { w[k] = Float((Double(w[k]) - sh[k]) * inv[k]) }
                                } else {
                                    for k in 0..<kc { v[c[k]] = Float((Double(v[c[k]]) - sh[k]) * inv[k]) }
                                }
                            }
                            var nonFinite = 0
                            for j in 0..<d { nonFinite += v[j].isFinite ? 0 : 1 }
                            bad += nonFinite
                        }
                    }
                }
            }
            munmap(map, length)
            // Start writing this window back to disk now, while the next is computed: the fsync
            // before publishing then has little left to wait for.
            if writing { _ = quern_start_writeback(fd, Int64(mapStart), Int64(length)) }
            row += n
        }
        return bad
    }
}
