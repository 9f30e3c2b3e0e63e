/// Writes a ``ConfigValue`` tree back as YAML that ``YAMLLoader`` reads to the same tree: block
/// maps and lists, every scalar double-quoted (JSON escapes are valid YAML), keys in their order.
/// Used for the effective config of each dataset of a batch run.
public enum YAMLWriter {
    public static func write(_ value: ConfigValue) -> String {
        var out = ""
        emit(value, indent: 0, into: &out, inline: false)
        if !out.hasSuffix("\n") { out += "\n" }
        return out
    }

    private static func emit(_ value: ConfigValue, indent: Int, into out: inout String, inline: Bool) {
        let pad = String(repeating: " ", count: indent)
        switch value.kind {
        case .scalar(let s): out += quote(s) + "\n"
        case .null: out += "null\n"
        case .list(let items):
            if items.isEmpty { out += "[]\n"; return }
            if inline { out += "\n" }
            for item in items {
                out += pad + "- "
                if case .map(let e) = item.kind, !e.isEmpty {
                    // A map inside a list: its first key on the dash line, the rest aligned under it.
                    var inner = ""
                    emit(item, indent: indent + 2, into: &inner, inline: false)
                    out += String(inner.dropFirst(indent + 2))
                } else {
                    emit(item, indent: indent + 2, into: &out, inline: true)
                }
            }
        case .map(let entries):
            if entries.isEmpty { out += "{}\n"; return }
            if inline { out += "\n" }
            for (k, v) in entries {
                out += pad + quote(k) + ":"
                switch v.kind {
                case .scalar, .null: out += " "
                case .list(let l) where l.isEmpty: out += " "
                case .map(let m) where m.isEmpty: out += " "
                default: break
                }
                emit(v, indent: indent + 2, into: &out, inline: true)
            }
        }
    }

    /// A YAML double-quoted scalar.
    static func quote(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            default:
                if u.value < 0x20 || u.value == 0x7F {
                    let hex = String(u.value, radix: 16)
                    out += "\\x" + String(repeating: "0", count: 2 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(u)
                }
            }
        }
        return out + "\""
    }
}
