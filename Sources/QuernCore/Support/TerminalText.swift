/// Text from outside quern (file names, cell values, a hook's words) made safe for a terminal and a
/// line-oriented log. A file name may hold an escape sequence (which would recolour or rewrite the
/// terminal), a newline (which would split a summary line and forge the next one) or a
/// bidirectional override (which would show the name reversed). They are written as escapes, the
/// way JSON writes them in `failed.jsonl`: `\n`, `\r`, `\t`, `\u001b`.
///
/// Every message that shows a name passes it through ``escape(_:keepingNewlines:)``; the console
/// and the text log also pass whole messages through it with `keepingNewlines` (their own line
/// breaks are kept, anything else that would act on a terminal is not).
public enum TerminalText {
    /// `text` with every character that acts on a terminal or breaks a line written as an escape.
    /// Plain text (letters of any script, spaces, punctuation, backslashes) is left as it is.
    /// `keepingNewlines`: `\n` and `\t` are kept (for whole multi-line messages, not for names).
    public static func escape(_ text: String, keepingNewlines: Bool = false) -> String {
        // Fast path: most text has nothing to escape.
        guard text.unicodeScalars.contains(where: { needsEscape($0, keepingNewlines: keepingNewlines) }) else {
            return text
        }
        var out = ""
        out.reserveCapacity(text.utf8.count + 8)
        for scalar in text.unicodeScalars {
            guard needsEscape(scalar, keepingNewlines: keepingNewlines) else {
                out.unicodeScalars.append(scalar)
                continue
            }
            switch scalar {
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
            }
        }
        return out
    }

    /// C0 and C1 controls (ESC, CR, BEL, NEL...), DEL, line and paragraph separators, and the
    /// bidirectional embedding, override and isolate characters.
    static func needsEscape(_ s: Unicode.Scalar, keepingNewlines: Bool) -> Bool {
        switch s.value {
        case 0x0A, 0x09: return !keepingNewlines
        case 0x00...0x1F, 0x7F...0x9F: return true
        case 0x2028, 0x2029, 0x202A...0x202E, 0x2066...0x2069, 0x200E, 0x200F, 0x061C: return true
        default: return false
        }
    }
}
