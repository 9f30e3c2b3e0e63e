import Testing

@testable import QuernCore

/// The budget's rule, batch by batch: what the journal cost plus the batches running and the next
/// one (each estimated at the most a batch has cost) stays within `extract.budget`.
@Suite struct BudgetGateTests {
    @Test func withoutABudgetEveryBatchStarts() {
        var gate = BudgetGate(budget: nil, journaled: [5, 7])
        for _ in 0..<10 {
            #expect(gate.mayStart())
            gate.started()
        }
    }

    @Test func untilOneCostIsKnownBatchesRunOneAtATime() {
        var gate = BudgetGate(budget: 1, journaled: [nil, nil])
        #expect(gate.mayStart())
        gate.started()
        #expect(!gate.mayStart(), "a second batch waits for the first's cost")
        gate.finished(cost: 0.2)
        #expect(gate.spent == 0.2 && gate.largest == 0.2)
        // 0.2 spent + 4 batches of 0.2 = 1.0: four may run at once, not five.
        for _ in 0..<4 {
            #expect(gate.mayStart())
            gate.started()
        }
        #expect(!gate.mayStart())
    }

    @Test func theJournalsCostsCountAndTheLargestIsTheEstimate() {
        var gate = BudgetGate(budget: 1, journaled: [0.1, 0.3, nil])
        #expect(gate.spent == 0.4 && gate.largest == 0.3)
        #expect(gate.mayStart())
        gate.started()
        #expect(gate.mayStart(), "0.4 + 2 x 0.3 = 1.0 fits")
        gate.started()
        #expect(!gate.mayStart(), "0.4 + 3 x 0.3 passes 1.0")
        gate.finished(cost: nil, journaled: false)
        gate.finished(cost: 0.5)
        #expect(gate.spent == 0.9 && gate.largest == 0.5)
        #expect(!gate.mayStart(), "0.9 + 0.5 passes 1.0")
        #expect(gate.budgetFor(left: 3) == 2.4, "what the rest needs at the estimate")
    }

    @Test func aBudgetAlreadySpentStartsNothing() {
        #expect(!BudgetGate(budget: 0.5, journaled: [0.5]).mayStart())
        #expect(!BudgetGate(budget: 0, journaled: []).mayStart())
        #expect(BudgetGate(budget: 0.5, journaled: [0, 0]).mayStart(), "free batches fit any budget left")
    }
}
