import QuernKit

/// The `hex` extractor for one file: validates each game and appends a row per chosen position.
struct BoundHex: BoundExtractor {
    let size: Int
    /// Whether the size came from the config (else from the first file).
    let configured: Bool
    let positions: HexPositions
    let maxPerGame: Int?
    var notes: [String: Int] = [:]
    private var game = HexGame(size: 0, moves: [], winner: nil)
    private var occupied = [Bool](repeating: false, count: 19 * 19)
    private var row: [Float]
    private var labels: [Int32] = [0, 0]
    private var key: [UInt8] = []

    init(size: Int, configured: Bool, positions: HexPositions, maxPerGame: Int?) {
        self.size = size
        self.configured = configured
        self.positions = positions
        self.maxPerGame = maxPerGame
        row = [Float](repeating: 0, count: 3 * size * size)
    }

    /// The positions (move indices) a game of `n` moves gives.
    func chosen(_ n: Int) -> Range<Int> {
        switch positions {
        case .all: return max(0, n - (maxPerGame ?? n))..<n
        case .final: return n >= 1 ? (n - 1)..<n : 0..<0
        case .penultimate: return n >= 2 ? (n - 2)..<(n - 1) : 0..<0
        }
    }

    mutating func extract(_ record: Record, into batch: inout RowBatch) throws(RowError) -> RowOutcome {
        do {
            try HexGame.parse(
                size: record.field(0), moves: record.field(1), winner: record.field(2), into: &game,
                occupied: &occupied)
        } catch {
            return .failed(error.reason)
        }
        guard game.size == size else {
            let why =
                configured
                ? "the run's extractor takes `size: \(size)`"
                : "the run's board is \(size)x\(size) (the first game read); set `size:` in the extractor options to choose one"
            return .failed("board size \(game.size) differs: \(why)")
        }
        guard let winner = game.winner else { return .skipped("no winner token: no value target") }
        let picked = chosen(game.moves.count)
        guard !picked.isEmpty else {
            return .skipped(game.moves.isEmpty ? "no moves" : "too few moves for the \(positions.rawValue) position")
        }
        // Group key: FNV-1a 64 of "<size>,<moves>" as written, in 16 hex digits (docs/hex.md).
        var h = FNV1a64.hash(record.field(0))
        h = FNV1a64.hash(CollectionOfOne(UInt8(ascii: ",")), seed: h)
        h = FNV1a64.hash(record.field(1), seed: h)
        key.removeAll(keepingCapacity: true)
        for shift in stride(from: 60, through: 0, by: -4) {
            let nibble = UInt8((h >> UInt64(shift)) & 0xF)
            key.append(nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") + nibble - 10)
        }
        let area = size * size
        for k in picked {
            row.withUnsafeMutableBufferPointer { out in
                for c in 0..<(3 * area) { out[c] = 0 }
                for (i, cell) in game.moves[..<k].enumerated() { out[(i % 2) * area + cell] = 1 }
                if k % 2 == 0 { for c in (2 * area)..<(3 * area) { out[c] = 1 } }
            }
            let mover = k % 2 == 0 ? 1 : 2
            labels[0] = Int32(game.moves[k])
            labels[1] = mover == winner ? 1 : 0
            row.withUnsafeBufferPointer { r in
                labels.withUnsafeBufferPointer { l in
                    key.withUnsafeBufferPointer { g in
                        batch.append(features: r, labels: l, masks: [], group: g, line: record.line)
                    }
                }
            }
        }
        return .kept
    }
}
