import QuernKit

/// The `quern-command` protocol, version 1 (docs/api-jobs.md): JSON Lines over the program's
/// stdin and stdout. Quern sends a header line, then one line per record; the program answers
/// the header with its own (the schema), then each record with exactly one line.
enum CommandProtocol {
    static let name = "quern-command"
    static let version = 1

    /// Quern's first line: the protocol and the input's columns.
    static func hostHeader(columns: [String]) -> [UInt8] {
        var out = Array("{\"protocol\":\"\(name)\",\"version\":\(version),\"columns\":[".utf8)
        for (i, c) in columns.enumerated() {
            if i > 0 { out.append(0x2C) }
            JSONValue.quoted(c, into: &out)
        }
        out += Array("]}\n".utf8)
        return out
    }

    /// One record's line: `{"line":N,"record":{"column":"text",...}}`; `columns` are the
    /// file's, `sent` the indexes of those sent (all, or the configured ones).
    static func request(_ record: Record, columns: [String], sent: [Int]) -> [UInt8] {
        var out = Array("{\"line\":\(record.line),\"record\":{".utf8)
        for (k, i) in sent.enumerated() {
            if k > 0 { out.append(0x2C) }
            JSONValue.quoted(columns[i], into: &out)
            out.append(0x3A)
            if i < record.count {
                JSONValue.quoted(String(decoding: record.field(i), as: UTF8.self), into: &out)
            } else {
                out += Array("null".utf8)
            }
        }
        out += Array("}}\n".utf8)
        return out
    }

    /// The program's header: the schema of the rows its replies give.
    static func schema(fromHeader line: [UInt8], program: String) throws -> FeatureSchema {
        func bad(_ why: String) -> PluginError {
            PluginError.badData(
                "the command's program (\(program)) sent a header line that \(why). Its first line must be {\"protocol\": \"\(name)\", \"version\": \(version), \"features\": [...], \"labels\": [...]} (docs/api-jobs.md)."
            )
        }
        let header: JSONValue
        do { header = try JSONValue.parse(line) } catch { throw bad("is \(error)") }
        guard case .object = header else { throw bad("is not a JSON object") }
        guard header["protocol"] == .string(name) else { throw bad("does not name the protocol \"\(name)\"") }
        guard case .number(let v) = header["version"], v == Double(version) else {
            throw bad("asks for a protocol version this quern does not speak (it speaks \(version))")
        }
        var features: [FeatureSchema.Feature] = []
        for item in try list(header["features"], "features", bad) {
            switch item {
            case .string(let n): features.append(.init(n, normalized: true))
            case .object:
                guard case .string(let n) = item["name"] else { throw bad("has a feature without a \"name\"") }
                let normalized = item["normalized"] == .bool(false) ? false : true
                features.append(.init(n, normalized: normalized))
            default: throw bad("has a feature that is \(item.kind), not a name")
            }
        }
        var labels: [FeatureSchema.LabelHead] = []
        for item in try list(header["labels"], "labels", bad) {
            guard case .string(let n) = item["name"] else { throw bad("has a label head without a \"name\"") }
            var names: [String]? = nil
            if case .array(let given) = item["class_names"] {
                names = given.compactMap { if case .string(let s) = $0 { s } else { nil } }
                guard names?.count == given.count else {
                    throw bad("has class_names of '\(n)' that are not all strings")
                }
            }
            var classes = names?.count ?? 0
            if case .number(let c) = item["classes"] { classes = Int(exactly: c) ?? 0 }
            guard classes >= 1, classes <= 1 << 24, names == nil || names!.count == classes else {
                throw bad("gives label head '\(n)' no whole number of classes (\"classes\": 2, or \"class_names\")")
            }
            labels.append(.init(name: n, classes: classes, classNames: names))
        }
        var masks: [FeatureSchema.MaskHead] = []
        for item in try list(header["masks"], "masks", bad) {
            guard case .string(let n) = item["name"], case .number(let w) = item["width"], let width = Int(exactly: w),
                width >= 1
            else { throw bad("has a mask without a \"name\" and a \"width\" >= 1") }
            var label: String? = nil
            if case .string(let l) = item["label"] { label = l }
            masks.append(.init(name: n, width: width, label: label))
        }
        let names = features.map(\.name) + labels.map(\.name) + masks.map(\.name)
        if let twice = names.first(where: { n in names.filter { $0 == n }.count > 1 }) {
            throw bad("names '\(twice)' twice")
        }
        for n in labels.map(\.name) + masks.map(\.name)
        where n.isEmpty || !n.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-") }) {
            throw bad("names a head '\(n)': head names are letters, digits, '_' and '-'")
        }
        return FeatureSchema(
            features: features, labels: labels, masks: masks, hasGroups: header["groups"] == .bool(true))
    }

    private static func list(_ v: JSONValue?, _ key: String, _ bad: (String) -> PluginError) throws -> [JSONValue] {
        switch v {
        case nil, .null?: return []
        case .array(let items)?: return items
        default: throw bad("has \"\(key)\" that is not a list")
        }
    }
}

