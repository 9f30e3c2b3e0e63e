import Foundation
import QuernCore
import QuernPlugins
import QuernTestSupport
import Testing

/// `quern inspect` and `quern export` on files the real `quern` wrote: what inspect shows of a
/// batch file, an intermediate folder and an output folder; damage reported with exit 2; export
/// rewriting zstd batches as zlib that numpy reads, equal to the source, never touching it.
@Suite("quern inspect and export", .serialized)
struct InspectExportTests {
    static let config = ExtractEndToEndTests.config

    /// Six games of 20 rows, two files a batch and 30 rows a part (so batches have two parts),
    /// extracted with `codec` into `mid`, and run into `out` when `run`.
    func workspace(codec: String = "zstd", run: Bool = false) throws -> TempWorkspace {
        let ws = TempWorkspace()
        #expect(
            try QuernProcess.run(["generate", "--files", "6", "--rows", "20", "--out", "in"], cwd: ws.path).status == 0)
        let flags = [
            "--config", Self.config, "--input-dir", "in", "--intermediate-dir", "mid", "--codec", codec,
            "--files-per-batch", "2", "--rows-per-batch", "30",
            "-q",
        ]
        let r = try QuernProcess.run((run ? ["run", "--output-dir", "out"] : ["extract"]) + flags, cwd: ws.path)
        #expect(r.status == 0, "\(r.stderr)")
        return ws
    }

    func json(_ r: QuernProcess.Result) throws -> [String: Any] {
        try #require(
            JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any], "\(r.stdout)\(r.stderr)")
    }

    @Test func inspectABatchFileShowsItsArraysCodecRowsAndFirstRows() throws {
        let ws = try workspace(codec: "lz4")
        let r = try QuernProcess.run(["inspect", "mid/batch_000000.npz", "--head", "2", "--json"], cwd: ws.path)
        #expect(r.status == 0, "\(r.stderr)")
        let j = try json(r)
        #expect(j["kind"] as? String == "batch" && j["rows"] as? Int == 30)
        #expect(j["codecs"] as? [String] == ["lz4:-3"])
        #expect((j["checksums"] as? [String: Any])?["status"] as? String == "ok")
        #expect((j["fingerprint"] as? String)?.count == 16)
        let arrays = try #require(j["arrays"] as? [[String: Any]])
        let x = try #require(arrays.first { $0["name"] as? String == "X" })
        #expect(x["dtype"] as? String == "<f4" && x["shape"] as? [Int] == [30, 62])
        #expect(
            arrays.contains {
                $0["name"] as? String == "mask_legal" && $0["shape"] as? [Int] == [30, 84]
                    && $0["dtype"] as? String == "|i1"
            })
        let head = try #require(j["head"] as? [[String: Any]])
        #expect(head.count == 2)
        #expect(head[0]["source"] as? String == "game_000000.csv" && head[0]["line"] as? Int == 2)
        #expect((head[0]["features"] as? [Double])?.count == 62)
        let action = try #require((head[0]["labels"] as? [String: Int])?["action"])
        #expect((head[0]["masks"] as? [String: [Int]])?["legal"]?[action] == 1)
    }

    /// numpy's `np.load` of an lz4 or zstd batch shows `maskbits_legal`, not `mask_legal`:
    /// inspect says so, and says nothing of it where the mask is stored a byte a value (zlib).
    @Test func inspectABatchFileSaysWhichMasksItStoresPacked() throws {
        for (codec, packed) in [("lz4", true), ("zlib", false)] {
            let ws = try workspace(codec: codec)
            let r = try QuernProcess.run(["inspect", "mid/batch_000000.npz", "--json"], cwd: ws.path)
            #expect(r.status == 0, "\(r.stderr)")
            let arrays = try #require(try json(r)["arrays"] as? [[String: Any]])
            let mask = try #require(arrays.first { $0["name"] as? String == "mask_legal" })
            #expect(mask["stored"] as? String == (packed ? "maskbits_legal |u1 [30, 11]" : nil), "\(codec)")
            #expect(!arrays.contains { $0["name"] as? String != "mask_legal" && $0["stored"] != nil })
            let table = try QuernProcess.run(["inspect", "mid/batch_000000.npz"], cwd: ws.path)
            #expect(table.stdout.contains("stored as") == packed, "\(codec): \(table.stdout)")
            #expect(table.stdout.contains("maskbits_legal |u1 [30, 11]") == packed)
        }
    }

    @Test func inspectAnIntermediateFolderListsEveryBatchFileInJournalOrder() throws {
        let ws = try workspace()
        let r = try QuernProcess.run(["inspect", "mid"], cwd: ws.path)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("intermediate folder  mid"))
        #expect(r.stdout.contains("files                6 batch files, from 6 input files"))
        #expect(r.stdout.contains("codec                zstd:1"))
        #expect(r.stdout.contains("checksums            ok"))
        #expect(r.stdout.contains("X             <f4    [120, 62]"))
        let files = r.stdout.split(separator: "\n").filter { $0.contains("batch_0") }.map {
            $0.split(separator: " ")[0]
        }
        #expect(
            files == [
                "batch_000000.npz", "batch_000000.001.npz", "batch_000001.npz", "batch_000001.001.npz",
                "batch_000002.npz", "batch_000002.001.npz",
            ])
    }

    @Test func inspectReportsADamagedBatchWithExit2AndTheFile() throws {
        let ws = try workspace()
        let path = "\(ws.path)/mid/batch_000001.npz"
        var bytes = [UInt8](try #require(FileManager.default.contents(atPath: path)))
        bytes[bytes.count / 2] ^= 0x10
        ws.write("mid/batch_000001.npz", bytes)
        for target in ["mid", "mid/batch_000001.npz"] {
            let r = try QuernProcess.run(["inspect", target], cwd: ws.path)
            #expect(r.status == 2, "\(target): \(r.stdout)\(r.stderr)")
            #expect(r.stdout.contains("checksums") && r.stdout.contains("damaged"), "\(r.stdout)")
            #expect(r.stdout.contains("problem: mid/batch_000001.npz:"), "\(r.stdout)")
        }
    }

    @Test func inspectAnOutputFolderShowsEachSplitAndItsFiles() throws {
        let ws = try workspace(run: true)
        let r = try QuernProcess.run(["inspect", "out", "--json", "--head", "1"], cwd: ws.path)
        #expect(r.status == 0, "\(r.stderr)")
        let j = try json(r)
        let statsData = try #require(FileManager.default.contents(atPath: "\(ws.path)/out/preprocessing_stats.json"))
        let stats = try #require(JSONSerialization.jsonObject(with: statsData) as? [String: Any])
        #expect(j["kind"] as? String == "output")
        #expect(j["splits"] as? [String: Int] == stats["splits"] as? [String: Int])
        #expect(j["fingerprint"] as? String == stats["schema_fingerprint"] as? String)
        #expect((j["checksums"] as? [String: Any])?["status"] as? String == "ok")
        let arrays = try #require(j["arrays"] as? [[String: Any]])
        #expect(
            arrays.contains {
                $0["name"] as? String == "action" && $0["file"] as? String == "labels_train.npz"
                    && $0["dtype"] as? String == "<i4"
            })
        #expect(arrays.contains { $0["name"] as? String == "legal" && $0["file"] as? String == "masks_val.npz" })
        let head = try #require(j["head"] as? [[String: Any]])
        #expect(head.first?["split"] as? String == "train" && head.first?["source"] == nil)
    }

    @Test func inspectRefusesWhatQuernDidNotWrite() throws {
        let ws = try workspace()
        let missing = try QuernProcess.run(["inspect", "nothing-here"], cwd: ws.path)
        #expect(
            missing.status == 1 && missing.stderr.contains("nothing-here: no such file or folder"), "\(missing.stderr)")
        let inputs = try QuernProcess.run(["inspect", "in"], cwd: ws.path)
        #expect(inputs.status == 1 && inputs.stderr.contains("in: not something quern wrote"), "\(inputs.stderr)")
        let head = try QuernProcess.run(["inspect", "mid", "--head", "-1"], cwd: ws.path)
        #expect(head.status == 64, "\(head.stderr)")
    }

    @Test func exportRewritesZstdBatchesAsZlibThatNumpyReadsEqualToTheSource() throws {
        let ws = try workspace(codec: "zstd", run: true)
        let before = try snapshot("\(ws.path)/mid")
        let r = try QuernProcess.run(["export", "mid", "--to", "exp"], cwd: ws.path)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("exported 6 batch files (120 rows) with codec zlib:1 to exp"))
        #expect(try snapshot("\(ws.path)/mid") == before, "export changed its source")
        for name in before.keys where name.hasPrefix("batch_") {
            let source = try BatchFile.load(path: "\(ws.path)/mid/\(name)") {
                try PluginRegistry.builtIn.codec(zipMethod: $0)
            }
            let exported = try BatchFile.load(path: "\(ws.path)/exp/\(name)") {
                try PluginRegistry.builtIn.codec(zipMethod: $0)
            }
            // zstd stores the mask packed (format version 2); zlib a byte a value, as numpy reads
            // it (version 1): the members, and so the checksums, differ, the rows do not.
            #expect(exported.meta.codec == "zlib:1" && exported.meta.version == 1 && source.meta.version == 2)
            #expect(
                exported.batch.features == source.batch.features && exported.batch.labels == source.batch.labels
                    && exported.batch.masks == source.batch.masks)
            #expect(
                exported.batch.sources == source.batch.sources && exported.batch.sourceRow == source.batch.sourceRow)
        }
        let py = try QuernProcess.python(
            """
            import glob, numpy as np
            files = sorted(glob.glob('exp/batch_*.npz'))
            print(len(files), sum(np.load(f)['X'].shape[0] for f in files), np.load(files[0])['mask_legal'].dtype)
            """, cwd: ws.path)
        #expect(py.stdout == "6 120 int8\n", "\(py.stderr)")
        // The export is an intermediate folder of its own: merging it gives the same outputs.
        let merge = try QuernProcess.run(
            ["merge", "--config", Self.config, "--intermediate-dir", "exp", "--output-dir", "out2", "-q"], cwd: ws.path)
        #expect(merge.status == 0, "\(merge.stderr)")
        #expect(
            FileManager.default.contents(atPath: "\(ws.path)/out2/X_train.npy")
                == FileManager.default.contents(atPath: "\(ws.path)/out/X_train.npy"))
    }

    @Test func exportRefusesAFolderInUseTheSourceAndCodecsNumpyCannotRead() throws {
        let ws = try workspace()
        ws.write("busy/notes.txt", "mine\n")
        let busy = try QuernProcess.run(["export", "mid", "--to", "busy"], cwd: ws.path)
        #expect(
            busy.status == 64
                && busy.stderr.contains("busy: the folder exists, is not empty and is not an earlier export"),
            "\(busy.stderr)")
        #expect(ws.text("busy/notes.txt") == "mine\n")
        let inside = try QuernProcess.run(["export", "mid", "--to", "mid/copy"], cwd: ws.path)
        #expect(
            inside.status == 64 && inside.stderr.contains("export never writes into its source"), "\(inside.stderr)")
        #expect(!FileManager.default.fileExists(atPath: "\(ws.path)/mid/copy"))
        let zstd = try QuernProcess.run(["export", "mid", "--to", "exp", "--codec", "zstd"], cwd: ws.path)
        #expect(
            zstd.status == 64 && zstd.stderr.contains("zlib (with an optional level, zlib:6) or none"), "\(zstd.stderr)"
        )
        // An earlier export is replaced, down to the batch files the new one does not write.
        #expect(try QuernProcess.run(["export", "mid", "--to", "exp"], cwd: ws.path).status == 0)
        let one = try QuernProcess.run(
            ["export", "mid/batch_000002.npz", "--to", "exp", "--codec", "none"], cwd: ws.path)
        #expect(one.status == 0, "\(one.stderr)")
        #expect(ws.files(in: "exp") == ["batch_000002.npz", "export.json"])
    }

    @Test func exportEscapesAFolderNameForTheTerminal() throws {
        let ws = try workspace()
        let r = try QuernProcess.run(["export", "mid/batch_000000.npz", "--to", "e\u{1B}[31mx"], cwd: ws.path)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("to e\\u001b[31mx") && !r.stdout.contains("\u{1B}"), "\(r.stdout)")
    }

    /// Every file of a folder with its bytes.
    func snapshot(_ dir: String) throws -> [String: Data] {
        var out: [String: Data] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: dir) {
            out[name] = FileManager.default.contents(atPath: "\(dir)/\(name)")
        }
        return out
    }
}
