import Foundation
import QuernCore
import QuernTestSupport
import Testing

/// `JSONLines.removing(member:from:)`: a merge reads its journal lines without their per-file
/// records by cutting that member out before decoding. What is left must be the same object less
/// that member, whatever the strings around it hold.
@Suite("JSON Lines: dropping a member before decoding")
struct JSONLinesTests {
    func object(_ data: Data) throws -> NSDictionary {
        try #require(try JSONSerialization.jsonObject(with: data) as? NSDictionary)
    }

    @Test(arguments: [
        #"{"files":[{"name":"a}],{\"b"}],"batch":1}"#,
        #"{"batch":1,"files":[],"parts":[{"file":"x"}]}"#,
        #"{"batch":1,"parts":[],"files":{"k":"v,]}"}}"#,
        #"{"note":"\"files\":[1]","files":[[1,[2]],"]"],"z":null}"#,
        #"{"files":"just a string","batch":2}"#,
        #"{"files":12.5}"#,
    ])
    func theMemberGoesAndTheRestStays(_ text: String) throws {
        let line = Data(text.utf8)
        let expected = try object(line).mutableCopy() as! NSMutableDictionary
        expected.removeObject(forKey: "files")
        #expect(try object(JSONLines.removing(member: "files", from: line)) == expected, "\(text)")
    }

    @Test(arguments: [#"{"batch":1,"filesx":[1]}"#, #"{"batch":"files"}"#, #"not json"#, #"{"files":[1,2"#])
    func aLineWithoutItOrThatCannotBeFollowedComesBackUnchanged(_ text: String) {
        #expect(JSONLines.removing(member: "files", from: Data(text.utf8)) == Data(text.utf8))
    }

    /// Real journal lines, as extract writes them: decoding without the files gives every other field.
    @Test func realJournalLinesKeepEveryOtherField() throws {
        let ws = TempWorkspace()
        try GamesGenerator(seed: 4, rows: 6).write(files: 30, to: "\(ws.path)/in")
        #expect(
            try QuernProcess.run(
                ["extract", "--config", ExtractConfig.path, "--input-dir", "in", "--files-per-batch", "7", "-q"],
                cwd: ws.path
            ).status == 0)
        let lines = try JSONLines.read("\(ws.path)/data/intermediate/journal.jsonl")
        #expect(lines.count == 5)
        for line in lines {
            let full = try object(line).mutableCopy() as! NSMutableDictionary
            full.removeObject(forKey: "files")
            #expect(try object(JSONLines.removing(member: "files", from: line)) == full)
        }
    }
}

/// The example config, by path from this file.
enum ExtractConfig {
    static let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("docs/examples/games.yaml").path
}
