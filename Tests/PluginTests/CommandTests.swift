import QuernCore
import QuernKit
import QuernPlugins
import Testing

@testable import QuernExtractorCommand

/// The `command` extractor's parts that need no program: the rate limit's schedule, the reading
/// of a reply against the schema, the JSON it reads, and its options.
@Suite("Command extractor")
struct CommandTests {
    @Test func theRateScheduleSpacesRecordsAndGivesNoBurstAfterAnIdleSpell() {
        var s = RateSchedule(perSecond: 4)
        // Four workers asking at once get slots a quarter second apart.
        #expect([s.slot(now: 10), s.slot(now: 10), s.slot(now: 10), s.slot(now: 10)] == [10, 10.25, 10.5, 10.75])
        // Asking late takes the time asked: no burst of the slots missed while idle.
        #expect(s.slot(now: 20) == 20)
        #expect(s.slot(now: 20.1) == 20.25)
        // N records take (N - 1) / rate seconds of slots at least, whoever asks.
        var t = RateSchedule(perSecond: 50)
        let last = (0..<101).map { _ in t.slot(now: 0) }.last!
        #expect(abs(last - 2.0) < 1e-9)
    }

    let schema = FeatureSchema(
        features: [.init("a", normalized: true), .init("b", normalized: true)],
        labels: [.init(name: "topic", classes: 3, classNames: ["x", "y", "z"])],
        masks: [.init(name: "ok", width: 3, label: "topic")], hasGroups: true)

    func parse(_ text: String) -> (CommandReply, cost: Double) {
        CommandReply.parse(Array(text.utf8), schema: schema)
    }

    @Test func aReplyGivesItsRowAndKeepsItsResultAsWritten() throws {
        let (reply, cost) = parse(
            #"{"features":[1,2.5],"labels":{"topic":"z"},"masks":{"ok":[0,1,1]},"group":"g7","result":{"slug": "a-b" , "n":[1]},"cost":0.25}"#
        )
        #expect(cost == 0.25)
        guard case .row(let f, let l, let m, let g, let result) = reply else {
            Issue.record("not a row: \(reply)")
            return
        }
        #expect(f == [1, 2.5] && l == [2] && m == [[0, 1, 1]] && g == Array("g7".utf8))
        #expect(String(decoding: result, as: UTF8.self) == #"{"slug": "a-b" , "n":[1]}"#)
        guard
            case .row(_, _, _, _, let none) = parse(
                #"{"features":[0,0],"labels":{"topic":0},"masks":{"ok":[1,0,0]},"group":""}"#
            ).0
        else {
            Issue.record("not a row")
            return
        }
        #expect(none == Array("null".utf8), "no result: null")
    }

