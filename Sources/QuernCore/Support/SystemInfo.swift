import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Number of cores this process may use.
public enum ProcessInfoCores {
    public static var count: Int { ProcessInfo.processInfo.activeProcessorCount }
}

/// Peak resident memory of this process so far, in bytes: VmHWM, as getrusage's ru_maxrss also
/// counts the spawning process's memory when quern was started by a vfork-style spawn.
/// Never lower than an earlier answer: the kernel's VmHWM is the larger of a recorded mark and
/// the current (per-CPU approximate) resident size, so two reads can go down by a few pages.
public func peakResidentBytes() -> Int {
    var now = ChildProcess.highWaterMark(of: getpid())
    if now <= 0 {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        now = Int(usage.ru_maxrss) * 1024
    }
    let (_, seen) = peakSeen.max(now, ordering: .relaxed)
    return seen
}

private let peakSeen = Atomic<Int>(0)

/// Human-readable sizes and durations for the console.
public enum Human {
    public static func bytes(_ n: Int) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var v = Double(n)
        var u = 0
        while v >= 1024 && u < units.count - 1 {
            v /= 1024
            u += 1
        }
        return u == 0 ? "\(n) B" : String(format: "%.1f %@", v, units[u])
    }

    public static func count(_ n: Int) -> String {
        let s = String(n)
        var out = ""
        for (i, c) in s.reversed().enumerated() {
            if i > 0 && i % 3 == 0 && c != "-" { out.append(",") }
            out.append(c)
        }
        return String(out.reversed())
    }

    public static func duration(_ seconds: Double) -> String {
        if seconds < 60 { return String(format: "%.1f s", seconds) }
        let s = Int(seconds.rounded())
        return s >= 3600
            ? String(format: "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60) : String(format: "%d:%02d", s / 60, s % 60)
    }
}

/// Seconds since an arbitrary point, monotonic.
public func monotonicSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}
