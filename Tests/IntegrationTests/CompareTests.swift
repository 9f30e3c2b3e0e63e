import Foundation
import QuernCore
import QuernTestSupport
import Testing

/// `quern compare` on generated games batches with planted duplicates.
@Suite("quern compare", .serialized)
struct CompareTests {
    static let config = ExtractEndToEndTests.config

    func batches(duplicates: Int) throws -> TempWorkspace {
        let ws = TempWorkspace("quern-compare")
        #expect(try QuernProcess.run(["generate", "--files", "30", "--rows", "10", "--out", "\(ws.path)/in"]).status == 0)
        for k in 0..<duplicates {
            try FileManager.default.copyItem(atPath: "\(ws.path)/in/game_\(String(k).leftPad(6)).csv", toPath: "\(ws.path)/in/zz_copy_\(k).csv")
        }
        let r = try QuernProcess.run(["extract", "--config", Self.config, "--input-dir", "in", "--files-per-batch", "8", "-q"], cwd: ws.path)
        #expect(r.status == 0, "\(r.stderr)")
        return ws
    }

    func json(_ path: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any])
    }

    @Test func strategiesAndCodecsSideBySide() throws {
        let ws = try batches(duplicates: 3)
        let r = try QuernProcess.run(["compare", "--config", Self.config, "--merge-strategies", "concat,shuffle,dedupe,balance:per_class=3",
            "--codecs", "none,zlib,lz4,zstd", "--repeat", "2", "-q"], cwd: ws.path)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("strategy") && r.stdout.contains("codec"))
        let report = try json("\(ws.path)/data/compare/compare_report.json")
        #expect((report["batches"] as? [String: Any])?["count"] as? Int == 5)
        #expect(report["repeat"] as? Int == 2)
        let candidates = try #require(report["candidates"] as? [[String: Any]])
        #expect(candidates.map { $0["candidate"] as? String ?? "" } == ["concat", "shuffle", "dedupe", "balance:per_class=3", "none", "zlib:1", "lz4:0", "zstd:1"])
        #expect(candidates.allSatisfy { $0["status"] as? String == "ok" })
        let byName = Dictionary(uniqueKeysWithValues: candidates.map { ($0["candidate"] as! String, $0) })
        // dedupe reports the planted duplicates (3 copied files of 10 rows), concat leaves them in.
        #expect((byName["dedupe"]?["dropped"] as? [String: Int]) == ["duplicate content": 30])
        #expect(byName["dedupe"]?["duplicates_remaining"] as? Int == 0)
        #expect(byName["concat"]?["duplicates_remaining"] as? Int == 30)
        #expect((byName["balance:per_class=3"]?["class_counts"] as? [Int])?.allSatisfy { $0 <= 3 } == true)
        // Counts agree with running `quern merge` with that strategy alone.
        for strategy in ["concat", "dedupe"] {
            let alone = try QuernProcess.run(["merge", "--config", Self.config, "--merge-strategy", strategy, "--output-dir", "alone_\(strategy)", "-q", "--no-hooks"], cwd: ws.path)
            #expect(alone.status == 0)
            let stats = try json("\(ws.path)/alone_\(strategy)/preprocessing_stats.json")
            #expect(stats["splits"] as? [String: Int] == byName[strategy]?["rows"] as? [String: Int])
        }
        // Codec sizes on this compressible data: none largest, every codec smaller.
        let size = { (c: String) in byName[c]?["compressed_bytes"] as? Int ?? 0 }
        for codec in ["zlib:1", "lz4:0", "zstd:1"] { #expect(size("none") > size(codec), "\(codec)") }
        #expect(!FileManager.default.fileExists(atPath: "\(ws.path)/data/compare/.codecs/zstd_1"), "scratch removed without --keep")
        // The page is well-formed and has one chart per figure.
        let page = try QuernProcess.python("""
            import xml.etree.ElementTree as ET
            root = ET.parse('data/compare/compare_report.html').getroot()
            charts = [e for e in root.iter() if e.tag.endswith('svg')]
            links = [e for e in root.iter() if e.get('src') or (e.get('href') or '').startswith('http')]
            print(len(charts), len(links))
            """, cwd: ws.path)
        #expect(page.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "8 0", "\(page.stderr)")
        #expect(FileManager.default.fileExists(atPath: "\(ws.path)/data/compare/compare_report.md"))
        #expect(ws.files(in: "data/intermediate").filter { $0.hasPrefix("batch_") }.count == 5, "batches untouched")
    }

    @Test func aFailingCandidateDoesNotStopTheOthers() throws {
        let ws = try batches(duplicates: 0)
        let r = try QuernProcess.run(["compare", "--config", Self.config, "--merge-strategies", "concat,dedupe:keys=nosuch,shuffle", "-q"], cwd: ws.path)
        #expect(r.status == 3)
        #expect(r.stdout.contains("FAILED"))
        let candidates = try #require(try json("\(ws.path)/data/compare/compare_report.json")["candidates"] as? [[String: Any]])
        #expect(candidates.map { $0["status"] as? String ?? "" } == ["ok", "failed", "ok"])
        #expect((candidates[1]["error"] as? String)?.contains("nosuch") == true)
    }

    @Test func unknownNamesFailBeforeAnythingRuns() throws {
        let ws = try batches(duplicates: 0)
        var r = try QuernProcess.run(["compare", "--merge-strategies", "concat,shufle"], cwd: ws.path)
        // Unknown names in the lists are bad usage: 64 (issue 13 item 18; it was 1).
        #expect(r.status == 64 && r.stderr.contains("Did you mean 'shuffle'?") && r.stderr.contains("Known merge strategies"))
        r = try QuernProcess.run(["compare", "--codecs", "zstd,brotli"], cwd: ws.path)
        #expect(r.status == 64 && r.stderr.contains("Known codecs: lz4, none, zlib, zstd"))
        #expect(!FileManager.default.fileExists(atPath: "\(ws.path)/data/compare"))
    }

    @Test func candidateListsKeepOptionsTogether() {
        #expect(CandidateList.parse("concat,balance:per_class=10,mode=cap,zstd:3") == ["concat", "balance:per_class=10,mode=cap", "zstd:3"])
        #expect(CandidateList.folderName("balance:per_class=10,mode=cap") == "balance_per_class_10_mode_cap")
    }
}
