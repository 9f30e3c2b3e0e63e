import Foundation
import QuernCore
import QuernTestSupport
import Testing

/// Hex game records through the real `quern`, with docs/examples/hex.yaml, checked against an
/// independent Python encoding (Tests/Fixtures/hex/hex_reference.py) on generated games.
@Suite("Hex games, end to end", .serialized)
struct HexEndToEndTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path
    static let config = "\(root)/docs/examples/hex.yaml"
    static let reference = "\(root)/Tests/Fixtures/hex/hex_reference.py"

    /// Runs the reference script (`generate` or `check`) in the workspace.
    func reference(_ ws: TempWorkspace, _ arguments: [String]) throws -> QuernProcess.Result {
        let run = "import runpy, sys; sys.argv = sys.argv[1:]; runpy.run_path(sys.argv[0], run_name='__main__')"
        return try QuernProcess.python(run, cwd: ws.path, arguments: [Self.reference] + arguments)
    }

    func extract(_ ws: TempWorkspace, _ extra: [String], out: String, config: String = Self.config) throws
        -> QuernProcess.Result
    {
        try QuernProcess.run(
            [
                "extract", "--config", config, "--input-dir", "\(ws.path)/games", "--intermediate-dir",
                "\(ws.path)/\(out)", "-q", "--codec", "zlib",
            ] + extra)
    }

    func batches(_ dir: String) -> [String: Data] {
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).filter {
            BatchName(fileName: $0) != nil
        }
        return Dictionary(
            uniqueKeysWithValues: names.map { ($0, FileManager.default.contents(atPath: "\(dir)/\($0)")!) })
    }

    @Test func positionsPlanesPolicyAndValueEqualThePythonEncodingWhateverTheWorkers() throws {
        let ws = TempWorkspace()
        let gen = try reference(ws, ["generate", "games", "--files", "7", "--games", "25", "--seed", "3"])
        #expect(gen.status == 0, "\(gen.stderr)")
        let one = try extract(ws, ["--workers", "1", "--files-per-batch", "2"], out: "one")
        #expect(one.status == 0, "\(one.stderr)")
        let many = try extract(ws, ["--files-per-batch", "2"], out: "many")
        #expect(many.status == 0, "\(many.stderr)")
        let three = try extract(ws, ["--workers", "3", "--files-per-batch", "2"], out: "three")
        #expect(three.status == 0, "\(three.stderr)")
        let sequential = batches("\(ws.path)/one")
        #expect(sequential.count == 4)
        #expect(batches("\(ws.path)/many") == sequential, "the default workers give byte-identical batches")
        #expect(batches("\(ws.path)/three") == sequential, "3 workers give byte-identical batches")
        let check = try reference(ws, ["check", "games", "one"])
        #expect(check.status == 0, "\(check.stderr)")
        #expect(check.stdout.hasPrefix("rows=") && check.stdout.contains("failed=0"), "\(check.stdout)")
    }

    @Test func badGamesAreListedInFailedJSONLLineByLineAndTheGoodGamesAreKept() throws {
        let ws = TempWorkspace()
        let gen = try reference(
            ws, ["generate", "games", "--files", "3", "--games", "10", "--bad", "2", "--seed", "5"])
        #expect(gen.status == 0, "\(gen.stderr)")
        let r = try extract(ws, [], out: "mid")
        #expect(r.status == 3, "some input failed: exit 3\n\(r.stderr)")
        let check = try reference(ws, ["check", "games", "mid"])
        #expect(check.status == 0, "\(check.stderr)")
        #expect(check.stdout.contains("failed=8"), "4 bad games in each of 2 files: \(check.stdout)")
        let failed = ws.text("mid/failed.jsonl")
        #expect(failed.contains(#""file":"games_000.trmph","line":2,"reason":"move 2 'n2' is off the 13x13 board""#))
        #expect(failed.contains("move 3 'a1' is played on a cell already taken"))
        #expect(failed.contains("winner 'draw' is not 1 (first player) or 2 (second player)"))
        #expect(failed.contains("board size 'this' is not a number 1...19"))
        // A resume keeps the list: the batches are journaled, failed.jsonl is rewritten from them.
        let again = try extract(ws, [], out: "mid")
        #expect(again.status == 3, "\(again.stderr)")
        #expect(ws.text("mid/failed.jsonl") == failed)
    }

    @Test func aRunOfMixedBoardSizesIsRefusedUnlessTheConfigNamesOne() throws {
        let ws = TempWorkspace()
        let gen = try reference(ws, ["generate", "games", "--files", "6", "--games", "8", "--mixed", "--seed", "2"])
        #expect(gen.status == 0, "\(gen.stderr)")
        let refused = try extract(ws, ["--workers", "1"], out: "mixed")
        #expect(refused.status == 1, "the run stops: only a config change can fix it\n\(refused.stderr)")
        #expect(refused.stderr.contains("the extractor does not fit the columns of games_00"))
        #expect(refused.stderr.contains("a run takes one board size. Set `size: 13` (or 11) in the extractor options"))
        let yaml = try String(contentsOfFile: Self.config, encoding: .utf8)
            .replacingOccurrences(of: "positions: all ", with: "positions: final ")
            .replacingOccurrences(of: "# size: 13 ", with: "size: 13   ")
        let sized = ws.write("sized.yaml", yaml)
        let r = try extract(ws, [], out: "sized", config: sized)
        #expect(r.status == 3, "the 11x11 games fail one by one\n\(r.stderr)")
        let check = try reference(ws, ["check", "games", "sized", "--positions", "final", "--size", "13"])
        #expect(check.status == 0, "\(check.stderr)")
        #expect(ws.text("sized/failed.jsonl").contains("board size 11 differs: the run's extractor takes `size: 13`"))
    }

    @Test func theExampleConfigRunsEndToEnd() throws {
        let ws = TempWorkspace()
        let gen = try reference(ws, ["generate", "data/games", "--files", "4", "--games", "12", "--seed", "9"])
        #expect(gen.status == 0, "\(gen.stderr)")
        let r = try QuernProcess.run(["run", "--config", Self.config, "--no-hooks", "-q"], cwd: ws.path)
        #expect(r.status == 0, "\(r.stderr)")
        let check = try QuernProcess.python(
            """
            import numpy as np
            n = 0
            for split in ['train', 'val', 'test']:
                X = np.load(f'data/processed/X_{split}.npy')
                L = np.load(f'data/processed/labels_{split}.npz')
                assert X.dtype == np.float32 and X.shape[1] == 3 * 13 * 13, X.shape
                assert set(np.unique(X)) <= {0.0, 1.0}
                assert ((0 <= L['policy']) & (L['policy'] < 169)).all() and set(np.unique(L['value'])) <= {0, 1}
                n += len(X)
            print(n)
            """, cwd: ws.path)
        #expect(check.status == 0, "\(check.stderr)")
        let rows = Int(check.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
        #expect(rows > 0)
    }
}
