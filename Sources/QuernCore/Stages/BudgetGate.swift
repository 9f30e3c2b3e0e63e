import Foundation

/// Holds an extract to `extract.budget`: before each batch starts, what the journal says the
/// batches cost so far, plus an estimate of what the batches running and this one will cost, must
/// stay within the budget. The estimate of a batch is the most any batch has cost (in the journal
/// or this run): a batch like the largest so far fits. Until one batch's cost is known, batches
/// run one at a time, so the first cost is learned before several are paid for at once.
///
/// Batches not started are left for the next run: finished ones are journaled with their cost
/// and never made again, so raising the budget and running again pays only for the rest.
struct BudgetGate: Sendable, Equatable {
    /// The budget; nil: no limit.
    let budget: Double?
    /// What the journaled batches cost, summed.
    private(set) var spent: Double
    /// The most one batch cost; nil until one reported a cost.
    private(set) var largest: Double?
    /// Batches started and not yet finished.
    private(set) var running = 0

    /// A gate for `budget`, given what the journal's batches cost (nil: nothing reported).
    init(budget: Double?, journaled costs: [Double?]) {
        self.budget = budget
        spent = costs.reduce(0) { $0 + ($1 ?? 0) }
        largest = costs.compactMap { $0 }.max()
    }

    /// Whether one more batch may start now.
    func mayStart() -> Bool {
        guard let budget else { return true }
        guard spent < budget else { return false }
        guard let estimate = largest else { return running == 0 }
        return spent + Double(running + 1) * estimate <= budget
    }

    mutating func started() { running += 1 }

    /// A batch ended: journaled with `cost`, or (nil, `journaled` false) not made.
    mutating func finished(cost: Double?, journaled: Bool = true) {
        running -= 1
        guard journaled else { return }
        spent += cost ?? 0
        largest = max(largest ?? 0, cost ?? 0)
    }

    /// The budget that would let `left` more batches run at the current estimate.
    func budgetFor(left: Int) -> Double {
        let need = spent + Double(left) * (largest ?? 0)
        return (need * 100).rounded(.up) / 100
    }
}

/// The run stopped before a batch that would pass `extract.budget` (exit status 4).
public struct BudgetReached: Error, Sendable, CustomStringConvertible {
    public var budget: Double
    public var spent: Double
    public var estimate: Double?
    /// Batches of this shard not made.
    public var left: Int
    public var total: Int
    /// A budget that would let the rest run at the estimate.
    public var suggested: Double

    public var description: String {
        let next =
            estimate.map { "the next batch would cost about \(Self.amount($0)) (the most a batch has cost so far)" }
            ?? "nothing is left of it"
        return
            "budget reached: the journaled batches cost \(Self.amount(spent)) of extract.budget \(Self.amount(budget)), and \(next); "
            + "\(left) of \(total) batches are not made. Finished batches are kept and their records are never sent again: "
            + "raise the budget (--budget \(Self.amount(suggested)) covers the rest at that estimate) and run the same command again."
    }

    /// An amount as a person reads it: 4 significant digits (0.025, 1.2e+04).
    public static func amount(_ x: Double) -> String { String(format: "%.4g", x) }
}
