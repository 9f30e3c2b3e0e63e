import Synchronization

/// The batches whose pieces the extract's workers are doing (``BatchPiece``): each piece's result
/// is kept here until the batch's last piece is done, and handed to the worker that finished it, to
/// assemble the batch. A piece whose input exists but cannot be read leaves the batch unmade.
final class BatchesInFlight: Sendable {
    /// What the worker that reported a piece does next.
    enum Outcome {
        case waiting
        /// Finish the parts of these pieces (done in a row, after every piece already finished),
        /// numbered from `first`, then report with ``finished(batch:from:_:)``.
        case finish(batch: Int, from: Int, first: Int, [PieceResult])
        case complete(BatchJob, [BatchPiece], [PieceResult], started: Double)
        case unreadable(InputUnreadable)
    }

    private struct Batch {
        var job: BatchJob
        var pieces: [BatchPiece]
        var results: [PieceResult?]
        var left: Int
        var unreadable: InputUnreadable? = nil
        var started: Double? = nil
        /// Pieces handed out to be finished (a prefix), the number of the next part, and how many
        /// workers are finishing parts now.
        var claimed = 0
        var nextNumber = 0
        var finishing = 0
    }

    private let batches: Mutex<[Int: Batch]>

    init(_ planned: [(job: BatchJob, pieces: [BatchPiece])]) {
        var all: [Int: Batch] = [:]
        for (job, pieces) in planned {
            all[job.batch] = Batch(
                job: job, pieces: pieces, results: Array(repeating: nil, count: pieces.count), left: pieces.count)
        }
        batches = Mutex(all)
    }

    /// A worker starts a piece of `batch`; false when the batch cannot be made anyway (a piece
    /// found an input it cannot read), so the piece is not worth doing.
    func begin(_ batch: Int) -> Bool {
        batches.withLock { all in
            if all[batch]?.started == nil { all[batch]?.started = monotonicSeconds() }
            return all[batch]?.unreadable == nil
        }
    }

    /// Records a piece's result.
    func finish(_ piece: BatchPiece, _ result: Result<PieceResult, InputUnreadable>) -> Outcome {
        next(piece.batch) { b in
            switch result {
            case .success(let r): b.results[piece.index] = r
            case .failure(let e): b.unreadable = b.unreadable ?? e
            }
            b.left -= 1
        } orphan: {
            (try? result.get()).map { [$0] } ?? []
        }
    }

    /// Records pieces whose parts a worker finished (``Outcome/finish(batch:from:first:_:)``).
    func finished(batch: Int, from: Int, _ results: [PieceResult]) -> Outcome {
        next(batch) { b in
            for (i, r) in results.enumerated() { b.results[from + i] = r }
            b.finishing -= 1
        } orphan: {
            results
        }
    }

    /// Applies `change` to the batch, then says what to do next: finish the parts of the pieces
    /// done in a row after those handed out, assemble the batch once every piece is done and
    /// finished, or wait. `orphan` gives what to discard when the batch is gone (the extract
    /// stopped, ``discardAll()``, while a piece ran).
    private func next(_ batch: Int, _ change: (inout Batch) -> Void, orphan: () -> [PieceResult]) -> Outcome {
        let outcome = batches.withLock { all -> (Outcome, [PieceResult]) in
            guard var b = all[batch] else { return (.waiting, orphan()) }
            change(&b)
            if b.unreadable == nil, b.claimed < b.pieces.count, b.results[b.claimed] != nil {
                var end = b.claimed
                while end < b.pieces.count, b.results[end] != nil { end += 1 }
                let results = b.results[b.claimed..<end].map { $0! }
                let outcome = Outcome.finish(batch: batch, from: b.claimed, first: b.nextNumber, results)
                b.nextNumber += results.reduce(0) { $0 + $1.parts.count }
                b.claimed = end
                b.finishing += 1
                all[batch] = b
                return (outcome, [])
            }
            guard b.left == 0 && b.finishing == 0 else {
                all[batch] = b
                return (.waiting, [])
            }
            all[batch] = nil
            let results = b.results.map { $0 ?? PieceResult() }
            if let e = b.unreadable { return (.unreadable(e), results) }
            return (.complete(b.job, b.pieces, results, started: b.started ?? monotonicSeconds()), [])
        }
        for r in outcome.1 { r.discard() }
        return outcome.0
    }

    /// Removes the temporary files of every piece done of a batch not yet assembled (the extract
    /// stops on an error).
    func discardAll() {
        let held = batches.withLock { all -> [PieceResult] in
            defer { all.removeAll() }
            return all.values.flatMap { $0.results.compactMap { $0 } }
        }
        for r in held { r.discard() }
    }
}

extension BatchesInFlight {
    /// Does `piece` on this thread, then what its report calls for: finishing the parts that can
    /// now be numbered, and assembling the batch when it was the last. The batch's journal line
    /// when this piece completed it, the reason when the batch cannot be made (an input that
    /// exists but cannot be read), nil otherwise.
    func make(_ piece: BatchPiece, with worker: BatchWorker) throws -> Result<JournalEntry, InputUnreadable>? {
        var result = Result<PieceResult, InputUnreadable>.success(PieceResult())
        if begin(piece.batch) {
            do {
                result = .success(try worker.runPiece(piece))
            } catch let e as InputUnreadable {
                result = .failure(e)
            }
        }
        var next = finish(piece, result)
        while true {
            switch next {
            case .waiting:
                return nil
            case .unreadable(let e):
                return .failure(e)
            case .finish(let batch, let from, let first, let results):
                let done: [PieceResult]
                do {
                    done = try worker.finish(results, from: first, batch: batch)
                } catch {
                    for r in results { r.discard() }
                    throw error
                }
                next = finished(batch: batch, from: from, done)
            case .complete(let job, let pieces, let results, let started):
                var entry = try worker.assemble(job, pieces: pieces, results: results)
                entry.seconds = monotonicSeconds() - started
                return .success(entry)
            }
        }
    }
}
