import Foundation
public import QuernKit
import Synchronization

/// The batch files of an intermediate folder, checked before a merge reads them: every planned
/// batch complete in the journals, every file present with its journaled checksum, one schema
/// fingerprint. Reading yields one batch at a time, so memory stays bounded by a batch. What merge
/// strategies see of it is the kit's ``BatchSource``.
public struct BatchSet: BatchSource {
    public struct Entry: Sendable, Equatable {
        public var name: BatchName
        public var path: String
        public var rows: Int
        public var bytes: Int
        public var crc32: String
    }

    public let dir: String
    public let entries: [Entry]
    public let schema: FeatureSchema
    public let fingerprint: String
    public let registry: PluginRegistry
    /// Most batches loaded ahead, and loading threads (lowered under a memory limit).
    public var maxReadAhead = 2
    public var maxLoaders = 2
    /// Counts the split keys of the batches read through ``forEachBlock(split:_:)``.
    public var keyTally: SplitKeyTally? = nil
    /// With `save.provenance`: blocks carry each row's origin (``RowBlock/origin``), numbered by
    /// this table. Nil (the default): no origin travels, and nothing changes.
    public var provenance: ProvenanceTable? = nil
    /// With an output writer that writes results (`save.writer: jsonl`): each row's result, found
    /// again by its origin (so ``provenance`` is set too). Nil: no result is kept.
    public var results: ResultTable? = nil

    public var totalBytes: Int { entries.reduce(0) { $0 + $1.bytes } }
    public var batchCount: Int { entries.count }
    public func rowCount(ofBatch i: Int) -> Int { entries[i].rows }
    public func batchDescription(_ i: Int) -> String { entries[i].path }
    public var layout: RowLayout { RowLayout(schema: schema, provenance: provenance != nil) }

