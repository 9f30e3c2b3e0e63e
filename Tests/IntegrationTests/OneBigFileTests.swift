import Foundation
import QuernCore
import QuernTestSupport
import Testing

/// One big CSV file read in byte ranges by every worker (`batch.range_bytes`), in parts bounded by
/// bytes (`batch.part_bytes`), by real quern processes: the batches are byte-identical for any
/// worker count, every row keeps its true line, a bad record fails the whole file, and a run killed
/// in the middle of the file resumes to the same batches.
@Suite("one big file, read in ranges", .serialized)
struct OneBigFileTests {
    /// `rows` records of `id,v,note,cls,grp`; every seventh note is quoted and holds a line feed,
    /// a comma and a doubled quote, so records and lines differ. Returns the text and the line each
    /// record starts on.
    static func bigCSV(rows: Int, badAt: Int? = nil) -> (text: String, lines: [Int]) {
        var text = "id,v,note,cls,grp\n"
        var line = 2
        var lines: [Int] = []
        for i in 0..<rows {
            lines.append(line)
            let note = i % 7 == 0 ? "\"two\nlines, \"\"quoted\"\"\"" : "plain \(i % 13)"
            if i == badAt {
                text += "\(i),\(Double(i) / 4),\(note),\(i % 3)\n"  // one field short
            } else {
                text += "\(i),\(Double(i) / 4),\(note),\(i % 3),g\(i / 10)\n"
            }
            line += i % 7 == 0 ? 2 : 1
        }
        return (text, lines)
    }

    static let config = """
        paths: {input: in, output: out, logs: logs}
        batch: {codec: none, part_bytes: 16KiB, range_bytes: 8KiB}
        extractor:
          name: tabular
          numeric: [id, v]
          labels: {cls: {column: cls, classes: 3}}
          group: grp
        split: {by: row}
        """

    func extract(_ ws: TempWorkspace, _ extra: [String], mid: String, env: [String: String] = [:]) throws
        -> QuernProcess.Result
    {
        try QuernProcess.run(
            ["extract", "--config", "q.yaml", "--intermediate-dir", mid, "-q"] + extra, cwd: ws.path, env: env)
    }

