public import Foundation
import Yams

/// Reads a YAML file into a ``ConfigValue`` tree that remembers line and column of every value.
public enum YAMLLoader {
    public static func load(path: String) throws(ConfigError) -> ConfigValue {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw .unreadable(path: path, reason: (error as NSError).localizedDescription)
        }
        return try parse(text, path: path)
    }

    public static func parse(_ text: String, path: String) throws(ConfigError) -> ConfigValue {
        let node: Node?
        do {
            node = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            throw yamlError(error, path: path, text: text)
        } catch {
            throw .yaml(path: path, line: 1, column: 1, reason: "\(error)")
        }
        guard let node else { return ConfigValue(.map([]), mark: SourceMark(file: path, line: 1, column: 1)) }
        return convert(node, path: path)
    }

    private static func convert(_ node: Node, path: String) -> ConfigValue {
        let mark = node.mark.map { SourceMark(file: path, line: $0.line, column: $0.column) }
        switch node {
        case .scalar(let s):
            if s.tag.description == "tag:yaml.org,2002:null" || (s.style == .plain && ["~", "null", "Null", "NULL"].contains(s.string)) {
                return ConfigValue(.null, mark: mark)
            }
            return ConfigValue(.scalar(s.string), mark: mark)
        case .sequence(let seq):
            return ConfigValue(.list(seq.map { convert($0, path: path) }), mark: mark)
        case .mapping(let map):
            return ConfigValue(
                .map(map.map { (k, v) in
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
            if mark.line >= 1, mark.line <= lines.count, lines[mark.line - 1].prefix(while: { $0 == " " || $0 == "\t" }).contains("\t") {
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
                    if seen == 2 { line = n + 1; column = indent + 1; break }
                }
            }
            let all = duplicates.sorted().map { "'\($0)'" }.joined(separator: ", ")
            return .yaml(path: path, line: line, column: column, reason: "key \(all) is written twice in the same map: keep one of them.")
        case .composer(let context, let problem, let mark, _):
            let why = [context?.text, problem].compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: ": ")
            return .yaml(path: path, line: mark.line, column: mark.column, reason: "invalid YAML: \(why)")
        default:
            return .yaml(path: path, line: 1, column: 1, reason: "invalid YAML: \(error)")
        }
    }
}
