/// Parses a list of plugin specs such as `concat,balance:per_class=100,mode=cap,shuffle`: a comma
/// starts a new candidate unless what follows is another `key=value` of the previous one.
public enum CandidateList {
    public static func parse(_ text: String) -> [String] {
        var out: [String] = []
        for token in text.split(separator: ",").map({ String($0).trimmingCharacters(in: " ") }) where !token.isEmpty {
            if let last = out.last, last.contains(":"), token.contains("="), !token.contains(":") {
                out[out.count - 1] = last + "," + token
            } else {
                out.append(token)
            }
        }
        return out
    }

    /// A folder name for a candidate: `balance:per_class=10` -> `balance_per_class_10`.
    public static func folderName(_ spec: String) -> String {
        var name = String(spec.map { $0.isLetter || $0.isNumber || $0 == "-" ? $0 : "_" })
        while name.contains("__") { name = name.replacingOccurrences(of: "__", with: "_") }
        return name.trimmingCharacters(in: "_")
    }
}

extension String {
    func replacingOccurrences(of a: String, with b: String) -> String {
        split(separator: a, omittingEmptySubsequences: false).joined(separator: b)
    }
}