    /// The bytes of every batch file in `dir`, by name.
    func batches(_ dir: String) -> [String: Data] {
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).filter {
            BatchName(fileName: $0) != nil
        }
        return Dictionary(
            uniqueKeysWithValues: names.map { ($0, FileManager.default.contents(atPath: "\(dir)/\($0)")!) })
    }

    /// Rows of every part in order: `id` and the line each batch says it came from, checked with numpy.
    func rowsAndLines(_ ws: TempWorkspace, _ mid: String) throws -> String {
        let r = try QuernProcess.python(
            """
            import glob, numpy as np, os, sys
            def number(p):  # batch_000000.npz is part 0, batch_000000.001.npz part 1
                core = os.path.basename(p)[len('batch_'):-len('.npz')].split('.')
                return (int(core[0]), int(core[1]) if len(core) == 2 else 0)
            parts = sorted(glob.glob(sys.argv[1] + '/batch_*.npz'), key=number)
            for p in parts:
                b = np.load(p)
                for i in range(len(b['X'])):
                    print(int(b['X'][i, 0]), b['sources'][b['source_index'][i]].decode(), int(b['source_row'][i]))
            """, cwd: ws.path, arguments: [mid])
        #expect(r.status == 0, "\(r.stderr)")
        return r.stdout
    }

    @Test func theBatchesAreTheSameForAnyWorkerCountAndEveryRowKeepsItsLine() throws {
        let ws = TempWorkspace("quern-onefile")
        let rows = 6000
        let (text, lines) = Self.bigCSV(rows: rows)
        ws.write("in/big.csv", text)
        ws.write("in/small.csv", "id,v,note,cls,grp\n100000,1.5,s,1,s\n")
        ws.write("q.yaml", Self.config)
        for w in [1, 2, 3] {
            let r = try extract(ws, ["--workers", "\(w)"], mid: "mid\(w)")
            #expect(r.status == 0, "\(r.stderr)")
        }
        let byDefault = try extract(ws, [], mid: "mid0")  // one worker per core
        #expect(byDefault.status == 0, "\(byDefault.stderr)")
        let one = batches("\(ws.path)/mid1")
        #expect(one.count > 8, "the file is cut into parts: \(one.keys.sorted())")
        #expect(batches("\(ws.path)/mid0") == one)
        #expect(batches("\(ws.path)/mid2") == one)
        #expect(batches("\(ws.path)/mid3") == one)
        // Parts are bounded by bytes: 16 KiB of rows of 2 features, a label and 16 bytes.
        let journal = try #require(
            try JSONLines.read("\(ws.path)/mid2/journal.jsonl").compactMap {
                try? JSONDecoder().decode(JournalEntry.self, from: $0)
            }.first)
        #expect(journal.parts.allSatisfy { $0.rows <= 16384 / 28 }, "\(journal.parts.map(\.rows))")
        let big = try #require(journal.files.first { $0.name == "big.csv" })
        #expect(big.rows == rows && big.error == nil)
        #expect(big.crc32 == String(format: "%08x", CRC32.of(Array(text.utf8))))

        let expected =
            (0..<rows).map { "\($0) big.csv \(lines[$0])" }.joined(separator: "\n") + "\n100000 small.csv 2\n"
        #expect(try rowsAndLines(ws, "mid2") == expected)
        // Export rewrites every part, and inspect counts them all.
        let exported = try QuernProcess.run(["export", "mid2", "--to", "exp", "--codec", "zlib"], cwd: ws.path)
        #expect(exported.status == 0, "\(exported.stderr)")
        #expect(try rowsAndLines(ws, "exp") == expected)
        let inspected = try QuernProcess.run(["inspect", "mid2"], cwd: ws.path)
        #expect(inspected.stdout.contains("\(one.count) batch files, from 2 input files"), "\(inspected.stdout)")
        #expect(inspected.stdout.contains("6,001"), "\(inspected.stdout)")

        // The same outputs as the file read whole by one worker, and verify agrees.
        ws.write("whole.yaml", Self.config.replacingOccurrences(of: "range_bytes: 8KiB", with: "range_bytes: 1GiB"))
        let whole = try QuernProcess.run(
            ["run", "--config", "whole.yaml", "--intermediate-dir", "wmid", "--output-dir", "wout", "-q"],
            cwd: ws.path)
        #expect(whole.status == 0, "\(whole.stderr)")
        let merged = try QuernProcess.run(
            ["merge", "--config", "q.yaml", "--intermediate-dir", "mid2", "--output-dir", "out2", "-q"], cwd: ws.path)
        #expect(merged.status == 0, "\(merged.stderr)")
        for f in ["X_train.npy", "X_val.npy", "X_test.npy", "labels_train.npz", "labels_test.npz"] {
            #expect(
                FileManager.default.contents(atPath: "\(ws.path)/out2/\(f)")
                    == FileManager.default.contents(atPath: "\(ws.path)/wout/\(f)"), "\(f)")
        }
        let v = try QuernProcess.run(
            ["verify", "--intermediate-dir", "mid2", "--output-dir", "out2"], cwd: ws.path)
        #expect(v.status == 0, "\(v.stdout)\(v.stderr)")
    }

    @Test func aBadRecordInTheThirdRangeFailsTheWholeFileAtItsTrueLine() throws {
        let ws = TempWorkspace("quern-onefile-bad")
        let (text, lines) = Self.bigCSV(rows: 3000, badAt: 700)
        ws.write("in/big.csv", text)
        ws.write("in/ok.csv", "id,v,note,cls,grp\n7,1.5,s,1,s\n8,2.5,t,2,s\n")
        ws.write("q.yaml", Self.config)
        // Record 700 starts in the third range of 8 KiB.
        #expect((16384..<24576).contains(Self.bigCSV(rows: 700).text.utf8.count))
        let r = try extract(ws, ["--workers", "2"], mid: "mid")
        #expect(r.status == 3, "\(r.stderr)")
        let failed = ws.text("mid/failed.jsonl")
        #expect(failed.contains("\"file\":\"big.csv\""), "\(failed)")
        #expect(failed.contains("\"line\":\(lines[700])"), "\(failed)")
        #expect(failed.contains("4 fields, but the header has 5"), "\(failed)")
        // None of its rows are in the batch, and none of its parts are left anywhere.
        #expect(try rowsAndLines(ws, "mid") == "7 ok.csv 2\n8 ok.csv 3\n")
        #expect(ws.files(in: "mid").filter { $0.hasPrefix(".quern-tmp") }.isEmpty, "\(ws.files(in: "mid"))")
        #expect(batches("\(ws.path)/mid").count == 1)
        let v = try QuernProcess.run(["verify", "--intermediate-dir", "mid"], cwd: ws.path)
        #expect(v.status == 0, "\(v.stdout)\(v.stderr)")
    }

    @Test(arguments: ["range-read#3", "part-written#5", "batch-written", "batch-published"])
    func aRunKilledInTheMiddleOfTheFileResumesToTheSameBatches(point: String) throws {
        let ws = TempWorkspace("quern-onefile-crash")
        ws.write("in/big.csv", Self.bigCSV(rows: 5000).text)
        ws.write("q.yaml", Self.config)
        let reference = try extract(ws, ["--workers", "2"], mid: "ref")
        #expect(reference.status == 0, "\(reference.stderr)")
        let killed = try extract(ws, ["--workers", "2"], mid: "mid", env: ["QUERN_CRASH_AT": point])
        #expect(killed.signal == SIGKILL, "\(point): \(killed.status) \(killed.stderr)")
        let resumed = try extract(ws, ["--workers", "2"], mid: "mid")
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(batches("\(ws.path)/mid") == batches("\(ws.path)/ref"), "\(point)")
        #expect(ws.files(in: "mid").filter { $0.hasPrefix(".quern-tmp") }.isEmpty)
        let ids = try rowsAndLines(ws, "mid").split(separator: "\n").map { Int($0.split(separator: " ")[0])! }
        #expect(ids == Array(0..<5000), "every row once, in order")
        let v = try QuernProcess.run(["verify", "--intermediate-dir", "mid"], cwd: ws.path)
        #expect(v.status == 0, "\(v.stdout)\(v.stderr)")
    }

    @Test func aConfiguredDelimiterIsTheOneTheRangesAreCutBy() throws {
        let ws = TempWorkspace("quern-onefile-semicolon")
        let (text, lines) = Self.bigCSV(rows: 3000)
        // Semicolons between fields; the commas of the notes are text.
        ws.write(
            "in/big.csv",
            text.replacingOccurrences(of: ",", with: ";").replacingOccurrences(of: "lines; ", with: "lines, "))
        ws.write("q.yaml", Self.config + "\ninput: {format: {name: csv, delimiter: \";\"}}\n")
        for w in [1, 2] {
            let r = try extract(ws, ["--workers", "\(w)"], mid: "mid\(w)")
            #expect(r.status == 0, "\(r.stderr)")
        }
        #expect(batches("\(ws.path)/mid1").count > 4)
        #expect(batches("\(ws.path)/mid1") == batches("\(ws.path)/mid2"))
        let expected = (0..<3000).map { "\($0) big.csv \(lines[$0])" }.joined(separator: "\n") + "\n"
        #expect(try rowsAndLines(ws, "mid2") == expected)
    }

    @Test func aCompressedFileIsOneRange() throws {
        let ws = TempWorkspace("quern-onefile-gz")
        ws.write("in/big.csv", Self.bigCSV(rows: 3000).text)
        #expect(try QuernProcess.shell("gzip -k in/big.csv && mkdir gz && mv in/big.csv.gz gz/", cwd: ws.path) == 0)
        ws.write("q.yaml", Self.config)
        #expect(try extract(ws, [], mid: "plain").status == 0)
        let r = try QuernProcess.run(
            ["extract", "--config", "q.yaml", "--input-dir", "gz", "--intermediate-dir", "zipped", "-q"], cwd: ws.path)
        #expect(r.status == 0, "\(r.stderr)")
        // The same rows and lines, read whole by one worker: parts cut by bytes only.
        #expect(
            try rowsAndLines(ws, "zipped").replacingOccurrences(of: "big.csv.gz", with: "big.csv")
                == (try rowsAndLines(ws, "plain")))
        #expect(batches("\(ws.path)/zipped").count < batches("\(ws.path)/plain").count)
    }
}