    /// Finds and checks the batches of `dir`.
    public static func open(_ dir: String, registry: PluginRegistry) throws -> BatchSet {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: dir, isDirectory: &isDir), isDir.boolValue else {
            throw MergeError.noIntermediate(dir)
        }
        // The plan and journal rules verify reports and extract repairs: any finding stops the
        // merge (a damaged plan once doubled rows).
        let audit = try IntermediateAudit.read(dir)
        if !audit.findings.isEmpty { throw MergeError.bookkeeping(dir: dir, findings: audit.findingLines) }
        let plan = audit.plan
        let journal = audit.journal
        let onDisk = ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).compactMap(
            BatchName.init(fileName:)
        ).sorted()
        guard !onDisk.isEmpty || !plan.entries.isEmpty else { throw MergeError.noBatches(dir) }
        let incomplete = plan.entries.map(\.batch).filter { journal.entries[$0] == nil }
        if !incomplete.isEmpty {
            throw MergeError.incomplete(ShardCheck(dir: dir, missing: incomplete, totalBatches: plan.entries.count))
        }
        var entries: [Entry] = []
        var listed = Set<BatchName>()
        for k in journal.entries.keys.sorted() {
            let e = journal.entries[k]!
            for (p, part) in e.parts.enumerated() {
                let name = BatchName(batch: k, part: p)
                // The path is the part's own name, never one read from the journal: a journal line
                // naming ../elsewhere must not make merge read (or --cleanup delete) a file outside.
                guard part.file == name.fileName else {
                    throw MergeError.missingBatch(path: "\(dir)/\(name.fileName) (the journal names it '\(part.file)')")
                }
                listed.insert(name)
                entries.append(
                    Entry(
                        name: name, path: "\(dir)/\(name.fileName)", rows: part.rows, bytes: part.bytes,
                        crc32: part.crc32))
            }
        }
        let unknown = onDisk.filter { !listed.contains($0) }
        let planned = Set(plan.entries.map(\.batch))
        let foreign = unknown.filter { !planned.contains($0.batch) }
        if !foreign.isEmpty { throw MergeError.foreign(dir: dir, files: foreign.map(\.fileName)) }
        if !unknown.isEmpty { throw MergeError.unjournaled(dir: dir, files: unknown.map(\.fileName)) }
        let fingerprints = Set(journal.entries.values.map(\.fingerprint))
        guard fingerprints.count <= 1 else {
            throw MergeError.mixedFingerprints(dir: dir, fingerprints: fingerprints.sorted())
        }
        let missing = entries.filter { !FileManager.default.fileExists(atPath: $0.path) }
        if let record = audit.cleanup, !missing.isEmpty,
            missing.allSatisfy({
                record.covers(
                    JournalEntry.Part(file: $0.name.fileName, rows: $0.rows, bytes: $0.bytes, crc32: $0.crc32))
            })
        {
            throw MergeError.cleanedUp(dir: dir, what: record.sentence(count: missing.count))
        }
        if let e = missing.first { throw MergeError.missingBatch(path: e.path) }
        // The schema comes from the first batch itself (and every batch is checked against it as it is read).
        guard let first = entries.first else { throw MergeError.noBatches(dir) }
        let meta = try BatchFile.loadMeta(path: first.path, expected: .init(bytes: first.bytes, crc32: first.crc32)) {
            try registry.codec(zipMethod: $0)
        }
        if let f = fingerprints.first, meta.fingerprint != f {
            throw MergeError.mixedFingerprints(dir: dir, fingerprints: [f, meta.fingerprint])
        }
        try check(meta, against: first)
        return BatchSet(
            dir: dir, entries: entries, schema: meta.schema, fingerprint: meta.fingerprint, registry: registry)
    }

    /// A batch file's own meta must say what its journal line says (batch, part, rows): files
    /// swapped together with their checksums, or a row count edited in the journal, are refused
    /// as `quern verify` reports them.
    static func check(_ meta: BatchMeta, against e: Entry) throws {
        var wrong: [String] = []
        if meta.batch != e.name.batch || meta.part != e.name.part {
            wrong.append("its meta says batch \(meta.batch) part \(meta.part)")
        }
        if meta.rows != e.rows { wrong.append("it holds \(meta.rows) rows, the journal says \(e.rows)") }
        if !wrong.isEmpty { throw MergeError.disagrees(path: e.path, what: wrong.joined(separator: "; ")) }
    }

    /// Reads batch `i`, checking its checksum against the journal and its fingerprint; into the
    /// memory of `scratch` and `reusing` when given (see ``BatchFile/load(path:expected:scratch:reusing:codecFor:)``).
    public func load(_ i: Int, scratch: BatchFile.ReadScratch = .init(), reusing: consuming RowBatch? = nil) throws
        -> RowBatch
    {
        let e = entries[i]
        // The journal's size and CRC are checked before anything in the file is parsed.
        let loaded = try BatchFile.load(
            path: e.path, expected: .init(bytes: e.bytes, crc32: e.crc32), scratch: scratch, reusing: consume reusing
        ) {
            try registry.codec(zipMethod: $0)
        }
        guard loaded.meta.fingerprint == fingerprint else {
            throw MergeError.mixedFingerprints(dir: dir, fingerprints: [fingerprint, loaded.meta.fingerprint])
        }
        try Self.check(loaded.meta, against: e)
        return loaded.batch
    }

    /// Reads batch `i` into fresh memory (see ``load(_:scratch:reusing:)``).
    public func load(_ i: Int) throws -> RowBatch { try load(i, scratch: .init(), reusing: nil) }

    /// Each batch in order as a ``RowBlock`` with split codes. Background threads (two, fewer
    /// under ``maxLoaders``) read, decompress and check the next batches while `body` works on
    /// this one; at most three batches (fewer under ``maxReadAhead``) wait, so memory stays
    /// bounded by a few batches. A block `body` is done
    /// with (and did not keep) lends its arrays to a later batch, and each loader reads into its
    /// own scratch memory, so the merge does not allocate, zero and page-fault fresh memory for
    /// every batch.
    public func forEachBlock(split: SplitFunction, _ body: (Int, RowBlock) throws -> Void) throws {
        let prefetch = 3
        let loaders = 2
        let depth = max(1, min(prefetch, maxReadAhead))
        let queue = BlockQueue(depth: depth)
        let this = self
        let count = entries.count
        let layout = self.layout
        let threads = max(1, min(loaders, maxLoaders, count))
        // Blocks in use at once: those read ahead, the one being merged, the one being written.
        let spare = SpareBlocks(layout: layout, cap: depth + 2)
        let tally = keyTally
        let keepResults = results != nil
        for t in 0..<threads {
            Thread.detachNewThread {
                let scratch = BatchFile.ReadScratch()
                for i in stride(from: t, to: count, by: threads) {
                    guard queue.waitForRoom(before: i) else { return }
                    let result = Result { () throws -> LoadedBlock in
                        let batch = try this.load(i, scratch: scratch, reusing: spare.take())
                        tally?.record(batch, index: i, by: split.by)
                        let block = Self.block(from: batch, layout: layout, split: split)
                        return LoadedBlock(
                            block: block, sources: layout.provenance ? batch.sources : [],
                            groups: layout.provenance ? batch.groups : [],
                            results: keepResults ? batch.results : [])
                    }
                    queue.put(i, result)
                }
            }
        }
        defer {
            queue.cancel()
            spare.cancel()
        }
        let table = provenance
        for i in 0..<count {
            let loaded = try queue.take(i).get()
            var block = loaded.block
            // Renumbered here, on the one consuming thread, in batch order: the same tables
            // whichever loader finished first.
            table?.globalize(&block, sources: loaded.sources, groups: loaded.groups)
            try results?.add(block, results: loaded.results, batch: entries[i].path)
            try body(i, block)
            spare.give(block)
        }
        // The pass's blocks were made and freed on the loader threads, whose malloc arenas keep
        // them resident: give them back, so what a strategy holds after a pass (shuffle's sorted
        // buckets, balance's second pass) does not add to them.
        spare.drain()
        releaseFreeMemory()
    }

    /// Converts a batch to a block, deciding each row's split (once per distinct group).
    public static func block(from batch: RowBatch, layout: RowLayout, split: SplitFunction) -> RowBlock {
        var block = RowBlock(layout: layout)
        block.features = batch.features
        block.labels = batch.labels
        block.masks = batch.masks
        block.arrays = batch.arrays
        switch split.by {
        case .group:
            let codes = batch.groups.map { split.split(of: $0) }
            block.split = batch.groupIndex.map { codes.isEmpty ? 0 : codes[Int($0)] }
        case .row:
            block.split = (0..<batch.count).map { i in
                let key = Array(batch.sources[Int(batch.sourceIndex[i])].utf8) + Array(":\(batch.sourceRow[i])".utf8)
                return split.split(of: key)
            }
        }
        if layout.provenance {
            // Batch-local indexes here; ``ProvenanceTable/globalize(_:sources:groups:)`` renumbers them.
            let w = RowBlock.originWidth
            block.origin = [Int64](unsafeUninitializedCapacity: batch.count * w) { out, n in
                for i in 0..<batch.count {
                    out[i * w] = Int64(batch.sourceIndex[i])
                    out[i * w + 1] = batch.sourceRow[i]
                    out[i * w + 2] = Int64(batch.groupIndex[i])
                }
                n = batch.count * w
            }
        }
        return block
    }
}

