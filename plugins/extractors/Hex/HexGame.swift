import QuernKit

/// One Hex game read from a `trmph` record: board size, moves as cell indices (row-major, row =
/// number - 1, column = letter - 'a') and the winner (1 = the first player, the one who made the
/// first move; 2 = the second player; nil when the record has none).
struct HexGame: Equatable {
    var size: Int
    var moves: [Int]
    var winner: Int?

    /// Why a record is not a valid game: the reason says which move or token, and what to fix.
    struct Invalid: Error {
        var reason: String
    }

    /// Reads and validates one record's fields (`size`, `moves`, `winner`). `cells` is scratch of
    /// at least 19*19 entries, reused between games.
    static func parse(
        size sizeField: UnsafeBufferPointer<UInt8>, moves movesField: UnsafeBufferPointer<UInt8>,
        winner winnerField: UnsafeBufferPointer<UInt8>, into game: inout HexGame, occupied: inout [Bool]
    ) throws(Invalid) {
        guard let size = smallNumber(sizeField), size >= 1, size <= 19 else {
            throw Invalid(
                reason:
                    "board size \(RowError.shown(sizeField)) is not a number 1...19 (expected '#<size>,<moves> [winner]' as in '#13,a1b2c3 1')"
            )
        }
        game.size = size
        game.moves.removeAll(keepingCapacity: true)
        for k in 0..<(size * size) { occupied[k] = false }
        var i = 0
        let m = movesField
        while i < m.count {
            let letter = m[i]
            let moveNumber = game.moves.count + 1
            guard letter >= UInt8(ascii: "a"), letter <= UInt8(ascii: "z") else {
                throw Invalid(
                    reason:
                        "move \(moveNumber): \(RowError.shown(m[i...].prefix(3))) is not a column letter a... and a row number"
                )
            }
            var j = i + 1
            var row = 0
            while j < m.count, m[j] >= 48, m[j] <= 57, j - i <= 2 {
                row = row * 10 + Int(m[j] - 48)
                j += 1
            }
            let text = String(decoding: m[i..<j], as: UTF8.self)
            guard j > i + 1 else {
                throw Invalid(reason: "move \(moveNumber) '\(text)': a column letter needs a row number after it")
            }
            let column = Int(letter - UInt8(ascii: "a"))
            guard column < size, row >= 1, row <= size else {
                throw Invalid(reason: "move \(moveNumber) '\(text)' is off the \(size)x\(size) board")
            }
            let cell = (row - 1) * size + column
            guard !occupied[cell] else {
                throw Invalid(reason: "move \(moveNumber) '\(text)' is played on a cell already taken")
            }
            occupied[cell] = true
            game.moves.append(cell)
            i = j
        }
        switch winnerField.count == 1 ? winnerField[0] : 0 {
        case UInt8(ascii: "1"): game.winner = 1
        case UInt8(ascii: "2"): game.winner = 2
        default:
            guard winnerField.isEmpty else {
                throw Invalid(
                    reason:
                        "winner \(RowError.shown(winnerField)) is not 1 (first player) or 2 (second player); leave it out when unknown"
                )
            }
            game.winner = nil
        }
    }

    /// A 1- or 2-digit decimal number, or nil.
    static func smallNumber(_ bytes: UnsafeBufferPointer<UInt8>) -> Int? {
        guard !bytes.isEmpty, bytes.count <= 2 else { return nil }
        var n = 0
        for b in bytes {
            guard b >= 48 && b <= 57 else { return nil }
            n = n * 10 + Int(b - 48)
        }
        return n
    }

    /// The cell's trmph name: column letter then 1-based row (`a1`, `c10`).
    static func cellName(_ cell: Int, size: Int) -> String {
        "\(Character(Unicode.Scalar(UInt8(ascii: "a") + UInt8(cell % size))))\(cell / size + 1)"
    }
}
