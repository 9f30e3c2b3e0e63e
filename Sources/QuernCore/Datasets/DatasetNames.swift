/// Names of the datasets of a batch run (`quern run --datasets DIR`). A name becomes a folder
/// under the intermediate, output and log folders, so it is made safe first: only ASCII letters,
/// digits, `-` and `_` survive; everything else (spaces, `@`, `.`, `/`, `\`, non-ASCII letters)
/// becomes `_`, runs of `_` collapse to one, leading and trailing `_`/`-` go, and a file's
/// extension goes first (`"my dataset.csv"` -> `my_dataset`). A name can therefore never be
/// `..`, hold a path separator, or be absolute.
public enum DatasetNames {
    /// The longest name kept, in characters (file systems allow 255 bytes per component).
    public static let maxLength = 100
    /// The name of an input whose name has nothing usable in it (`..`, `@@@`).
    public static let fallback = "dataset"

    /// The safe name of one input. `isFile` drops the extensions first (`x.csv.gz` -> `x`).
    public static func sanitize(_ raw: String, isFile: Bool = false) -> String {
        var base = raw
        if isFile { base = dropExtensions(base) }
        var out = ""
        var lastUnderscore = false
        for ch in base.unicodeScalars {
            let keep = ch.isASCII && (("a"..."z").contains(ch) || ("A"..."Z").contains(ch) || ("0"..."9").contains(ch) || ch == "-")
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
    public static func assign(_ inputs: [String], isFile: Bool) -> [Assignment] {
        var taken: [String: String] = [:]  // lowercased name -> input that holds it
        var out: [Assignment] = []
        for input in inputs {
            let base = sanitize(input, isFile: isFile)
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

    /// `x.csv` -> `x`, `x.csv.gz` -> `x` (up to two short extensions); a leading dot stays.
    static func dropExtensions(_ name: String) -> String {
        var s = name
        for _ in 0..<2 {
            guard let dot = s.lastIndex(of: "."), dot != s.startIndex else { break }
            let ext = s[s.index(after: dot)...]
            guard !ext.isEmpty, ext.count <= 5, ext.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) }) else { break }
            s = String(s[..<dot])
        }
        return s
    }
}
