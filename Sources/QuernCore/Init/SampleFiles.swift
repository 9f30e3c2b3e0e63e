/// Which files `quern init` reads: spread over the whole folder, never only its first part. A
/// dataset split into many files often keeps a class, a period or a source in a few of them (often
/// the last), and a value the sample never sees is missing from the config: rows with it are then
/// dropped. So about three quarters of the picks are evenly spaced over the files in name order,
/// the first and the last included, and the rest are spread over the files by size, the largest
/// first (a big file holds more of the data).
public enum SampleFiles {
    /// At most `count` of `files` (all of them when there are no more), in their given order.
    public static func choose(_ files: [InputFile], count: Int) -> [InputFile] {
        let n = files.count
        guard count > 0, n > count else { return count > 0 ? files : [] }
        var chosen = Set<Int>()
        let byPosition = count == 1 ? 0 : count - count / 4
        if byPosition == 1 {
            chosen.insert(0)
        } else {
            for i in 0..<byPosition { chosen.insert(i * (n - 1) / (byPosition - 1)) }
        }
        // Largest first, ties in name order; then evenly over that order, skipping files already chosen.
        let bySize = files.indices.sorted {
            files[$0].size != files[$1].size ? files[$0].size > files[$1].size : $0 < $1
        }
        let rest = count - chosen.count
        if rest > 0 {
            var k = 0
            for j in 0..<rest {
                k = max(k, j * n / rest)
                while k < n && chosen.contains(bySize[k]) { k += 1 }
                if k < n { chosen.insert(bySize[k]) }
            }
        }
        // Evenly spaced picks can coincide when count is close to n: fill in name order.
        var i = 0
        while chosen.count < count && i < n {
            chosen.insert(i)
            i += 1
        }
        return chosen.sorted().map { files[$0] }
    }
}
