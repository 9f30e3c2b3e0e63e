import Foundation
import QuernCore
import QuernKit
import QuernTestSupport
import Testing

/// `quern verify`, and `quern merge` on the same damage: corrupt, truncated, empty and foreign
/// files in the intermediate folder, damaged outputs. Each is named with what is wrong; none is
/// read as data; neither command crashes.
@Suite("quern verify and damaged files", .serialized)
struct VerifyTests {
    static let config = ExtractEndToEndTests.config

    /// A finished run of 20 games in 4 batches; returns the workspace.
    func finishedRun() throws -> TempWorkspace {
        let ws = TempWorkspace()
        #expect(
            try QuernProcess.run(["generate", "--files", "20", "--rows", "5", "--out", "\(ws.path)/in"]).status == 0)
        let r = try QuernProcess.run(
            ["run", "--config", Self.config, "--input-dir", "in", "--files-per-batch", "5", "-q"], cwd: ws.path)
        #expect(r.status == 0, "\(r.stderr)")
        return ws
    }

    func verify(_ ws: TempWorkspace, _ args: [String] = []) throws -> QuernProcess.Result {
        try QuernProcess.run(["verify", "--config", Self.config] + args, cwd: ws.path)
    }

    func outputs(_ ws: TempWorkspace) -> [String: Data] {
        Dictionary(
            uniqueKeysWithValues: ws.files(in: "data/processed").map {
                ($0, FileManager.default.contents(atPath: "\(ws.path)/data/processed/\($0)")!)
            })
    }

    @Test func aGoodRunVerifiesClean() throws {
        let ws = try finishedRun()
        let r = try verify(ws)
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        #expect(r.stdout.contains("4 batch files good (100 rows)"))
        #expect(r.stdout.contains("3 of 3 splits good (100 rows)"))
        #expect(r.stdout.contains("verify: no problems"))
    }

    @Test(
        "damage in the intermediate folder is named by verify and merge",
        arguments: [
            ("flip", "batch_000002.npz", "differs from the journal's"),
            ("truncate", "batch_000002.npz", "the journal recorded"),
            ("empty", "batch_000002.npz", "it is 0 bytes"),
            ("foreign", "batch_000099.npz", "foreign file named like a batch"),
            ("unjournaled", "batch_000001.001.npz", "no journal records this file"),
        ])
    func damageIsNamed(_ kind: String, _ file: String, _ phrase: String) throws {
        let ws = try finishedRun()
        let before = outputs(ws)
        let path = "\(ws.path)/data/intermediate/\(file)"
        switch kind {
        case "flip":
            var bytes = [UInt8](FileManager.default.contents(atPath: path)!)
            bytes[bytes.count / 2] ^= 0x01
            ws.write("data/intermediate/\(file)", bytes)
        case "truncate":
            let bytes = [UInt8](FileManager.default.contents(atPath: path)!)
            ws.write("data/intermediate/\(file)", Array(bytes.prefix(bytes.count - 100)))
        case "empty":
            ws.write("data/intermediate/\(file)", [])
        case "foreign":
            var rng = SplitMix64(seed: 9)
            ws.write("data/intermediate/\(file)", (0..<4096).map { _ in UInt8(truncatingIfNeeded: rng.next()) })
        default:  // a valid batch under a name no journal line lists
            try FileManager.default.copyItem(atPath: "\(ws.path)/data/intermediate/batch_000001.npz", toPath: path)
        }
        let v = try verify(ws)
        #expect(v.status == 2, "verify exits 2 on problems: \(v.stdout)\(v.stderr)")
        let line = v.stdout.split(separator: "\n").first { $0.hasPrefix("problem:") }.map(String.init) ?? ""
        #expect(line.contains(file) && line.contains(phrase), "\(v.stdout)")
        #expect(
            v.stdout.split(separator: "\n").filter { $0.hasPrefix("problem:") }.count == 1,
            "only the damaged file: \(v.stdout)")

        let m = try QuernProcess.run(["merge", "--config", Self.config, "-q"], cwd: ws.path)
        #expect(m.status == 1, "\(m.stderr)")
        #expect(m.stderr.contains(file), "\(m.stderr)")
        #expect(!m.stderr.contains("Fatal error") && !m.stderr.contains("Stack dump"))
        #expect(outputs(ws) == before, "the earlier outputs stay as they were")
        #expect(
            try verify(ws, ["--output-dir", "data/processed"]).status == 0, "the outputs themselves are still good")
    }

    @Test(
        "damage in the outputs is named by verify",
        arguments: [
            ("X_val.npy", "import numpy as np; X = np.load(p); X[1, 2] = np.nan; np.save(p, X)", "NaN"),
            ("X_test.npy", "open(p, 'r+b').truncate(500)", "cut short"),
            ("X_train.npy", "open(p, 'wb').write(b'not numpy at all')", "not a valid .npy"),
            (
                "labels_train.npz",
                "import numpy as np; a = dict(np.load(p)); a['action'][0] = 999; np.savez(p[:-4], **a)",
                "outside 0..<84"
            ),
            (
                "labels_val.npz",
                "import numpy as np; a = dict(np.load(p)); a['action'] = a['action'][1:]; np.savez(p[:-4], **a)",
                "to match X_val.npy"
            ),
            ("masks_train.npz", "b = bytearray(open(p, 'rb').read()); b[300] ^= 1; open(p, 'wb').write(b)", "CRC-32"),
            (
                "preprocessing_stats.json",
                "import json; s = json.load(open(p)); s['splits']['train'] += 1; json.dump(s, open(p, 'w'))",
                "preprocessing_stats.json says"
            ),
        ])
    func outputDamageIsNamed(_ file: String, _ script: String, _ phrase: String) throws {
        let ws = try finishedRun()
        let p = try QuernProcess.python("p = 'data/processed/\(file)'\n\(script)", cwd: ws.path)
        #expect(p.status == 0, "\(p.stderr)")
        let v = try verify(ws, ["--output-dir", "data/processed"])
        #expect(v.status == 2, "\(v.stdout)\(v.stderr)")
        let problems = v.stdout.split(separator: "\n").filter { $0.hasPrefix("problem:") }
        #expect(problems.contains { $0.contains(phrase) }, "\(v.stdout)")
        #expect(problems.allSatisfy { $0.contains(file) || $0.contains("preprocessing_stats.json") }, "\(v.stdout)")
    }

    @Test func missingFoldersAndAnIncompleteExtractAreProblems() throws {
        let ws = TempWorkspace()
        var r = try verify(ws)
        #expect(r.status == 2 && r.stdout.contains("neither it nor"), "\(r.stdout)")
        r = try verify(ws, ["--intermediate-dir", "nowhere"])
        #expect(r.status == 2 && r.stdout.contains("nowhere: no intermediate folder"), "\(r.stdout)")
        let done = try finishedRun()
        try FileManager.default.removeItem(atPath: "\(done.path)/data/intermediate/journal.jsonl")
        r = try verify(done, ["--intermediate-dir", "data/intermediate"])
        #expect(r.status == 2)
        #expect(r.stdout.contains("batch 3 is planned but not complete: run `quern extract`"), "\(r.stdout)")
    }
}
