import QuernCore
import QuernPlugins
import QuernTestSupport
import Testing

@Suite("JSON Lines reading")
struct JSONLinesTests {
    let jsonl = try! PluginRegistry.builtIn.format("jsonl")

    @Test func flatObjectsInKeyOrder() throws {
        let text = """
            {"id": "g1", "x": 1.5, "ok": true, "tags": [1, 3], "s": "a\\"b\\u00e9\\n"}

            {"x": -2, "id": "g2", "extra": 7, "ok": false, "tags": [], "s": null}
            {"id": "g3"}
            """
        for step in [Int.max, 1, 5] {
            let r = try readAll(jsonl, MemorySource(text, step: step), settings: ReaderSettings(chunkBytes: 16))
            #expect(r.columns == ["id", "x", "ok", "tags", "s"])
            #expect(r.rows == [["g1", "1.5", "1", "1;3", "a\"bé\n"], ["g2", "-2", "0", "", ""], ["g3", "", "", "", ""]])
            #expect(r.lines == [1, 3, 4])
        }
    }

    @Test(arguments: ["{\"a\": 1,}", "{\"a\": {\"b\": 1}}", "[1, 2]", "{\"a\": 1} x", "{\"a\": tru}", "{\"a\": \"open}"])
    func brokenLinesNameTheLine(_ bad: String) throws {
        let text = "{\"a\": 0}\n" + bad + "\n"
        let error = #expect(throws: ReadError.self) { try readAll(jsonl, MemorySource(text)) }
        #expect(error?.line == 2)
    }
}
