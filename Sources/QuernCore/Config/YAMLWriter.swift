public import QuernKit
import Yams

/// Writes a ``ConfigValue`` tree back as YAML that ``YAMLLoader`` reads to the same tree: block
/// maps and lists, every scalar double-quoted, keys in their order. Used for the effective config
/// of each dataset of a batch run, the config of `quern slurm`, and each name `quern init` writes.
///
/// Quoting and escaping are Yams' emitter's (libyaml's): it escapes what a YAML reader would fold
/// or drop in a double-quoted scalar (line breaks including U+0085 and U+2028, control characters,
/// a byte-order mark), so every string reads back identical, and a double-quoted scalar is never
/// retyped (`"yes"`, `"null"`, `"1e3"` stay strings).
public enum YAMLWriter {
    public static func write(_ value: ConfigValue) -> String {
        emit(node(value))
    }

    /// One scalar as a YAML double-quoted scalar, on one line: for configs written line by line
    /// with comments (`quern init`).
    public static func quote(_ s: String) -> String {
        var text = emit(.scalar(.init(s, .implicit, .doubleQuoted)))
        while text.last == "\n" { text.removeLast() }
        return text
    }

    /// A YAML comment line (`# text`) whose text cannot end the comment: line breaks and control
    /// characters in names are escaped (``OneLine``).
    public static func comment(_ text: String) -> String {
        "# " + OneLine.escape(text)
    }

    private static func node(_ value: ConfigValue) -> Node {
        switch value.kind {
        case .scalar(let s): .scalar(.init(s, .implicit, .doubleQuoted))
        case .null: .scalar(.init("null", .implicit, .plain))
        case .list(let items): .sequence(.init(items.map(node), .implicit, items.isEmpty ? .flow : .block))
        case .map(let entries):
            .mapping(
                .init(
                    entries.map { (Node.scalar(.init($0.0, .implicit, .doubleQuoted)), node($0.1)) }, .implicit,
                    entries.isEmpty ? .flow : .block))
        }
    }

    private static func emit(_ node: Node) -> String {
        do {
            // No width: a long scalar stays on its line. Unicode as it is, except what must be escaped.
            return try Yams.serialize(node: node, width: -1, allowUnicode: true)
        } catch {
            // The emitter refuses only malformed event streams, which a ConfigValue tree cannot make.
            preconditionFailure("Yams could not write a config tree: \(error)")
        }
    }
}
