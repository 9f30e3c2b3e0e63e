import Foundation
import QuernKit

/// Writes the synthetic `games` dataset of ../shared/bench/WORKLOAD.md (same columns and value
/// kinds as its gen_games.py, not the same bytes): what `make demo` and the tests run on, so the
/// repository needs nothing outside itself.
public struct GamesGenerator: Sendable {
    public var seed: UInt64
    public var rows: Int

    public init(seed: UInt64, rows: Int) {
        self.seed = seed
        self.rows = rows
    }

    public static let header =
        ["game_id", "turn", "current_player", "num_players"] + (0..<40).map { "f" + String($0).leftPadded(to: 2) }
        + ["phase", "action_type", "color", "action", "legal"]
    static let phases = ["early", "mid", "late"]
    static let actionTypes = ["take3", "take2", "reserve", "buy", "pass"]
    static let colors = ["white", "blue", "green", "red", "black", "gold"]
    public static let badKinds = [
        "wrong_column_count", "text_in_float", "empty_file", "header_only", "truncated_last_line", "invalid_utf8",
    ]

    /// Writes `files` games (and `bad` malformed files); returns the bytes written.
    @discardableResult
    public func write(files: Int, bad: Int = 0, to dir: String) throws -> Int {
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        var total = 0
        for k in 0..<files {
            let bytes = Array(game(k, rows: rows).utf8)
            try AtomicFile.write(bytes, to: "\(dir)/game_\(String(k).leftPadded(to: 6)).csv")
            total += bytes.count
        }
        for k in 0..<bad {
            let kind = Self.badKinds[k % Self.badKinds.count]
            let bytes = badFile(kind, k)
            try AtomicFile.write(bytes, to: "\(dir)/bad_\(String(k).leftPadded(to: 3))_\(kind).csv")
            total += bytes.count
        }
        return total
    }

    /// The CSV text of game `k` (header included).
    public func game(_ k: Int, rows: Int) -> String {
        var rng = SplitMix64(seed: seed &* 0x9E37_79B9_7F4A_7C15 &+ UInt64(k))
        let id = "g" + String(k).leftPadded(to: 6) + "-" + String(rng.next() & 0xFFFF, radix: 16).leftPadded(to: 4)
        let players = [2, 2, 3, 4][Int(rng.next() % 4)]
        let scales = (0..<40).map { _ in 0.5 + 2.5 * rng.unit() }
        var out = Self.header.joined(separator: ",") + "\n"
        for turn in 0..<rows {
            let progress = Double(turn) / Double(max(rows - 1, 1))
            var cells = [id, String(turn), String(turn % players), String(players)]
            for i in 0..<40 {
                if rng.unit() < 0.02 {
                    cells.append("")
                    continue
                }
                let s = scales[i]
                let x: Double
                switch i % 4 {
                case 0: x = (progress * 10 * s + rng.unit() * 3).rounded(.down)
                case 1: x = rng.normal() * s
                case 2: x = -log(1 - rng.unit()) * s
                default: x = rng.unit()
                }
                cells.append(Self.decimal(x))
            }
            cells.append(Self.phases[progress < 0.33 ? 0 : progress < 0.75 ? 1 : 2])
            cells.append(Self.actionTypes[rng.weighted([0.40, 0.15, 0.15, 0.25, 0.05])])
            cells.append(Self.colors[rng.weighted([0.20, 0.20, 0.20, 0.20, 0.15, 0.05])])
            let action = Int(rng.next() % 84)
            cells.append(String(action))
            var legal = (0..<84).map { _ in rng.unit() < 0.3 ? UInt8(ascii: "1") : UInt8(ascii: "0") }
            legal[action] = UInt8(ascii: "1")
            cells.append(String(decoding: legal, as: UTF8.self))
            out += cells.joined(separator: ",") + "\n"
        }
        return out
    }

    /// Up to 4 decimals, trailing zeros dropped, integral values without a point.
    static func decimal(_ x: Double) -> String {
        let q = (abs(x) * 10_000).rounded()
        let whole = Int(q / 10_000)
        var frac = Int(q.truncatingRemainder(dividingBy: 10_000))
        var text = (x < 0 && q > 0 ? "-" : "") + String(whole)
        if frac > 0 {
            var digits = String(frac).leftPadded(to: 4)
            while digits.hasSuffix("0") {
                digits.removeLast()
                frac /= 10
            }
            text += "." + digits
        }
        return text
    }

    func badFile(_ kind: String, _ k: Int) -> [UInt8] {
        let body = game(900_000 + k, rows: 5)
        var lines = body.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        lines.removeLast()  // the empty string after the final newline
        switch kind {
        case "empty_file": return []
        case "header_only": return Array((lines[0] + "\n").utf8)
        case "truncated_last_line":
            let text = lines.joined(separator: "\n")
            return Array(text.utf8.prefix(text.utf8.count - lines.last!.utf8.count / 2))
        case "wrong_column_count":
            var cells = lines[3].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            cells.removeSubrange(14..<16)
            lines[3] = cells.joined(separator: ",")
        case "text_in_float":
            var cells = lines[4].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            cells[4 + 7] = "seven"
            lines[4] = cells.joined(separator: ",")
        default:  // invalid_utf8
            var bytes: [UInt8] = []
            for (i, line) in lines.enumerated() {
                if i == 2 {
                    var cells = line.split(separator: ",", omittingEmptySubsequences: false).map { Array($0.utf8) }
                    cells[46] = [0xFF, 0xFE]
                    bytes += Array(cells.joined(separator: [UInt8(ascii: ",")]))
                } else {
                    bytes += Array(line.utf8)
                }
                bytes.append(10)
            }
            return bytes
        }
        return Array((lines.joined(separator: "\n") + "\n").utf8)
    }
}
