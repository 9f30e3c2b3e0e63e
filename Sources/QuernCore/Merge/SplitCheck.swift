public import QuernKit
import Synchronization

/// The distinct split keys a merge saw: group keys (as 64-bit hashes, up to ``cap``) or rows. An
/// empty split means something else when thousands of keys could have landed in it than when there
/// were three groups; this tells them apart. Filled by the loader threads of
/// ``BatchSet/forEachBlock(split:_:)``, each batch counted once.
public final class SplitKeyTally: Sendable {
    /// Beyond this many distinct groups the count stops growing: enough to call any split with a
    /// fraction of 0.001 or more fillable, in about 1 MiB.
    public static let cap = 1 << 16

    private struct State {
        var batches = Set<Int>()
        var groups = Set<UInt64>()
        var rows = 0
    }
    private let state = Mutex(State())

    public init() {}

    func record(_ batch: RowBatch, index: Int, by: SplitFunction.By) {
        // Hash outside the lock: two loaders record at once.
        let hashes = by == .group ? batch.groups.map { FNV1a64.hash($0) } : []
        state.withLock { s in
            guard s.batches.insert(index).inserted else { return }
            s.rows += batch.count
            for h in hashes where s.groups.count < Self.cap { s.groups.insert(h) }
        }
    }

    /// Distinct keys seen for `by`: rows, or groups (at most ``cap``).
    public func keys(by: SplitFunction.By) -> Int { state.withLock { by == .row ? $0.rows : $0.groups.count } }
}

/// Splits that came out empty though their fraction is not 0. One the data could have filled
/// (about ``fillable`` keys or more expected there: the chance a working hash leaves it empty is
/// below e^-20) is a problem that stops the publish; one with too few keys to fill it is a warning.
public enum SplitCheck {
    public static let fillable = 20.0

    public static func emptySplits(rows: [Int], fractions: [Double], by: SplitFunction.By, keys: Int) -> (
        warnings: [String], problems: [String]
    ) {
        var warnings: [String] = []
        var problems: [String] = []
        guard rows.reduce(0, +) > 0 else { return ([], []) }
        let unit = by == .group ? "groups" : "rows"
        let many = by == .group && keys >= SplitKeyTally.cap ? "\(keys) or more" : "\(keys)"
        for (s, name) in SplitFunction.names.enumerated() where rows[s] == 0 && fractions[s] > 0 {
            let expected = Double(keys) * fractions[s]
            let about = expected < 10 ? String(format: "%.1f", expected) : String(Int(expected))
            if expected >= fillable {
                problems.append(
                    "the \(name) split is empty, though split.fractions gives it \(fractions[s]) and the rows have \(many) distinct \(unit) (about \(about) expected there): the split keys do not spread. \(by == .group ? "Check that the group column (extractor group:) holds distinct values, or use split.by: row." : "Try another --split-seed.")"
                )
            } else {
                let remedies =
                    by == .group ? "use split.by: row, or try another --split-seed" : "or try another --split-seed"
                warnings.append(
                    "the \(name) split is empty: split.fractions gives it \(fractions[s]), but the rows have only \(many) distinct \(unit) (about \(about) expected there). Give more \(unit), \(remedies)."
                )
            }
        }
        return (warnings, problems)
    }
}
