import Foundation
public import QuernKit
import Yams

/// Reads a YAML file into a ``ConfigValue`` tree that remembers line and column of every value.
public enum YAMLLoader {
    public static func load(path: String) throws(ConfigError) -> ConfigValue {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw .unreadable(path: path, reason: (error as NSError).localizedDescription)
        }
        guard let text = String(bytes: data, encoding: .utf8), !data.starts(with: [0xFF, 0xFE]),
            !data.starts(with: [0xFE, 0xFF])
        else {
            throw notUTF8(data, path: path)
        }
        return try parse(text, path: path)
    }

    /// The most nodes a config may hold once its aliases are expanded. A real config has a few
    /// hundred; a few hundred bytes of nested aliases ("billion laughs") expand to billions.
    public static let maxNodes = 10_000

    /// Where a file that is not UTF-8 first goes wrong, and what it probably is.
    private static func notUTF8(_ data: Data, path: String) -> ConfigError {
        let bytes = [UInt8](data)
        var line = 1
        var column = 1
        var offset = 0
        var it = bytes.makeIterator()
        var decoder = UTF8()
        decode: while true {
            switch decoder.decode(&it) {
            case .scalarValue(let u):
                offset += String(u).utf8.count
                if u == "\n" {
                    line += 1
                    column = 1
                } else {
                    column += 1
                }
            case .emptyInput, .error: break decode
            }
        }
        let utf16 =
            bytes.starts(with: [0xFF, 0xFE]) || bytes.starts(with: [0xFE, 0xFF])
            || (bytes.count > 1 && (bytes[0] == 0 || bytes[1] == 0))
        let what = utf16 ? "it looks like UTF-16" : "it may be binary, or another encoding"
        let byte = offset < bytes.count ? String(format: " (byte 0x%02X at offset %d)", bytes[offset], offset) : ""
        return .yaml(
            path: path, line: line, column: column,
            reason: "the config file is not UTF-8 text\(byte); \(what). Save it as UTF-8.")
    }

    public static func parse(_ text: String, path: String) throws(ConfigError) -> ConfigValue {
        // Yams hashes every mapping key while it composes, so an alias used as a key (`? *a : 1`)
        // is expanded before the node bound below can count it: refuse such keys first.
        if let at = aliasKey(in: text) {
            throw .yaml(
                path: path, line: at.line, column: at.column,
                reason:
                    "an alias (*name) is used as a mapping key; a config needs none, and such keys can expand without bound. Write the key out."
            )
        }
        let node: Node?
        do {
            node = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            throw yamlError(error, path: path, text: text)
        } catch {
            throw .yaml(path: path, line: 1, column: 1, reason: "\(error)")
        }
        guard let node else { return ConfigValue(.map([]), mark: SourceMark(file: path, line: 1, column: 1)) }
        // Yams shares an anchored node between its aliases; converting copies each use. Count
        // the nodes first, stopping at the bound, so nested aliases cannot expand without end.
        if let mark = pastNodeBound(node) {
            throw .yaml(
                path: path, line: mark.line, column: mark.column,
                reason:
                    "the config expands to more than \(maxNodes) values once its aliases (*name) are expanded; a config "
                    + "needs far fewer. Write the values out, or use fewer nested aliases.")
        }
        return convert(node, path: path)
    }

    /// Where an alias stands as a mapping key (`*a : v`, `? *a`), outside quotes and comments, or nil.
    /// Conservative: it reads the text, not the YAML, so it may refuse an odd but harmless key.
    static func aliasKey(in text: String) -> (line: Int, column: Int)? {
        for (n, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let chars = Array(line.unicodeScalars)
            var i = 0
            var quote: Unicode.Scalar? = nil
            var previous: Unicode.Scalar = " "
            while i < chars.count {
                let c = chars[i]
                if let q = quote {
                    if c == q { quote = nil }
                } else if c == "\"" || c == "'" {
                    quote = c
                } else if c == "#" && (previous == " " || previous == "\t" || i == 0) {
                    break
                } else if c == "?" && " \t{,[".unicodeScalars.contains(previous) || (c == "?" && i == 0) {
                    var j = i + 1
                    while j < chars.count, chars[j] == " " || chars[j] == "\t" { j += 1 }
                    if j > i + 1, j < chars.count, chars[j] == "*" { return (n + 1, j + 1) }
                } else if c == "*", " \t{,[?".unicodeScalars.contains(previous) || i == 0 {
                    var j = i + 1
                    while j < chars.count, !" \t,[]{}".unicodeScalars.contains(chars[j]) { j += 1 }
                    while j < chars.count, chars[j] == " " || chars[j] == "\t" { j += 1 }
                    if j < chars.count, chars[j] == ":",
                        j + 1 == chars.count || " \t,}".unicodeScalars.contains(chars[j + 1])
                    {
                        return (n + 1, i + 1)
                    }
                }
                previous = c
                i += 1
            }
        }
        return nil
    }

    /// Where the node count passes ``maxNodes`` (walking every alias use), or nil when it stays
    /// within: at most ``maxNodes`` visits, whatever the expansion would be.
    private static func pastNodeBound(_ root: Node) -> (line: Int, column: Int)? {
        var stack = [root]
        var count = 0
        while let node = stack.popLast() {
            count += 1
            if count > maxNodes { return (node.mark ?? root.mark).map { ($0.line, $0.column) } ?? (1, 1) }
            switch node {
            case .scalar, .alias: break
            case .sequence(let seq): stack.append(contentsOf: seq)
            case .mapping(let map):
                for (k, v) in map {
                    stack.append(k)
                    stack.append(v)
                }
            }
        }
        return nil
    }

    private static func convert(_ node: Node, path: String) -> ConfigValue {
        let mark = node.mark.map { SourceMark(file: path, line: $0.line, column: $0.column) }
        switch node {
        case .scalar(let s):
            if s.tag.description == "tag:yaml.org,2002:null"
                || (s.style == .plain && ["~", "null", "Null", "NULL"].contains(s.string))
            {
                return ConfigValue(.null, mark: mark)
            }
            return ConfigValue(.scalar(s.string), mark: mark)
        case .sequence(let seq):
            return ConfigValue(.list(seq.map { convert($0, path: path) }), mark: mark)
        case .mapping(let map):
            return ConfigValue(
                .map(
                    map.map { (k, v) in
                        var value = convert(v, path: path)
                        value.keyMark = k.mark.map { SourceMark(file: path, line: $0.line, column: $0.column) }
                        return (k.string ?? "", value)
                    }), mark: mark)
        case .alias:
            return ConfigValue(.null, mark: mark)
        }
    }

    private static func yamlError(_ error: YamlError, path: String, text: String) -> ConfigError {
        switch error {
        case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _):
            var why = [context?.text, problem].compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: ": ")
            let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
            if mark.line >= 1, mark.line <= lines.count,
                lines[mark.line - 1].prefix(while: { $0 == " " || $0 == "\t" }).contains("\t")
            {
                why += " (YAML indents with spaces only: replace the tab at the start of the line)"
            }
            return .yaml(path: path, line: mark.line, column: mark.column, reason: "invalid YAML: \(why)")
        case .duplicatedKeysInMapping(let duplicates, let context):
            // Point at the second time the key is written, where the fix is.
            let key = duplicates.sorted().first ?? ""
            var seen = 0
            var line = context.mark.line
            var column = context.mark.column
            for (n, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                let indent = raw.prefix(while: { $0 == " " }).count
                let rest = raw.dropFirst(indent)
                if rest.hasPrefix("\(key):") || rest.hasPrefix("\"\(key)\":") || rest.hasPrefix("'\(key)':") {
                    seen += 1
                    if seen == 2 {
                        line = n + 1
                        column = indent + 1
                        break
                    }
                }
            }
            let all = duplicates.sorted().map { "'\($0)'" }.joined(separator: ", ")
            return .yaml(
                path: path, line: line, column: column,
                reason: "key \(all) is written twice in the same map: keep one of them.")
        case .composer(let context, let problem, let mark, _):
            let why = [context?.text, problem].compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: ": ")
            return .yaml(path: path, line: mark.line, column: mark.column, reason: "invalid YAML: \(why)")
        default:
            return .yaml(path: path, line: 1, column: 1, reason: "invalid YAML: \(error)")
        }
    }
}
