import Foundation
import QuernTestSupport
import Testing

/// `quern run --extractor NAME` leaves no extractor name in the config; a later `quern merge` with
/// that config must not judge the extractor's options against the default extractor.
@Suite("A merge alone and the extractor that made the batches")
struct MergeAloneExtractorTests {
    static let config = """
        extractor:
          numeric: [turn]
          hash_columns: [phase]
          buckets: 8
          labels:
            action: {column: action, classes: 84}
          group: game_id
        """

    @Test func aMergeAloneTakesTheExtractorTheBatchesRecordAndSaysSo() throws {
        let ws = TempWorkspace("quern-merge-alone")
        #expect(
            try QuernProcess.run(["generate", "--files", "6", "--rows", "5", "--out", "\(ws.path)/in"]).status == 0)
        ws.write("q.yaml", Self.config)
        let run = try QuernProcess.run(
            ["run", "--config", "q.yaml", "--extractor", "hashed", "--input-dir", "in"], cwd: ws.path)
        #expect(run.status == 0, "\(run.stderr)")
        let merge = try QuernProcess.run(["merge", "--config", "q.yaml", "--merge-strategy", "shuffle"], cwd: ws.path)
        #expect(merge.status == 0, "\(merge.stderr)")
        #expect(merge.stderr.contains("extractor.name is not set: using 'hashed', the extractor that made the batches"))
        #expect(!merge.stderr.contains("has no option"))
        // A config that names another extractor is still refused, naming what changed.
        ws.write(
            "tabular.yaml", Self.config.replacingOccurrences(of: "extractor:\n", with: "extractor:\n  name: tabular\n"))
        let wrong = try QuernProcess.run(["merge", "--config", "tabular.yaml"], cwd: ws.path)
        #expect(wrong.status == 1)
        #expect(wrong.stderr.contains("tabular"), "\(wrong.stderr)")
    }
}