/// One reply, read: what became of the record.
enum CommandReply {
    /// A row: its features, one label per head, mask values per head, group key, and result.
    case row(features: [Float], labels: [Int32], masks: [[Int8]], group: [UInt8], result: [UInt8])
    case skip(String)
    /// An error the program reports for the record; `retry`: asking to be sent it again.
    case error(String, retry: Bool)
    /// A line that cannot be this record's reply (not a JSON object, or the `line` of another
    /// record): the program is out of step, and every later reply would answer the wrong record.
    case outOfStep(String)

    /// Reads one reply line to the record of line `record` against `schema`; a reply that breaks
    /// the protocol is `.error` with the reason (not retried), and its cost still counts.
    static func parse(_ line: [UInt8], record: Int? = nil, schema: FeatureSchema) -> (CommandReply, cost: Double) {
        let reply: JSONValue
        do { reply = try JSONValue.parse(line) } catch {
            return (.outOfStep("the program's reply is \(error)"), 0)
        }
        guard case .object(let members) = reply else {
            return (.outOfStep("the program's reply is \(reply.kind), not a JSON object"), 0)
        }
        if let record, let echoed = members["line"], echoed.value != .number(Double(record)) {
            let shown = String(decoding: line[echoed.span].prefix(40), as: UTF8.self)
            return (.outOfStep("the program's reply is for \"line\" \(shown), not \(record)"), 0)
        }
        var cost = 0.0
        if let c = reply["cost"] {
            guard case .number(let x) = c, x >= 0, x.isFinite else {
                return (.error("the reply's \"cost\" must be a number >= 0, not \(c.kind)", retry: false), 0)
            }
            cost = x
        }
        if case .string(let why)? = reply["skip"] { return (.skip(why), cost) }
        if let e = reply["error"] {
            let why: String
            if case .string(let s) = e { why = s } else { why = "error (\(e.kind))" }
            return (.error(why, retry: reply["retry"] == .bool(true)), cost)
        }
        func bad(_ why: String) -> (CommandReply, cost: Double) { (.error("the reply \(why)", retry: false), cost) }
        var features: [Float] = []
        switch reply["features"] {
        case nil, .null?: break
        case .array(let items)?:
            for item in items {
                guard case .number(let x) = item, Float(x).isFinite else {
                    return bad("has a feature that is not a finite number")
                }
                features.append(Float(x))
            }
        default: return bad("has \"features\" that is not a list of numbers")
        }
        guard features.count == schema.features.count else {
            return bad("has \(features.count) features; the program's header declared \(schema.features.count)")
        }
        var labels: [Int32] = []
        for head in schema.labels {
            switch reply["labels"]?[head.name] {
            case .number(let x)?:
                guard let y = Int32(exactly: x), y >= 0, Int(y) < head.classes else {
                    return bad("gives label '\(head.name)' \(x), not a class in 0..<\(head.classes)")
                }
                labels.append(y)
            case .string(let s)?:
                guard let y = head.classNames?.firstIndex(of: s) else {
                    return bad("gives label '\(head.name)' '\(s)', which is not one of its class_names")
                }
                labels.append(Int32(y))
            default: return bad("has no label '\(head.name)' (\"labels\": {\"\(head.name)\": <class>})")
            }
        }
        var masks: [[Int8]] = []
        for head in schema.masks {
            guard case .array(let items)? = reply["masks"]?[head.name], items.count == head.width else {
                return bad("has no mask '\(head.name)' of \(head.width) values")
            }
            var m: [Int8] = []
            for item in items {
                guard case .number(let x) = item, x == 0 || x == 1 else {
                    return bad("has mask '\(head.name)' values other than 0 and 1")
                }
                m.append(Int8(x))
            }
            masks.append(m)
        }
        var group: [UInt8] = []
        if schema.hasGroups {
            guard case .string(let g)? = reply["group"] else {
                return bad("has no \"group\" string (the header said \"groups\": true)")
            }
            group = Array(g.utf8)
        }
        let result = members["result"].map { Array(line[$0.span]) } ?? Array("null".utf8)
        return (.row(features: features, labels: labels, masks: masks, group: group, result: result), cost)
    }
}