/// A block as a loader hands it over: with the batch's own source and group tables when rows carry
/// their origin (empty otherwise).
struct LoadedBlock: Sendable {
    var block: RowBlock
    var sources: [String]
    var groups: [[UInt8]]
    /// The batch's results, when the merge keeps them (``BatchSet/results``).
    var results: [[UInt8]] = []
}

/// Blocks the merge is done with, whose arrays the loaders fill again, so the merge's memory is
/// a fixed number of blocks (`cap`) however many batches there are, and no batch pays for fresh
/// memory. An array that something still holds (a strategy that keeps rows) is not reused in
/// place: Swift copies it on the first change, so lending is always safe; it only costs memory.
///
/// The block given last may still be being written (``SplitWriter`` waits for a block's writes
/// only when it queues the next block's), so it rests until another is given; blocks are lent
/// oldest first. A loader that finds no spare makes a new block while fewer than `cap` exist, and
/// waits for one after that.
final class SpareBlocks: @unchecked Sendable {
    private let condition = NSCondition()
    private var blocks: [RowBlock] = []
    private var made = 0
    private var cancelled = false
    let layout: RowLayout
    let cap: Int
    static let resting = 1

    init(layout: RowLayout, cap: Int) {
        self.layout = layout
        self.cap = cap
    }

    func give(_ block: RowBlock) {
        condition.lock()
        blocks.append(block)
        condition.broadcast()
        condition.unlock()
    }

    /// An empty batch holding a spare block's arrays; nil when the caller should make a new one.
    func take() -> RowBatch? {
        condition.lock()
        while blocks.count <= Self.resting && made >= cap && !cancelled { condition.wait() }
        guard blocks.count > Self.resting else {
            made += 1
            condition.unlock()
            return nil
        }
        var block = blocks.removeFirst()
        condition.unlock()
        var batch = RowBatch(
            featureCount: layout.features, labelHeads: layout.labelHeads, maskWidths: layout.maskWidths,
            arrayRowBytes: layout.arrayBytes)
        swap(&batch.features, &block.features)
        swap(&batch.labels, &block.labels)
        swap(&batch.masks, &block.masks)
        swap(&batch.arrays, &block.arrays)
        return batch
    }

