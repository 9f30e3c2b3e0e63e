/// Text made safe for one line of a comment, a script or a message: line breaks of every kind
/// (`\n`, `\r`, U+0085, U+2028, U+2029), control characters and a byte-order mark are written as
/// escapes (`\n`, `\t`, `\u{85}`), so a name can neither end the line it is written on (and have
/// what follows read as YAML or run as a command) nor hide what it holds from a reader.
public enum OneLine {
    /// `s` with every character that ``needsEscape(_:)`` escaped.
    public static func escape(_ s: String) -> String {
        escape(s, keepingNewlines: false)
    }

    /// `s` with control characters escaped but `\n` kept: for messages that span lines on purpose
    /// (a YAML error quoting its line) and must still never carry a NUL or a terminal escape.
    public static func escapeKeepingNewlines(_ s: String) -> String {
        escape(s, keepingNewlines: true)
    }

    /// Whether a character must be escaped: it breaks a line, is a control character (C0, DEL,
    /// C1) or is a byte-order mark.
    public static func needsEscape(_ u: Unicode.Scalar) -> Bool {
        u.value < 0x20 || (0x7F...0x9F).contains(u.value) || u.value == 0x2028 || u.value == 0x2029 || u.value == 0xFEFF
    }

    private static func escape(_ s: String, keepingNewlines: Bool) -> String {
        guard s.unicodeScalars.contains(where: needsEscape) else { return s }
        var out = ""
        for u in s.unicodeScalars {
            switch u {
            case "\n" where keepingNewlines: out.unicodeScalars.append(u)
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\0": out += "\\0"
            case _ where needsEscape(u): out += "\\u{\(String(u.value, radix: 16))}"
            default: out.unicodeScalars.append(u)
            }
        }
        return out
    }
}
