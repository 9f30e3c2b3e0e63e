public import Foundation
#if canImport(Glibc)
import Glibc
#endif
import QuernKit

/// `--memory-limit` (`batch.memory_limit`): the most resident memory a quern process should
/// reach. It does not cap anything by force: it sizes the work so the peak stays below it. Extract
/// keeps fewer rows in flight (smaller parts: each worker holds one part's rows and their encoded
/// copies), and fewer workers when even small parts do not fit; merge reads fewer batches ahead,
/// gives the strategy less to hold (shuffle spills sooner) and normalizes in smaller blocks. The
/// outputs are the same whatever the limit: only how batches are cut into parts changes.
public struct MemoryLimit: Sendable, Equatable, CustomStringConvertible {
    public var bytes: Int

    public init(bytes: Int) { self.bytes = bytes }

    /// Parses `2GiB`, `512MiB`, `512M`, `1.5G`, `64MB` (decimal units for `KB`/`MB`/`GB`), or bytes.
    public init?(_ text: String) {
        let t = text.trimmingCharacters(in: " ")
        let digits = t.prefix { $0.isNumber || $0 == "." }
        guard let value = Double(digits), value > 0 else { return nil }
        let units: [String: Double] = [
            "": 1, "b": 1, "k": 0x1p10, "kib": 0x1p10, "kb": 1e3, "m": 0x1p20, "mib": 0x1p20, "mb": 1e6,
            "g": 0x1p30, "gib": 0x1p30, "gb": 1e9, "t": 0x1p40, "tib": 0x1p40, "tb": 1e12,
        ]
        guard let scale = units[String(t.dropFirst(digits.count)).trimmingCharacters(in: " ").lowercased()], value * scale < 9e18 else { return nil }
        bytes = Int(value * scale)
    }

    public var description: String { Human.bytes(bytes) }

    /// The limit the config (or `--memory-limit`) sets, if any.
    static func resolve(_ config: ConfigValue) throws(ConfigError) -> MemoryLimit? {
        guard let v = config.value(at: "batch.memory_limit") else { return nil }
        guard let text = v.stringValue, let limit = MemoryLimit(text) else {
            throw .invalid(at: v.mark, key: "batch.memory_limit", reason: "give a size such as 2GiB, 512MiB or 800M, not '\(v.canonical)'.")
        }
        return limit
    }

    /// Room left for rows: the limit, less what the process already holds and a margin for the
    /// allocator and buffers.
    public func budget(resident: Int = currentResidentBytes()) -> Int { bytes - resident - Self.margin }
    static let margin = 6 << 20

    /// The smallest limit that leaves one worker room for a part of `smallestPart` rows.
    public static func minimum(rowBytes: Int, resident: Int) -> Int { resident + margin + perWorker + smallestPart * rowBytes * copiesPerPart }

    /// Encoding a part holds about four copies of its rows: the arrays, their `.npy` images, the
    /// compressed members, the ZIP file.
    static let copiesPerPart = 4
    /// Each worker's reading buffers and record, besides its rows.
    static let perWorker = 3 << 20
    /// Parts smaller than this cost more in files than they save in memory.
    public static let smallestPart = 2048

    /// Workers and rows per part that fit: as many of `workers` as can each hold a part of at
    /// least `smallestPart` rows, with parts as large as the rest of the budget allows (never
    /// larger than `rowsPerBatch`). Nil when not even one worker fits.
    public func extractPlan(workers: Int, rowsPerBatch: Int, rowBytes: Int, budget: Int) -> (workers: Int, rowsPerPart: Int)? {
        let perRow = max(1, rowBytes * Self.copiesPerPart)
        let smallest = Self.perWorker + min(rowsPerBatch, Self.smallestPart) * perRow
        guard budget >= smallest else { return nil }
        let w = max(1, min(workers, budget / smallest))
        let rows = (budget / w - Self.perWorker) / perRow
        return (w, max(1, min(rowsPerBatch, rows)))
    }

    /// The smallest limit under which a merge can hold one part of `partRows` rows (as
    /// ``mergePlan(partRows:rowBytes:budget:)`` counts it: four copies) besides what the process
    /// holds. Parts are cut at extract, so a lower limit cannot be kept by reading less ahead.
    /// About what a quern process holds before it reads any rows (code, runtime, buffers).
    public static let freshResident = 32 << 20

    public static func mergeMinimum(partRows: Int, rowBytes: Int, resident: Int) -> Int { resident + margin + partRows * rowBytes * 4 }

    /// Batches read ahead and loading threads for a merge whose largest part holds `partRows`
    /// rows, the strategy's memory budget, the rows of a block read back, and the bytes of X
    /// mapped at a time by normalize (mapped pages count as resident).
    public func mergePlan(partRows: Int, rowBytes: Int, budget: Int) -> (readAhead: Int, loaders: Int, strategyBytes: Int, blockRows: Int, windowBytes: Int) {
        // A part in memory: its compressed file, the decoded members, the batch and the block.
        let part = max(1, partRows * rowBytes * 4)
        let room = max(0, budget / 2)
        let inFlight = max(1, min(2, room / part - 1))
        return (inFlight, inFlight > 1 ? 2 : 1, max(16 << 20, budget / 4), max(1024, min(1 << 16, budget / 8 / max(1, rowBytes))), max(1 << 20, min(32 << 20, budget / 4)))
    }
}

/// Resident memory of this process now, in bytes (from /proc/self/statm).
public func currentResidentBytes() -> Int {
    guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return peakResidentBytes() }
    let fields = text.split(separator: " ")
    guard fields.count > 1, let pages = Int(fields[1]) else { return peakResidentBytes() }
    return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
}

/// A memory limit too low to do the work at all.
public enum MemoryLimitError: Error, CustomStringConvertible {
    case tooLow(MemoryLimit, resident: Int, minimum: Int)
    case tooLowForParts(MemoryLimit, partRows: Int, minimum: Int)

    public var description: String {
        switch self {
        case .tooLow(let limit, let resident, let minimum):
            "the memory limit \(limit) leaves no room for rows: quern itself already uses \(Human.bytes(resident)). Give --memory-limit at least \(Human.bytes(minimum))."
        case .tooLowForParts(let limit, let partRows, let minimum):
            "the memory limit \(limit) is too low for this merge: its largest batch part holds \(Human.count(partRows)) rows, and the merge holds a part at a time. Give --memory-limit at least \(Human.bytes(minimum)), or re-extract with --restart and this limit (smaller parts)."
        }
    }
}
