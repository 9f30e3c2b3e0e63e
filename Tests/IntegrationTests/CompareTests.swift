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
        #expect(
            try QuernProcess.run(["generate", "--files", "30", "--rows", "10", "--out", "\(ws.path)/in"]).status == 0)
        for k in 0..<duplicates {
            try FileManager.default.copyItem(
                atPath: "\(ws.path)/in/game_\(String(k).leftPad(6)).csv", toPath: "\(ws.path)/in/zz_copy_\(k).csv")
        }
        let r = try QuernProcess.run(
            ["extract", "--config", Self.config, "--input-dir", "in", "--files-per-batch", "8", "-q"], cwd: ws.path)
        #expect(r.status == 0, "\(r.stderr)")
        return ws
    }

    func json(_ path: String) throws -> [String: Any] {
        try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any])
    }

    @Test func strategiesAndCodecsSideBySide() throws {
        let ws = try batches(duplicates: 3)
        let r = try QuernProcess.run(
            [
                "compare", "--config", Self.config, "--merge-strategies", "concat,shuffle,dedupe,balance:per_class=3",
                "--codecs", "none,zlib,lz4,zstd", "--repeat", "2", "-q",
            ], cwd: ws.path)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("strategy") && r.stdout.contains("codec"))
        let report = try json("\(ws.path)/data/compare/compare_report.json")
        #expect((report["batches"] as? [String: Any])?["count"] as? Int == 5)
        #expect(report["repeat"] as? Int == 2)
        let candidates = try #require(report["candidates"] as? [[String: Any]])
        #expect(
            candidates.map { $0["candidate"] as? String ?? "" } == [
                "concat", "shuffle", "dedupe", "balance:per_class=3", "none", "zlib:1", "lz4:-3", "zstd:1",
            ])
        #expect(candidates.allSatisfy { $0["status"] as? String == "ok" })
        let byName = Dictionary(uniqueKeysWithValues: candidates.map { ($0["candidate"] as! String, $0) })
        // dedupe reports the planted duplicates (3 copied files of 10 rows), concat leaves them in.
        #expect((byName["dedupe"]?["dropped"] as? [String: Int]) == ["duplicate content": 30])
        #expect(byName["dedupe"]?["duplicates_remaining"] as? Int == 0)
        #expect(byName["concat"]?["duplicates_remaining"] as? Int == 30)
        #expect((byName["balance:per_class=3"]?["class_counts"] as? [Int])?.allSatisfy { $0 <= 3 } == true)
        // Counts agree with running `quern merge` with that strategy alone.
        for strategy in ["concat", "dedupe"] {
            let alone = try QuernProcess.run(
                [
                    "merge", "--config", Self.config, "--merge-strategy", strategy, "--output-dir", "alone_\(strategy)",
                    "-q", "--no-hooks",
                ], cwd: ws.path)
            #expect(alone.status == 0)
            let stats = try json("\(ws.path)/alone_\(strategy)/preprocessing_stats.json")
            #expect(stats["splits"] as? [String: Int] == byName[strategy]?["rows"] as? [String: Int])
        }
        // Codec sizes on this compressible data: none largest, every codec smaller.
        let size = { (c: String) in byName[c]?["compressed_bytes"] as? Int ?? 0 }
        for codec in ["zlib:1", "lz4:-3", "zstd:1"] { #expect(size("none") > size(codec), "\(codec)") }
        #expect(
            !FileManager.default.fileExists(atPath: "\(ws.path)/data/compare/.codecs/zstd_1"),
            "scratch removed without --keep")
        // The page is well-formed and has one chart per figure.
        let page = try QuernProcess.python(
            """
            import xml.etree.ElementTree as ET
            root = ET.parse('data/compare/compare_report.html').getroot()
            charts = [e for e in root.iter() if e.tag.endswith('svg')]
            links = [e for e in root.iter() if e.get('src') or (e.get('href') or '').startswith('http')]
            print(len(charts), len(links))
            """, cwd: ws.path)
        #expect(page.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "8 0", "\(page.stderr)")
        #expect(FileManager.default.fileExists(atPath: "\(ws.path)/data/compare/compare_report.md"))
        #expect(ws.files(in: "data/intermediate").filter { $0.hasPrefix("batch_") }.count == 5, "batches untouched")
        // Two runs: the page says median, and gives each time's spread over the runs.
        let html = ws.text("data/compare/compare_report.html")
        #expect(html.contains("median of the 2 runs") && html.contains("time s, median (range)"))
        #expect((candidates[0]["wall_seconds_runs"] as? [Double])?.count == 2)
    }

    /// The HTML report holds, per candidate, what the choice changes in the data, with the
    /// numbers of the candidate's own output files, and a header naming version, date and command.
    @Test func reportShowsWhatEachCandidateDoesToTheData() throws {
        let ws = try batches(duplicates: 0)
        let folder = "cmp <&> x"
        let r = try QuernProcess.run(
            [
                "compare", "--config", Self.config, "--merge-strategies", "concat,balance:per_class=3", "--compare-dir",
                folder, "-q",
            ], cwd: ws.path)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("one run each") && !r.stdout.contains("median"), "\(r.stdout)")
        let check = try QuernProcess.python(Self.reportCheck, cwd: ws.path, arguments: [folder, QuernVersion.current])
        #expect(check.stdout == "ok\n", "\(check.stdout)\(check.stderr)")
    }

    /// Reads compare_report.html as XML and checks each section against the candidates' output
    /// files, recomputed with numpy. Prints `ok`, or the problems.
    static let reportCheck = #"""
        import datetime, json, math, sys
        import xml.etree.ElementTree as ET
        import numpy as np
        folder, version = sys.argv[1], sys.argv[2]
        page = open(folder + '/compare_report.html', encoding='utf-8').read()
        root = ET.fromstring(page.split('\n', 1)[1])   # after the doctype
        report = json.load(open(folder + '/compare_report.json'))
        def table(id):
            t = next(e for e in root.iter() if e.tag == 'table' and e.get('id') == id)
            return [[''.join(c.itertext()) for c in tr] for tr in t.iter('tr')]
        problems = []
        def expect(ok, what):
            if not ok: problems.append(what)
        header = {row[0]: row[1] for row in table('header')}
        expect(header['quern'] == version, 'version %r' % header)
        expect(header['date'].startswith(datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%d')), 'date %r' % header['date'])
        expect("--compare-dir 'cmp <&> x' -q" in header['command'], 'command %r' % header['command'])
        expect('median' not in page.lower(), 'median with one run')
        summary = table('summary')
        expect('entropy' in summary[0], 'no entropy column')
        candidates = [c for c in report['candidates'] if c['kind'] == 'merge_strategy']
        classes = table('class-counts')
        expect(len(classes) > 2 and len(candidates) == 2, 'no class rows or candidates')
        for i, c in enumerate(candidates):
            out = folder + '/' + c['output_dir'].split('/')[-1]
            stats = json.load(open(out + '/preprocessing_stats.json'))
            row = next(r for r in summary if r[0] == c['candidate'])
            expect(row[summary[0].index('entropy')] == '%.3f' % c['balance']['entropy'], 'entropy of %s' % c['candidate'])
            # Class counts per split: the candidate's own preprocessing_stats.json.
            counts = stats['class_counts']['action']
            for r in classes[2:]:
                k = int(r[0])
                expect(int(r[1]) == report['input_class_counts'][k], 'batches column, class %d' % k)
                for j, split in enumerate(['train', 'val', 'test']):
                    expect(int(r[2 + 3 * i + j]) == counts[split][k], '%s %s class %d' % (c['candidate'], split, k))
            # Feature means, spreads and drift: numpy on the saved arrays, normalization undone.
            rows = table('features-%d' % i)[1:]
            expect(len(rows) == stats['input_dim'], 'features of %s' % c['candidate'])
            norm = stats['normalization']['features']
            moments = {}
            for split in ['train', 'val', 'test']:
                x = np.load(out + '/X_%s.npy' % split).astype(np.float64)
                scale = np.array([norm.get(n, {}).get('std', 1.0) for n in stats['feature_names']])
                shift = np.array([norm.get(n, {}).get('mean', 0.0) for n in stats['feature_names']])
                raw = x * scale + shift
                moments[split] = (raw.mean(axis=0), raw.std(axis=0))
            def close(cell, value):
                return cell != '' and math.isclose(float(cell), value, rel_tol=2e-3, abs_tol=1e-6)
            for k, r in enumerate(rows):
                expect(r[0] == stats['feature_names'][k], 'feature name %d' % k)
                for j, split in enumerate(['train', 'val', 'test']):
                    m, s = moments[split]
                    expect(close(r[1 + 2 * j], m[k]) and close(r[2 + 2 * j], s[k]), '%s %s %s: %s vs %g %g' % (c['candidate'], r[0], split, r[1 + 2 * j:3 + 2 * j], m[k], s[k]))
                for j, split in enumerate(['val', 'test']):
                    m0, s0 = moments['train'][0][k], moments['train'][1][k]
                    m1, s1 = moments[split][0][k], moments[split][1][k]
                    pooled = math.sqrt((s0 * s0 + s1 * s1) / 2)
                    if pooled > 0:
                        expect(abs(float(r[7 + j]) - (m1 - m0) / pooled) <= 6e-4, 'drift %s %s %s: %s' % (c['candidate'], r[0], split, r[7 + j]))
            # Time and memory per stage, from the candidate's run.
            expect(set(c['stages']) == {'merge', 'split', 'normalize', 'save'}, 'stages %r' % list(c['stages']))
        stages = table('stages')
        expect(stages[0][1:] == ['merge', 'split', 'normalize', 'save', 'whole run'], 'stage columns %r' % stages[0])
        expect(len(stages) == 2 + len(candidates) and all(cell != '' for r in stages[2:] for cell in r), 'stage rows %r' % stages)
        print('\n'.join(problems) if problems else 'ok')
        """#

    @Test func aFailingCandidateDoesNotStopTheOthers() throws {
        let ws = try batches(duplicates: 0)
        let r = try QuernProcess.run(
            ["compare", "--config", Self.config, "--merge-strategies", "concat,dedupe:keys=nosuch,shuffle", "-q"],
            cwd: ws.path)
        #expect(r.status == 3)
        #expect(r.stdout.contains("FAILED"))
        let candidates = try #require(
            try json("\(ws.path)/data/compare/compare_report.json")["candidates"] as? [[String: Any]])
        #expect(candidates.map { $0["status"] as? String ?? "" } == ["ok", "failed", "ok"])
        #expect((candidates[1]["error"] as? String)?.contains("nosuch") == true)
    }

    @Test func unknownNamesFailBeforeAnythingRuns() throws {
        let ws = try batches(duplicates: 0)
        var r = try QuernProcess.run(["compare", "--merge-strategies", "concat,shufle"], cwd: ws.path)
        // Unknown names in the lists are bad usage: 64 (issue 13 item 18; it was 1).
        #expect(
            r.status == 64 && r.stderr.contains("Did you mean 'shuffle'?")
                && r.stderr.contains("Known merge strategies"))
        r = try QuernProcess.run(["compare", "--codecs", "zstd,brotli"], cwd: ws.path)
        #expect(r.status == 64 && r.stderr.contains("Known codecs: lz4, none, zlib, zstd"))
        #expect(!FileManager.default.fileExists(atPath: "\(ws.path)/data/compare"))
    }

    @Test func candidateListsKeepOptionsTogether() {
        #expect(
            CandidateList.parse("concat,balance:per_class=10,mode=cap,zstd:3") == [
                "concat", "balance:per_class=10,mode=cap", "zstd:3",
            ])
        #expect(CandidateList.folderName("balance:per_class=10,mode=cap") == "balance_per_class_10_mode_cap")
    }
}
