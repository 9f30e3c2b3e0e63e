import Foundation
import QuernCore
import QuernTestSupport
import Testing

/// What decides a row's split and a strategy's order, end to end on `quern generate` data: the
/// split seed alone decides the splits, the merge seed only the order, rows without a group key
/// are split one by one, and `--memory-limit` changes no output.
@Suite("seeds, splits and the memory limit, end to end", .serialized)
struct MergeSeedAndSplitTests {
    static let config = ExtractEndToEndTests.config

    func quern(_ ws: TempWorkspace, _ args: [String], config: String = Self.config) throws -> QuernProcess.Result {
        try QuernProcess.run(args + ["--config", config, "-q"], cwd: ws.path)
    }

    func generate(_ ws: TempWorkspace, files: Int, rows: Int) throws {
        let r = try QuernProcess.run(["generate", "--files", "\(files)", "--rows", "\(rows)", "--out", "\(ws.path)/in"])
        #expect(r.status == 0, "\(r.stderr)")
    }

    /// Python that loads an output folder's splits as sorted rows (features and label), so two
    /// folders can be compared as sets of rows per split, whatever their order.
    static let rowSets = """
        import numpy as np, json, sys
        def rows(d, split):
            x = np.load(f'{d}/X_{split}.npy')
            y = np.load(f'{d}/labels_{split}.npz')['action']
            r = np.concatenate([x.view(np.uint32), y.astype(np.int32).view(np.uint32)[:, None]], axis=1)
            return np.ascontiguousarray(r)
        def rowset(d, split):
            r = rows(d, split)
            return sorted(map(bytes, r))
        def stats(d):
            return json.load(open(f'{d}/preprocessing_stats.json'))

        """

    @Test func reShufflingWithAnotherSeedKeepsEverySplitsRows() throws {
        let ws = TempWorkspace()
        try generate(ws, files: 60, rows: 20)
        #expect(try quern(ws, ["extract", "--input-dir", "in", "--files-per-batch", "7"]).status == 0)
        for (out, flags) in [("ref", ["--merge-strategy", "concat"]), ("s7", ["--merge-strategy", "shuffle", "--seed", "7"]),
                             ("s8", ["--merge-strategy", "shuffle", "--seed", "8"]), ("split7", ["--merge-strategy", "concat", "--split-seed", "7"])] {
            let r = try quern(ws, ["merge", "--normalize", "none", "--output-dir", out] + flags)
            #expect(r.status == 0, "\(out): \(r.stderr)")
        }
        let r = try QuernProcess.python(
            Self.rowSets + """
                for split in ['train', 'val', 'test']:
                    ref = rowset('ref', split)
                    assert len(ref) > 0, split
                    assert rowset('s7', split) == ref, f'--seed 7 moved rows of {split}'
                    assert rowset('s8', split) == ref, f'--seed 8 moved rows of {split}'
                assert (rows('s7', 'train') != rows('s8', 'train')).any(), 'another merge seed, another order'
                assert rowset('split7', 'train') != rowset('ref', 'train'), '--split-seed changes the split'
                s = stats('s7')
                assert s['split']['seed'] == 0 and s['merge']['seed'] == 7 and s['seed'] == 7, (s['split'], s['merge'], s['seed'])
                assert stats('split7')['split']['seed'] == 7
                print('ok')
                """, cwd: ws.path)
        #expect(r.status == 0 && r.stdout.contains("ok"), "\(r.stderr)")
    }
}
