import Foundation
import QuernCore
import QuernTestSupport
import Testing

/// The outputs carry the CRC-32 of every file, recorded when they are published
/// (`checksums.json`), and `quern verify` checks them: a change that leaves every shape and count
/// plausible (one flipped bit in X's data, an edited mean) is still found.
@Suite("output checksums", .serialized)
struct OutputChecksumTests {
    static let config = ExtractEndToEndTests.config

    func finishedRun() throws -> TempWorkspace {
        let ws = TempWorkspace("quern-checksums")
        #expect(
            try QuernProcess.run(["generate", "--files", "8", "--rows", "10", "--out", "\(ws.path)/in"]).status == 0)
        let r = try QuernProcess.run(["run", "--config", Self.config, "--input-dir", "in", "-q"], cwd: ws.path)
        #expect(r.status == 0, "\(r.stderr)")
        return ws
    }

    func verify(_ ws: TempWorkspace) throws -> QuernProcess.Result {
        try QuernProcess.run(["verify", "--config", Self.config, "--output-dir", "data/processed"], cwd: ws.path)
    }

    @Test func checksumsOfEveryOutputAreRecordedAtPublish() throws {
        let ws = try finishedRun()
        #expect(ws.files(in: "data/processed").contains("checksums.json"))
        // An independent recomputation: Python's zlib.crc32 over each file named in the manifest,
        // and every output file is named.
        let py = try QuernProcess.python(
            """
            import json, os, zlib
            d = 'data/processed'
            m = json.load(open(os.path.join(d, 'checksums.json')))
            assert m['algorithm'] == 'crc32', m
            files = m['files']
            for name, rec in files.items():
                data = open(os.path.join(d, name), 'rb').read()
                assert rec['bytes'] == len(data), (name, rec, len(data))
                assert rec['crc32'] == '%08x' % zlib.crc32(data), (name, rec)
            want = {f for f in os.listdir(d) if f != 'checksums.json' and not f.startswith('.')}
            assert set(files) == want, (sorted(files), sorted(want))
            print(len(files))
            """, cwd: ws.path)
        #expect(py.status == 0, "\(py.stderr)")
        #expect(
            py.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "12",
            "3 X, 3 labels, 3 masks, the stats, the saved config and transform")
        let v = try verify(ws)
        #expect(v.status == 0, "\(v.stdout)")
        #expect(v.stdout.contains("checksums of 12 of 12 files match"), "\(v.stdout)")
    }

    @Test(
        "a change verify's other checks cannot see is found by the checksums",
        arguments: [
            // One bit of one float of X_train's data: still finite, same shape.
            ("X_train.npy", "b = bytearray(open(p, 'rb').read()); b[128 + 4 * 7] ^= 1; open(p, 'wb').write(b)"),
            // A mean edited by hand: still valid JSON that agrees with every count.
            (
                "preprocessing_stats.json",
                "import json; s = json.load(open(p)); s['normalization']['features']['f00']['mean'] += 0.5; json.dump(s, open(p, 'w'))"
            ),
        ])
    func aFlippedByteOrAnEditedMeanIsFoundByVerify(_ file: String, _ script: String) throws {
        let ws = try finishedRun()
        #expect(try verify(ws).status == 0)
        let p = try QuernProcess.python("p = 'data/processed/\(file)'\n\(script)", cwd: ws.path)
        #expect(p.status == 0, "\(p.stderr)")
        let v = try verify(ws)
        #expect(v.status == 2, "\(v.stdout)\(v.stderr)")
        let problems = v.stdout.split(separator: "\n").filter { $0.hasPrefix("problem:") }
        #expect(problems.count == 1, "\(v.stdout)")
        #expect(problems.first?.contains(file) == true && problems.first?.contains("CRC-32") == true, "\(v.stdout)")
    }

    @Test func aMissingChecksumsFileIsAProblemOfOutputsThatRecordedOne() throws {
        let ws = try finishedRun()
        try FileManager.default.removeItem(atPath: "\(ws.path)/data/processed/checksums.json")
        let v = try verify(ws)
        #expect(v.status == 2, "\(v.stdout)")
        #expect(v.stdout.contains("checksums.json") && v.stdout.contains("missing"), "\(v.stdout)")
    }
}
