import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Peak resident memory of each stage, not only of the process so far. Linux keeps one high-water
/// mark per process (VmHWM). A stage during which it rose set the process's peak, and that mark is
/// its exact peak; for a stage that stayed below an earlier stage's peak, the highest resident size
/// sampled every 10 ms while it ran (a close lower bound). The mark is never reset (that would also
/// hide the true peak from whoever measures quern from outside, as `wait4` does).
enum MemoryPeaks {
    private struct Open {
        var stage: StageName
        var markAtStart: Int
        var sampled: Int
    }

    private struct State {
        var open: [Open] = []
        var finished: [StageName: Int] = [:]
        var sampling = false
    }

    private static let state = Mutex(State())

    /// A stage starts: its peak is counted from now.
    static func begin(_ stage: StageName) {
        let startSampler = state.withLock { s in
            s.open.append(Open(stage: stage, markAtStart: peakResidentBytes(), sampled: currentResidentBytes()))
            defer { s.sampling = true }
            return !s.sampling
        }
        if startSampler {
            Thread.detachNewThread {
                while true {
                    usleep(10_000)
                    let now = currentResidentBytes()
                    state.withLock { s in for i in s.open.indices { s.open[i].sampled = max(s.open[i].sampled, now) } }
                }
            }
        }
    }

    /// A stage ended; returns its peak.
    @discardableResult
    static func end(_ stage: StageName) -> Int {
        let mark = peakResidentBytes()
        let now = currentResidentBytes()
        return state.withLock { s in
            guard let i = s.open.lastIndex(where: { $0.stage == stage }) else { return mark }
            let o = s.open.remove(at: i)
            let peak = mark > o.markAtStart ? mark : max(o.sampled, now)
            s.finished[stage] = peak
            return peak
        }
    }

    /// The peak of the last run of `stage`, once it has ended.
    static func peak(of stage: StageName) -> Int? { state.withLock { $0.finished[stage] } }
}
