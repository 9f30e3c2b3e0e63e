import CQuernSys
import Foundation
import QuernKit

#if canImport(Glibc)
    import Glibc
#endif

/// `--memory-limit` (`batch.memory_limit`): the most resident memory a quern process should
/// reach. It does not cap anything by force: it sizes the work so the peak stays below it. Extract
/// keeps fewer rows in flight (smaller parts: each worker holds one part's rows and their encoded
/// copies), and fewer workers when even small parts do not fit; merge reads fewer batches ahead,
/// gives the strategy less to hold (shuffle spills sooner) and normalizes in smaller blocks, and
/// refuses, before it reads a row, a limit below what a part and the strategy's state need. The
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
        guard let scale = units[String(t.dropFirst(digits.count)).trimmingCharacters(in: " ").lowercased()],
            value * scale < 9e18
        else { return nil }
        bytes = Int(value * scale)
    }

    public var description: String { Human.bytes(bytes) }

    /// Room left for rows: the limit, less what the process already holds and a margin for the
    /// allocator and buffers.
    public func budget(resident: Int = currentResidentBytes()) -> Int { bytes - resident - Self.margin }
    static let margin = 6 << 20

    /// The smallest limit that leaves one worker room for a part of `smallestPart` rows.
    public static func minimum(rowBytes: Int, resident: Int) -> Int {
        resident + margin + perWorker + smallestPart * rowBytes * copiesPerPart
    }

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
    public func extractPlan(workers: Int, rowsPerBatch: Int, rowBytes: Int, budget: Int) -> (
        workers: Int, rowsPerPart: Int
    )? {
        let perRow = max(1, rowBytes * Self.copiesPerPart)
        let smallest = Self.perWorker + min(rowsPerBatch, Self.smallestPart) * perRow
        guard budget >= smallest else { return nil }
        let w = max(1, min(workers, budget / smallest))
        let rows = (budget / w - Self.perWorker) / perRow
        return (w, max(1, min(rowsPerBatch, rows)))
    }

    /// The smallest limit under which a merge can hold one part of `partRows` rows (as
    /// ``mergePlan(partRows:rowBytes:stateBytes:budget:)`` counts it: four copies) and the merge
    /// strategy's state (``MergeStrategy/stateBytes(rows:partRows:schema:)``) besides what the
    /// process holds. Parts are cut at extract and the state follows the rows, so a lower limit
    /// cannot be kept by reading less ahead.
    public static func mergeMinimum(partRows: Int, rowBytes: Int, stateBytes: Int, resident: Int) -> Int {
        resident + margin + partRows * rowBytes * 4 + stateBytes
    }

    /// The limit a refusal names for a `minimum`: 5% more, at least 4 MiB, rounded up to a whole
    /// MiB, so the figure given as it is is accepted by the next run. What a process holds varies
    /// from run to run: its resident code pages depend on what other processes keep in the page
    /// cache (a debug quern under parallel tests was seen 9 MiB apart between two runs).
    public static func named(_ minimum: Int) -> Int {
        ((minimum + max(4 << 20, minimum / 20) + (1 << 20) - 1) >> 20) << 20
    }

    /// Batches read ahead and loading threads for a merge whose largest part holds `partRows`
    /// rows, the strategy's memory budget, the rows of a block read back, and the bytes of X
    /// mapped at a time by normalize (mapped pages count as resident). The strategy's state is set
    /// aside first: it gets `stateBytes` and half of whatever the parts leave over (shuffle spills
    /// less with more), and the batches share the rest.
    public func mergePlan(partRows: Int, rowBytes: Int, stateBytes: Int, budget: Int) -> (
        readAhead: Int, loaders: Int, strategyBytes: Int, blockRows: Int, windowBytes: Int
    ) {
        // A part in memory: its compressed file, the decoded members, the batch and the block.
        let part = max(1, partRows * rowBytes * 4)
        let spare = max(0, budget - stateBytes - part)
        let strategyBytes = stateBytes + spare / 2
        let room = max(0, (budget - strategyBytes) / 2)
        let inFlight = max(1, min(2, room / part - 1))
        return (
            inFlight, inFlight > 1 ? 2 : 1, strategyBytes, max(1024, min(1 << 16, budget / 8 / max(1, rowBytes))),
            max(1 << 20, min(32 << 20, budget / 4))
        )
    }
}

/// Resident memory of this process now, in bytes (from /proc/self/statm).
public func currentResidentBytes() -> Int {
    guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else {
        return peakResidentBytes()
    }
    let fields = text.split(separator: " ")
    guard fields.count > 1, let pages = Int(fields[1]) else { return peakResidentBytes() }
    return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
}

/// A memory limit too low to do the work at all.
public enum MemoryLimitError: Error, CustomStringConvertible {
    case tooLow(MemoryLimit, resident: Int, minimum: Int)
    case tooLowForParts(MemoryLimit, partRows: Int, need: Int, minimum: Int)
    /// The merge strategy's own state (dedupe's table, shuffle's buckets) does not fit beside the parts.
    case tooLowForStrategy(
        MemoryLimit, strategy: String, rows: Int, stateBytes: Int, partRows: Int, need: Int, minimum: Int)

    /// Why the figure named is above what this merge needs now.
    static func margin(_ need: Int) -> String {
        "(the merge needs \(Human.bytes(need)) now; what a process holds varies from run to run, hence the margin)"
    }

    public var description: String {
        switch self {
        case .tooLow(let limit, let resident, let minimum):
            "the memory limit \(limit) leaves no room for rows: quern itself already uses \(Human.bytes(resident)). Give --memory-limit at least \(Human.bytes(minimum))."
        case .tooLowForParts(let limit, let partRows, let need, let minimum):
            "the memory limit \(limit) is too low for this merge: its largest batch part holds \(Human.count(partRows)) rows, and the merge holds a part at a time. Give --memory-limit at least \(Human.bytes(minimum)) \(Self.margin(need)), or re-extract with --restart and this limit (smaller parts)."
        case .tooLowForStrategy(let limit, let strategy, let rows, let state, let partRows, let need, let minimum):
            "the memory limit \(limit) is too low for this merge: strategy \(strategy) needs \(Human.bytes(state)) for its state with \(Human.count(rows)) rows, besides a batch part at a time (the largest holds \(Human.count(partRows)) rows). Give --memory-limit at least \(Human.bytes(minimum)) \(Self.margin(need)), or merge fewer rows or with a strategy that keeps less (concat keeps nothing)."
        }
    }
}
