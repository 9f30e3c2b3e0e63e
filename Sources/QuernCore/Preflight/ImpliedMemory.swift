import Foundation
public import QuernKit

/// The memory a config's sizes imply before a single row is read, checked by pre-flight against
/// the memory limit (`batch.memory_limit`, else the machine's memory): per-class arrays of every
/// label head, and one smallest part of rows as wide as the masks and hashed buckets make them.
/// Each size passes its own bound and the whole can still be too much; the run would find out
/// only when the kernel ends it.
public struct ImpliedMemory: Sendable, Equatable {
    /// Bytes per class of a label head: counts of every split, statistics and a strategy's
    /// per-class tallies, generously.
    public static let bytesPerClass = 64

    public var classes = 0
    public var rowBytes = 16

    /// The sizes read from the extractor's options; values that do not parse count as nothing
    /// (the extractor reports them).
    public init(extractorOptions options: [String: ConfigValue]) {
        for (_, head) in options["labels"]?.mapValue ?? [] {
            classes += head["classes"]?.intValue.map { max(0, $0) } ?? head["values"]?.listValue?.count ?? 0
            rowBytes += 4
        }
        for (_, mask) in options["masks"]?.mapValue ?? [] { rowBytes += max(0, mask["width"]?.intValue ?? 0) }
        if let buckets = options["buckets"]?.intValue { rowBytes += 4 * max(0, buckets) }
    }

    /// Bytes needed before the first row: the per-class arrays and one smallest part.
    public var bytes: Int {
        let classBytes = classes.multipliedReportingOverflow(by: Self.bytesPerClass)
        let part = MemoryLimit.minimum(rowBytes: rowBytes, resident: 0)
        return classBytes.overflow
            ? Int.max
            : classBytes.partialValue.addingReportingOverflow(part).overflow ? Int.max : classBytes.partialValue + part
    }

    /// Why these sizes do not fit under `limit` (or the machine's memory), or nil when they do.
    public func problem(limit: MemoryLimit?) -> String? {
        let available = limit?.bytes ?? Int(clamping: ProcessInfo.processInfo.physicalMemory)
        guard bytes > available else { return nil }
        let against =
            limit.map { "the memory limit of \($0) (batch.memory_limit, --memory-limit)" }
            ?? "this machine's memory (\(Human.bytes(available)))"
        var parts: [String] = []
        if classes > 0 {
            parts.append(
                "\(Human.count(classes)) label classes take about \(Human.bytes(classes * Self.bytesPerClass))")
        }
        parts.append(
            "rows of \(Human.bytes(rowBytes)) each need \(Human.bytes(MemoryLimit.minimum(rowBytes: rowBytes, resident: 0))) for one smallest part"
        )
        return
            "the config's sizes need about \(Human.bytes(bytes)) before the first row (\(parts.joined(separator: "; "))), more than \(against): "
            + "lower extractor.labels classes, mask widths or buckets, or raise the limit."
    }
}
