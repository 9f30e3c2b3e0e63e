import QuernCore
import Testing

/// When an empty split is a warning and when it stops the publish (see ``SplitCheck``).
@Suite struct SplitCheckTests {
    @Test func anEmptySplitTheDataCouldFillIsAProblem() {
        // 1,000 groups, 10% val: about 100 expected, none came: the keys do not spread.
        let r = SplitCheck.emptySplits(rows: [900, 0, 100], fractions: [0.8, 0.1, 0.1], by: .group, keys: 1000)
        #expect(r.warnings.isEmpty)
        #expect(
            r.problems.count == 1 && r.problems[0].contains("val split is empty")
                && r.problems[0].contains("1000 distinct groups"), "\(r.problems)")
    }

    @Test func anEmptySplitWithTooFewKeysIsAWarning() {
        let r = SplitCheck.emptySplits(rows: [50, 0, 0], fractions: [0.8, 0.1, 0.1], by: .group, keys: 3)
        #expect(r.problems.isEmpty)
        #expect(
            r.warnings.count == 2 && r.warnings[0].contains("val") && r.warnings[1].contains("test"), "\(r.warnings)")
    }

    @Test func aSplitAskedToBeEmptyOrNoRowsAtAllIsNothing() {
        #expect(SplitCheck.emptySplits(rows: [90, 10, 0], fractions: [0.9, 0.1, 0], by: .row, keys: 100) == ([], []))
        #expect(SplitCheck.emptySplits(rows: [0, 0, 0], fractions: [0.8, 0.1, 0.1], by: .row, keys: 0) == ([], []))
    }

    /// The advice fits how the rows were split: "use split.by: row" only when they were not.
    @Test func theAdviceNeverSuggestsTheSplitAlreadyInUse() {
        let byRow = SplitCheck.emptySplits(rows: [7, 0, 0], fractions: [0.8, 0.1, 0.1], by: .row, keys: 7)
        #expect(byRow.warnings.count == 2 && byRow.warnings.allSatisfy { !$0.contains("split.by: row") }, "\(byRow)")
        let byGroup = SplitCheck.emptySplits(rows: [7, 0, 0], fractions: [0.8, 0.1, 0.1], by: .group, keys: 7)
        #expect(byGroup.warnings.allSatisfy { $0.contains("split.by: row") }, "\(byGroup)")
    }
}
