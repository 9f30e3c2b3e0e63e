import ArgumentParser
import Foundation
import QuernCore

struct GenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Write a synthetic `games` dataset (for the demo, tests and benchmarks).",
        discussion: """
            One CSV file per game with the columns of the `games` workload (docs/examples/games.yaml reads it): \
            game_id, turn, current_player, num_players, f00..f39 (2% empty), phase, action_type, color, action (0..83) \
            and legal (84 characters of 0/1, legal[action] = 1). Deterministic: same flags, same bytes.
            --bad K adds K malformed files (bad_*.csv) of six kinds, to see failure handling.
            """)

    @Option(help: "Number of game files.") var files = 1000
    @Option(help: "Rows (turns) per file.") var rows = 75
    @Option(help: "Random seed.") var seed: UInt64 = 1
    @Option(help: "Malformed files to add.") var bad = 0
    @Option(help: "Output folder (created).") var out: String

    /// Counts are bad usage (64) out of range, not a trap while writing.
    func validate() throws {
        guard (0...10_000_000).contains(files) else {
            throw ValidationError("--files \(files): give a number of files from 0 to 10000000.")
        }
        guard (1...10_000_000).contains(rows) else {
            throw ValidationError("--rows \(rows): give a number of rows per file from 1 to 10000000.")
        }
        guard (0...10_000_000).contains(bad) else {
            throw ValidationError("--bad \(bad): give a number of malformed files from 0 to 10000000.")
        }
    }

    func run() throws {
        do {
            let n = try GamesGenerator(seed: seed, rows: rows).write(files: files, bad: bad, to: out)
            FileHandle.standardError.write(
                Data(
                    "generated \(files) game files\(bad > 0 ? " and \(bad) malformed files" : "") (\(Human.bytes(n))) in \(out)\n"
                        .utf8))
        } catch {
            throw fail(error)
        }
    }
}
