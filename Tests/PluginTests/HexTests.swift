import QuernCore
import QuernKit
import QuernPlugins
import QuernTestSupport
import Testing

/// The `trmph` format and the `hex` extractor on small games whose encoding is worked out by hand
/// (the same example as docs/hex.md).
@Suite("Hex")
struct HexTests {
    let registry = PluginRegistry.builtIn

    struct Run {
        var batch: RowBatch
        var schema: FeatureSchema
        var skipped: [String: Int] = [:]
        var failed: [(line: Int, reason: String)] = []
    }

    func run(_ text: String, _ options: [String: ConfigValue] = [:]) throws -> Run {
        let extractor = try registry.extractor("hex", options)
        let reader = try registry.format("trmph").open(MemorySource(text), settings: ReaderSettings())
        let schema = try extractor.schema(columns: reader.columns)
        var bound = try extractor.bind(columns: reader.columns, schema: schema, missing: MissingValues())
        var out = Run(batch: RowBatch(schema: schema), schema: schema)
        out.batch.beginSource("t.trmph")
        let record = Record()
        while try reader.next(into: record) {
            switch try bound.extract(record, into: &out.batch) {
            case .kept: break
            case .skipped(let why): out.skipped[why, default: 0] += 1
            case .failed(let why): out.failed.append((record.line, why))
            }
        }
        return out
    }

    @Test func threeMovesOnThreeByThreeGiveThePlanesPolicyAndValueOfTheDocs() throws {
        let r = try run("http://www.trmph.com/hex/board#3,a1b2c3 1\n")
        #expect(r.schema.features.count == 27)
        let names = r.schema.featureNames
        #expect(names[0] == "first_a1")
        #expect(names[5] == "first_c2")
        #expect(names[9] == "second_a1")
        #expect(names[18] == "to_move_a1")
        #expect(r.schema.labels.map(\.classes) == [9, 2])
        #expect(r.batch.count == 3)
        let ones: [Float] = Array(repeating: 1, count: 9)
        let zeros: [Float] = Array(repeating: 0, count: 9)
        var p1: [Float] = zeros
        p1[0] = 1
        var p2: [Float] = zeros
        p2[4] = 1
        #expect(Array(r.batch.features[0..<27]) == zeros + zeros + ones, "empty board, first player to move")
        #expect(Array(r.batch.features[27..<54]) == p1 + zeros + zeros, "a1 played, second to move")
        #expect(Array(r.batch.features[54..<81]) == p1 + p2 + ones, "a1 and b2 played, first to move")
        #expect(r.batch.labels[0] == [0, 4, 8], "policy: the next move's cell, row-major")
        #expect(r.batch.labels[1] == [1, 0, 1], "value: 1 when the side to move is the winner")
        #expect(r.batch.groups.count == 1)
        #expect(r.batch.groupIndex == [0, 0, 0], "one game, one group")
        // FNV-1a 64 of "3,a1b2c3", as docs/hex.md states it.
        let h = FNV1a64.hash(Array("3,a1b2c3".utf8))
        #expect(r.batch.groups[0] == Array(String(h, radix: 16).leftPadded(16).utf8))
        #expect(r.batch.sourceRow == [1, 1, 1])
    }

    @Test func twoDigitRowsFinalAndPenultimatePositionsAndTheLimitPerGame() throws {
        let game = "#11,a10k11b2 2\n"
        let all = try run(game)
        #expect(all.batch.labels[0] == [99, 120, 12] as [Int32])
        #expect(all.batch.labels[1] == [0, 1, 0])
        let last2 = try run(game, ["max_per_game": .scalar("2")])
        #expect(last2.batch.labels[0] == [120, 12] as [Int32], "the last positions are kept")
        let final = try run(game, ["positions": .scalar("final")])
        #expect(final.batch.labels[0] == [12])
        #expect(final.batch.labels[1] == [0])
        let penultimate = try run(game, ["positions": .scalar("penultimate")])
        #expect(penultimate.batch.labels[0] == [120])
        #expect(penultimate.batch.labels[1] == [1])
    }

    @Test func badGamesFailOneByOneWithTheirLineAndTheOthersAreKept() throws {
        let r = try run(
            "#5,a1b2 1\n#5,a1f1 1\n#5,a1b2a1 2\n#5,a1 draw\n#4,a1 1\nhello\n#5,a1b2 \n#5,c3 2\n#5, 1\n")
        #expect(r.batch.count == 3, "a1b2 (2 rows) and c3 (1 row)")
        #expect(r.failed.map(\.line) == [2, 3, 4, 5, 6])
        #expect(r.failed[0].reason.contains("move 2 'f1' is off the 5x5 board"))
        #expect(r.failed[1].reason.contains("move 3 'a1' is played on a cell already taken"))
        #expect(r.failed[2].reason.contains("winner 'draw' is not 1 (first player) or 2"))
        #expect(r.failed[3].reason.contains("board size 4 differs"))
        #expect(r.failed[4].reason.contains("board size 'hello' is not a number"))
        #expect(r.skipped == ["no winner token: no value target": 1, "no moves": 1])
    }

    @Test func aFileWhoseFirstGameHasAnotherSizeIsRefusedUnlessTheConfigNamesOne() throws {
        let extractor = try registry.extractor("hex")
        let schema = try extractor.schema(columns: ["size=13", "moves", "winner"])
        let refused = #expect(throws: (any Error).self) {
            _ = try extractor.bind(columns: ["size=11", "moves", "winner"], schema: schema, missing: MissingValues())
        }
        #expect("\(refused.map { "\($0)" } ?? "")".contains("Set `size: 13` (or 11) in the extractor options"))
        let sized = try registry.extractor("hex", ["size": .scalar("13")])
        let sizedSchema = try sized.schema(columns: ["size=11", "moves", "winner"])
        #expect(sizedSchema.labels[0].classes == 169)
        _ = try sized.bind(columns: ["size=11", "moves", "winner"], schema: sizedSchema, missing: MissingValues())
    }
}

extension String {
    fileprivate func leftPadded(_ width: Int) -> String { String(repeating: "0", count: max(0, width - count)) + self }
}