    /// Lets go of every spare block (the pass is over).
    func drain() {
        condition.lock()
        blocks.removeAll()
        cancelled = true
        condition.broadcast()
        condition.unlock()
    }

    /// Wakes waiting loaders for good (the merge has stopped).
    func cancel() {
        condition.lock()
        cancelled = true
        condition.broadcast()
        condition.unlock()
    }
}

/// The hand-off between the batch-loading thread and the merge: blocks by index, at most `depth`
/// ahead of the one being used.
final class BlockQueue: @unchecked Sendable {
    private let condition = NSCondition()
    private var ready: [Int: Result<LoadedBlock, any Error>] = [:]
    private var taken = 0
    private var cancelled = false
    let depth: Int

    init(depth: Int) { self.depth = depth }

    /// Waits until block `i` may be loaded; false once the consumer has gone.
    func waitForRoom(before i: Int) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while i - taken >= depth && !cancelled { condition.wait() }
        return !cancelled
    }

    func put(_ i: Int, _ result: Result<LoadedBlock, any Error>) {
        condition.lock()
        ready[i] = result
        condition.broadcast()
        condition.unlock()
    }

    func take(_ i: Int) -> Result<LoadedBlock, any Error> {
        condition.lock()
        defer { condition.unlock() }
        while ready[i] == nil { condition.wait() }
        taken = i + 1
        condition.broadcast()
        return ready.removeValue(forKey: i)!
    }

    func cancel() {
        condition.lock()
        cancelled = true
        condition.broadcast()
        condition.unlock()
    }
}

public enum MergeError: Error, CustomStringConvertible {
    case noIntermediate(String)
    case noBatches(String)
    case incomplete(ShardCheck)
    case unjournaled(dir: String, files: [String])
    case foreign(dir: String, files: [String])
    case mixedFingerprints(dir: String, fingerprints: [String])
    case missingBatch(path: String)
    case validation([String])
    case badSettings(String)
    case bookkeeping(dir: String, findings: [String])
    case cleanedUp(dir: String, what: String)
    case disagrees(path: String, what: String)

    public var description: String {
        switch self {
        case .noIntermediate(let d):
            "no intermediate folder at \(d): run `quern extract` first, or pass --intermediate-dir."
        case .noBatches(let d):
            "no batch files in \(d): run `quern extract` first, or pass the right --intermediate-dir."
        case .incomplete(let check): check.description
        case .unjournaled(let d, let f):
            "\(d) holds batch files that no journal records (\(f.prefix(5).joined(separator: ", "))): an extract was interrupted while publishing them. Run `quern extract` again to finish, then merge."
        case .foreign(let d, let f):
            "\(d) holds files named like batches that this folder's plan never made (\(f.prefix(5).joined(separator: ", "))): they were not read. Move them out of the folder (or extract into a new --intermediate-dir), then merge."
        case .mixedFingerprints(let d, let f):
            "\(d) holds batches made with different schemas (\(f.joined(separator: ", "))); they are never mixed. Redo them with `quern extract --restart` or use separate folders."
        case .missingBatch(let p): "\(p) is missing though the journal lists it: run `quern extract` again to redo it."
        case .validation(let problems):
            "the outputs failed validation, so nothing was published:\n  " + problems.joined(separator: "\n  ")
                + "\n(--skip-validation publishes anyway)"
        case .badSettings(let why): why
        case .bookkeeping(let d, let findings):
            "the plan and journals of \(d) do not agree, so merging could take rows twice or miss some; nothing was read:\n  "
                + findings.prefix(10).joined(separator: "\n  ")
                + (findings.count > 10 ? "\n  (and \(findings.count - 10) more: `quern verify` lists them)" : "")
                + "\nRun `quern extract` with the same settings to repair the folder, then merge."
        case .cleanedUp(let d, let what):
            "\(what); \(d) holds the journal and plan but no longer the batches. Run `quern extract` (or `quern run`) to make them again, then merge."
        case .disagrees(let p, let what):
            "\(p) does not match its journal line: \(what). Run `quern extract` to redo that batch (or `quern verify` to see everything), then merge."
        }
    }
}
