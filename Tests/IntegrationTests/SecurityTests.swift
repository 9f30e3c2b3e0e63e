import Foundation
import QuernCore
import QuernPlugins
import QuernTestSupport
import Testing

/// Names read from files (a batch's schema, a journal's file names) never become paths outside
/// the chosen folders.
@Suite("Names from files never become paths", .serialized)
struct SecurityTests {
    static let config = ExtractEndToEndTests.config

    func extracted() throws -> TempWorkspace {
        let ws = TempWorkspace("quern-security")
        #expect(
            try QuernProcess.run(["generate", "--files", "10", "--rows", "5", "--out", "\(ws.path)/in"]).status == 0)
        #expect(
            try QuernProcess.run(
                ["extract", "--config", Self.config, "--input-dir", "in", "--files-per-batch", "5", "-q"], cwd: ws.path
            ).status == 0)
        return ws
    }

    /// Rewrites the journal line of `batch` with `change` applied to its first part.
    func rewriteJournal(_ ws: TempWorkspace, batch: Int, _ change: (inout JournalEntry.Part) -> Void) throws {
        let path = "\(ws.path)/data/intermediate/journal.jsonl"
        var lines: [String] = []
        for line in try JSONLines.read(path) {
            var e = try JSONDecoder().decode(JournalEntry.self, from: line)
            if e.batch == batch { change(&e.parts[0]) }
            lines.append(JSONLines.encode(e))
        }
        try AtomicFile.write(lines.joined(separator: "\n") + "\n", to: path)
    }

    @Test func aJournalNamingAFileOutsideTheFolderIsNeitherReadNorDeleted() throws {
        let ws = try extracted()
        try FileManager.default.createDirectory(atPath: "\(ws.path)/outside", withIntermediateDirectories: true)
        try FileManager.default.moveItem(
            atPath: "\(ws.path)/data/intermediate/batch_000001.npz", toPath: "\(ws.path)/outside/batch_000001.npz")
        try rewriteJournal(ws, batch: 1) { $0.file = "../../outside/batch_000001.npz" }
        let r = try QuernProcess.run(["merge", "--config", Self.config, "--cleanup", "-q"], cwd: ws.path)
        #expect(r.status == 1)
        #expect(r.stderr.contains("the journal names it '../../outside/batch_000001.npz'"), "\(r.stderr)")
        #expect(
            FileManager.default.fileExists(atPath: "\(ws.path)/outside/batch_000001.npz"),
            "--cleanup deleted nothing outside")
        let v = try QuernProcess.run(["verify", "--intermediate-dir", "data/intermediate"], cwd: ws.path)
        #expect(v.status == 2 && v.stdout.contains("a different file name"), "\(v.stdout)")
        // extract redoes the batch under its own name rather than trusting the journal's.
        #expect(
            try QuernProcess.run(
                ["extract", "--config", Self.config, "--input-dir", "in", "--files-per-batch", "5", "-q"], cwd: ws.path
            ).status == 0)
        #expect(try QuernProcess.run(["merge", "--config", Self.config, "-q"], cwd: ws.path).status == 0)
    }

    @Test func aBatchWhoseSchemaNamesAPathIsRefused() throws {
        let ws = try extracted()
        let registry = PluginRegistry.builtIn
        let path = "\(ws.path)/data/intermediate/batch_000000.npz"
        let loaded = try BatchFile.load(path: path) { try registry.codec(zipMethod: $0) }
        var schema = loaded.meta.schema
        schema.labels[0].name = "../../../escaped"
        schema.masks[0].label = schema.labels[0].name
        let forged = try BatchFile.encode(
            loaded.batch, name: BatchName(batch: 0, part: 0), schema: schema,
            fingerprint: SchemaFingerprint(value: loaded.meta.fingerprint),
            extractor: loaded.meta.extractor, codec: try registry.codec(spec: "zstd"), path: path)
        try AtomicFile.write(forged.bytes, to: path)
        try rewriteJournal(ws, batch: 0) {
            $0.bytes = forged.bytes.count
            $0.crc32 = String(forged.fileCRC, radix: 16).leftPad(8)
        }
        let r = try QuernProcess.run(["merge", "--config", Self.config, "-q"], cwd: ws.path)
        #expect(r.status == 1)
        #expect(
            r.stderr.contains("batch_000000.npz") && r.stderr.contains("label head '../../../escaped'"), "\(r.stderr)")
        // Three levels up from the staging folder is the workspace's parent.
        let inside = FileManager.default.enumerator(atPath: ws.path)?.compactMap { $0 as? String } ?? []
        let above =
            (try? FileManager.default.contentsOfDirectory(atPath: (ws.path as NSString).deletingLastPathComponent))
            ?? []
        let found = (inside + above).filter { $0.contains("escaped") }
        #expect(found.isEmpty, "no file named after the head anywhere: \(found)")
        let v = try QuernProcess.run(["verify", "--intermediate-dir", "data/intermediate"], cwd: ws.path)
        #expect(v.status == 2 && v.stdout.contains("head names are letters, digits and _"), "\(v.stdout)")
    }
}
