/// Names of the datasets of a batch run (`quern run --datasets DIR`). A name becomes a folder
/// under the intermediate, output and log folders, so it is made safe first: only ASCII letters,
/// digits, `-` and `_` survive; everything else (spaces, `@`, `.`, `/`, `\`, non-ASCII letters)
/// becomes `_`, runs of `_` collapse to one, leading and trailing `_`/`-` go, and a file's
/// data extension goes first (`"my dataset.csv"` -> `my_dataset`, `"sales.2023.csv.gz"` ->
/// `sales_2023`; see ``DataFileExtensions``). A name can therefore never be `..`, hold a path
/// separator, or be absolute.
public enum DatasetNames {
    /// The longest name kept, in characters (file systems allow 255 bytes per component).
    public static let maxLength = 100
    /// The name of an input whose name has nothing usable in it (`..`, `@@@`).
    public static let fallback = "dataset"

    /// The safe name of one input. For a file, pass the `extensions` to drop first
    /// (`x.csv.gz` -> `x`); a folder's name keeps its dots as `_` (`sales.2023` -> `sales_2023`).
    public static func sanitize(_ raw: String, dropping extensions: DataFileExtensions? = nil) -> String {
        let base = extensions?.strip(raw) ?? raw
        var out = ""
        var lastUnderscore = false
        for ch in base.unicodeScalars {
            let keep =
                ch.isASCII
                && (("a"..."z").contains(ch) || ("A"..."Z").contains(ch) || ("0"..."9").contains(ch) || ch == "-")
            if keep {
                out.unicodeScalars.append(ch)
                lastUnderscore = false
            } else if !lastUnderscore {
                out.append("_")
                lastUnderscore = true
            }
        }
        let trimSet: Set<Character> = ["_", "-"]
        while let f = out.first, trimSet.contains(f) { out.removeFirst() }
        while let l = out.last, trimSet.contains(l) { out.removeLast() }
        if out.count > maxLength {
            out = String(out.prefix(maxLength))
            while let l = out.last, trimSet.contains(l) { out.removeLast() }
        }
        return out.isEmpty ? fallback : out
    }

    /// One input of a batch run and the name it gets.
    public struct Assignment: Sendable, Equatable {
        /// The folder or file name as found in the datasets folder.
        public var input: String
        public var name: String
        /// Set when the sanitized name was taken: what happened, for the console.
        public var note: String?
    }

    /// Names for every input, in the order given (callers sort by name first, so the names are
    /// stable from run to run). Two inputs that sanitize to the same name (compared without case,
    /// as some file systems do) get distinct names: the later one gets `_2`, `_3`, ... and a note.
    /// `extensions` is given for files and nil for folders, as in ``sanitize(_:dropping:)``.
    public static func assign(_ inputs: [String], dropping extensions: DataFileExtensions?) -> [Assignment] {
        var taken: [String: String] = [:]  // lowercased name -> input that holds it
        var out: [Assignment] = []
        for input in inputs {
            let base = sanitize(input, dropping: extensions)
            var name = base
            var k = 2
            while taken[name.lowercased()] != nil {
                name = "\(base)_\(k)"
                k += 1
            }
            var note: String? = nil
            if name != base {
                let holder = taken[base.lowercased()] ?? "another input"
                note = "'\(input)' and '\(holder)' both sanitize to '\(base)'; '\(input)' is named '\(name)'."
            }
            taken[name.lowercased()] = input
            out.append(Assignment(input: input, name: name, note: note))
        }
        return out
    }
}