    @Test func aReplyThatBreaksTheSchemaIsAFailedRecordThatSaysWhy() {
        let cases: [(String, String)] = [
            (
                #"{"features":[1],"labels":{"topic":0},"masks":{"ok":[1,0,0]},"group":"g"}"#,
                "has 1 features; the program's header declared 2"
            ),
            (#"{"features":[1,2],"labels":{"topic":3},"masks":{"ok":[1,0,0]},"group":"g"}"#, "not a class in 0..<3"),
            (
                #"{"features":[1,2],"labels":{"topic":"w"},"masks":{"ok":[1,0,0]},"group":"g"}"#,
                "not one of its class_names"
            ),
            (#"{"features":[1,2],"labels":{"topic":0},"masks":{"ok":[1,2,0]},"group":"g"}"#, "other than 0 and 1"),
            (#"{"features":[1,2],"labels":{"topic":0},"masks":{"ok":[1,0,0]}}"#, "no \"group\""),
            (#"{"cost":-1}"#, "\"cost\" must be a number >= 0"),
        ]
        for (text, why) in cases {
            guard case .error(let reason, let retry) = parse(text).0 else {
                Issue.record("\(text) gave no error")
                continue
            }
            #expect(reason.contains(why), "\(text): \(reason)")
            #expect(!retry)
        }
        // Not a reply at all, or another record's: the program is out of step.
        for (text, why) in [
            ("loading model...", "not valid JSON"), (#"[1]"#, "not a JSON object"),
            (#"{"line":7,"skip":"x"}"#, "is for \"line\" 7, not 3"),
        ] {
            guard case .outOfStep(let reason) = CommandReply.parse(Array(text.utf8), record: 3, schema: schema).0 else {
                Issue.record("\(text) is not out of step")
                continue
            }
            #expect(reason.contains(why), "\(text): \(reason)")
        }
        guard case .error("busy", true) = parse(#"{"error":"busy","retry":true,"cost":0.5}"#).0 else {
            Issue.record("a retryable error")
            return
        }
        guard case .skip("no title") = parse(#"{"skip":"no title"}"#).0 else {
            Issue.record("a skip")
            return
        }
    }

    @Test func theJSONReaderFollowsRFC8259() throws {
        let v = try JSONValue.parse(Array(#" {"a": [1, -2.5e3, true, null, "\u00e9\ud83d\ude00\n"]} "#.utf8))
        #expect(v["a"] == .array([.number(1), .number(-2500), .bool(true), .null, .string("é😀\n")]))
        for bad in ["{\"a\":01}", "[1,]", "{\"a\" 1}", "\"\u{01}\"", "[1] x", "{\"a\":tru}", "\"\\ud800\""] {
            #expect(throws: JSONParseError.self, "\(bad)") { try JSONValue.parse(Array(bad.utf8)) }
        }
        var out: [UInt8] = []
        JSONValue.quoted("a\"b\\c\nd\u{7}", into: &out)
        #expect(String(decoding: out, as: UTF8.self) == #""a\"b\\c\nd\u0007""#)
    }

    @Test func optionsThatCannotWorkAreRefusedSayingWhatToWrite() throws {
        let registry = PluginRegistry.builtIn
        #expect(throws: (any Error).self) { try registry.extractor("command", [:]) }
        do {
            _ = try registry.extractor("command", ["command": .init(.scalar("python3 worker.py"))])
            Issue.record("a command with spaces in one string is refused")
        } catch {
            #expect("\(error)".contains("command: [python3, worker.py]"), "\(error)")
        }
        do {
            _ = try registry.extractor(
                "command", ["command": .init(.list([.init(.scalar("w"))])), "timeout": .init(.scalar("0"))])
            Issue.record("a timeout of 0 is refused")
        } catch {
            #expect("\(error)".contains("option 'timeout' of extractor 'command' must be a number > 0"), "\(error)")
        }
        // Timeouts, retries and the rate change how, not what: the batches are kept.
        let a = try registry.extractor("command", ["command": .init(.list([.init(.scalar("w"))]))])
        let b = try registry.extractor(
            "command", ["command": .init(.list([.init(.scalar("w"))])), "rate_limit": .init(.scalar("3"))])
        #expect(a.optionsText == b.optionsText)
    }

    @Test func aProgramThatCannotStartOrSpeaksAnotherProtocolIsAnErrorThatSaysWhatToDo() throws {
        let registry = PluginRegistry.builtIn
        let missing = try registry.extractor(
            "command", ["command": .init(.list([.init(.scalar("/nonexistent/worker"))]))])
        #expect {
            _ = try missing.schema(columns: ["url"])
        } throws: { "\($0)".contains("cannot start /nonexistent/worker") }
        let silent = try registry.extractor(
            "command",
            [
                "command": .init(
                    .list([
                        .init(.scalar("/usr/bin/python3")), .init(.scalar("-c")),
                        .init(.scalar("import sys; sys.stderr.write('no model key\\n'); sys.exit(2)")),
                    ]))
            ])
        #expect {
            _ = try silent.schema(columns: ["url"])
        } throws: {
            "\($0)".contains("exited with status 2 before writing its header line") && "\($0)".contains("no model key")
        }
        let other = try registry.extractor(
            "command",
            [
                "command": .init(
                    .list([
                        .init(.scalar("/usr/bin/python3")), .init(.scalar("-c")),
                        .init(
                            .scalar("print('{\"protocol\": \"quern-command\", \"version\": 2}', flush=True); input()")),
                    ]))
            ])
        #expect {
            _ = try other.schema(columns: ["url"])
        } throws: { "\($0)".contains("asks for a protocol version this quern does not speak (it speaks 1)") }
    }
}
