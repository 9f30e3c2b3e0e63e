import Synchronization

/// The batches whose pieces the extract's workers are doing (``BatchPiece``): each piece's result
/// is kept here until the batch's last piece is done, and handed to the worker that finished it, to
/// assemble the batch. A piece whose input exists but cannot be read leaves the batch unmade.
final class BatchesInFlight: Sendable {
    enum Outcome {
        case waiting
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

    /// Records a piece's result; the batch's results when it was the last piece.
    func finish(_ piece: BatchPiece, _ result: Result<PieceResult, InputUnreadable>) -> Outcome {
        let outcome = batches.withLock { all -> (Outcome, [PieceResult]) in
            // Gone: the extract stopped (``discardAll()``) while this piece ran.
            guard var b = all[piece.batch] else { return (.waiting, (try? result.get()).map { [$0] } ?? []) }
            switch result {
            case .success(let r): b.results[piece.index] = r
            case .failure(let e): b.unreadable = b.unreadable ?? e
            }
            b.left -= 1
            guard b.left == 0 else {
                all[piece.batch] = b
                return (.waiting, [])
            }
            all[piece.batch] = nil
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
