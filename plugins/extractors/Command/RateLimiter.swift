import QuernKit

/// When each record may be sent, at most `perSecond` a second: slots `1/perSecond` apart, taken in
/// turn by whoever asks; an idle spell gives no burst afterwards (a slot is never in the past).
struct RateSchedule: Equatable {
    let interval: Double
    private(set) var next: Double? = nil

    init(perSecond: Double) { interval = 1 / perSecond }

    /// The time the caller may send, given the time `now`; the schedule moves on one slot.
    mutating func slot(now: Double) -> Double {
        let t = max(now, next ?? now)
        next = t + interval
        return t
    }
}

/// The rate limit of one extractor value, shared by all its workers (`rate_limit`).
final class RateLimiter: @unchecked Sendable {
    private let lock = KitLock()
    private var schedule: RateSchedule

    init(perSecond: Double) { schedule = RateSchedule(perSecond: perSecond) }

    /// Waits for the caller's slot.
    func wait() {
        let now = kitMonotonicSeconds()
        let t = lock.withLock { schedule.slot(now: now) }
        kitSleep(t - now)
    }
}
