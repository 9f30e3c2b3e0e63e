import Foundation
import QuernCore
import QuernKit
import QuernPlugins
import QuernTestSupport
import Testing

/// The JSON Lines reader against nst/JSONTestSuite's parsing cases (Tests/Fixtures/JSONTestSuite,
/// MIT licence): every `y_` case must be read and every `n_` case refused, as RFC 8259 says.
///
/// A JSON Lines record is an object, so each case is read as the value of a one-key record,
/// `{"v": <case>}`: that puts the whole value grammar (numbers, strings, escapes, literals,
/// arrays, objects, whitespace) in play. A record's values may not be nested containers (a
/// feature is a scalar or a list of scalars), so the reader checks a line against the whole
/// grammar first and only then refuses a nested container as "not supported": a `y_` case may be
/// refused for that reason only, and an `n_` case must never be (that would mean the reader took
/// it for JSON).
@Suite("JSON Lines against JSONTestSuite")
struct JSONTestSuiteTests {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/JSONTestSuite/test_parsing").path

    static func cases(_ prefix: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).filter { $0.hasPrefix(prefix) }.sorted()
    }

    let jsonl = try! PluginRegistry.builtIn.format("jsonl")

    func read(_ bytes: [UInt8]) throws -> (columns: [String], rows: [[String]], lines: [Int]) {
        try readAll(jsonl, MemorySource(Array("{\"v\": ".utf8) + bytes + Array("}\n".utf8)))
    }

    @Test func theSuiteIsThere() {
        #expect(Self.cases("y_").count == 95)
        #expect(Self.cases("n_").count == 188)
    }

    /// A newline ends a JSON Lines record, so the newlines of a `y_` case are read as spaces: in
    /// valid JSON a raw newline can only be whitespace (a string cannot hold one), and a space is
    /// whitespace too. No case is skipped.
    @Test(arguments: cases("y_"))
    func acceptsWhatIsJSON(_ name: String) throws {
        let raw = Array(try Data(contentsOf: URL(fileURLWithPath: "\(Self.folder)/\(name)")))
        let joined = raw.map { $0 == UInt8(ascii: "\n") ? UInt8(ascii: " ") : $0 }
        do {
            let r = try read(joined)
            #expect(r.columns == ["v"], "\(name)")
            #expect(r.rows.count == 1, "\(name)")
            // A one-string array reads as that string: compare with Foundation's decoding, which
            // covers every escape and surrogate pair of the suite.
            if let strings = try JSONSerialization.jsonObject(with: Data(joined), options: .fragmentsAllowed) as? [Any],
                strings.count == 1, let s = strings[0] as? String
            {
                #expect(r.rows.first == [s], "\(name)")
            }
        } catch let error as ReadError {
            // Refused only for nesting, and only when the case really nests.
            #expect(error.reason.contains("not supported"), "\(name): \(error)")
            let value = try JSONSerialization.jsonObject(with: Data(joined), options: .fragmentsAllowed)
            let nests =
                value is [String: Any] || (value as? [Any])?.contains { $0 is [Any] || $0 is [String: Any] } == true
            #expect(nests, "\(name) holds no nested container, yet: \(error)")
        }
    }

    @Test(arguments: cases("n_"))
    func refusesWhatIsNotJSON(_ name: String) throws {
        let raw = Array(try Data(contentsOf: URL(fileURLWithPath: "\(Self.folder)/\(name)")))
        let error = #expect(throws: ReadError.self, "\(name)") { try read(raw) }
        #expect(error?.line != nil, "\(name): the error names a line")
        #expect(
            error?.reason.contains("not supported") == false,
            "\(name): refused as unsupported, not as invalid: \(String(describing: error))")
    }
}
