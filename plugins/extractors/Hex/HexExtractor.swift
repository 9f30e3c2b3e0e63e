public import QuernKit

/// Hex game records (the `trmph` format) to training positions: one row per chosen position of a
/// game, the board as 3 planes of size x size (first player's stones, second player's stones, and
/// a plane of ones when the first player is to move), the next move as the `policy` label (cell
/// index, row-major) and the outcome for the side to move as the `value` label (1 win, 0 loss).
/// The group key is a hash of the game, so all its positions land in one split. docs/hex.md gives
/// the exact encoding with a worked example.
public struct HexExtractor: Extractor, ExtractorPlugin {
    public static let name = "hex"
    public static let summary = "Hex game records (trmph) to positions: board planes, policy and value labels"
    public static let options: [OptionSpec] = [
        OptionSpec(
            "positions", .choice(["all", "final", "penultimate"]), default: "all",
            help:
                "which positions of a game become rows: every one, the one before the last move, or the one before that"
        ),
        OptionSpec(
            "max_per_game", .int(1...1000),
            help: "at most this many positions per game (the last ones); unset: no limit"),
        OptionSpec(
            "size", .int(1...19),
            help:
                "the board size of the run; games of another size fail one by one. Unset: the first game's size, and a file whose first game has another size stops the run"
        ),
    ]

    public static func make(_ options: PluginOptions) throws -> any Extractor {
        let positions = HexPositions(rawValue: options.string("positions") ?? "all") ?? .all
        return HexExtractor(
            positions: positions, maxPerGame: options.int("max_per_game"), size: options.int("size"),
            optionsText: options.canonical)
    }

    public let positions: HexPositions
    public let maxPerGame: Int?
    /// The configured board size, if any.
    public let size: Int?
    public let optionsText: String
    public var name: String { Self.name }
    public var labelHeads: [String]? { ["policy", "value"] }

    public init(positions: HexPositions, maxPerGame: Int?, size: Int?, optionsText: String) {
        self.positions = positions
        self.maxPerGame = maxPerGame
        self.size = size
        self.optionsText = optionsText
    }

    /// The board size a file's columns announce (`size=13`), or nil.
    static func announcedSize(_ columns: [String]) -> Int? {
        guard let first = columns.first, first.hasPrefix("size="), let n = Int(first.dropFirst(5)), (1...19).contains(n)
        else { return nil }
        return n
    }

    /// The columns of a `trmph` file: `size=N` (its first game's size; `size` when unknown),
    /// `moves`, `winner`.
    static func checkColumns(_ columns: [String]) throws {
        guard columns.count == 3, columns[0].hasPrefix("size"), columns[1] == "moves", columns[2] == "winner" else {
            throw ExtractorError.missingColumn(
                name: "moves", role: "a trmph game record: read .trmph files (format trmph)", columns: columns)
        }
    }

    public func schema(columns: [String]) throws -> FeatureSchema {
        try Self.checkColumns(columns)
        guard let n = size ?? Self.announcedSize(columns) else {
            throw ExtractorError.missingColumn(
                name: "size=N", role: "board size of the first game; or set `size:` in the extractor options",
                columns: columns)
        }
        var features: [FeatureSchema.Feature] = []
        features.reserveCapacity(3 * n * n)
        for plane in ["first", "second", "to_move"] {
            for cell in 0..<(n * n) {
                features.append(FeatureSchema.Feature("\(plane)_\(HexGame.cellName(cell, size: n))", normalized: false))
            }
        }
        return FeatureSchema(
            features: features,
            labels: [
                FeatureSchema.LabelHead(name: "policy", classes: n * n),
                FeatureSchema.LabelHead(name: "value", classes: 2, classNames: ["loss", "win"]),
            ],
            masks: [], hasGroups: true)
    }

    public func bind(columns: [String], schema: FeatureSchema, missing: MissingValues) throws -> any BoundExtractor {
        try Self.checkColumns(columns)
        let runSize = schema.labels.first?.classes ?? 0
        let n = Int(Double(runSize).squareRoot().rounded())
        guard n * n == runSize, schema.features.count == 3 * runSize else {
            throw ExtractorError.schemaMismatch(expected: schema.featureNames, found: columns)
        }
        if size == nil, let fileSize = Self.announcedSize(columns), fileSize != n {
            throw ExtractorError.conflictsWithRun(
                "this file's first game is on a \(fileSize)x\(fileSize) board, but the run's is \(n)x\(n) (the first file's): a run takes one board size. Set `size: \(n)` (or \(fileSize)) in the extractor options to choose one; games of other sizes then fail one by one, listed in failed.jsonl"
            )
        }
        return BoundHex(size: n, configured: size != nil, positions: positions, maxPerGame: maxPerGame)
    }
}

/// Which positions of a game become rows.
public enum HexPositions: String, Sendable {
    /// Every position before a move (a game of n moves gives n rows).
    case all
    /// The position before the last move.
    case final
    /// The position before the second-to-last move.
    case penultimate
}
