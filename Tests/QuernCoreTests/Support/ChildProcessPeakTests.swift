import Foundation
import QuernCore
import Testing

@Suite("ChildProcess peak memory")
struct ChildProcessPeakTests {
    /// A small child of a large parent reports its own peak, not the parent's (which wait4's
    /// ru_maxrss gives after a vfork-style spawn).
    @Test func theChildsPeakIsItsOwn() async throws {
        let ballast = [UInt8](repeating: 1, count: 96 << 20)
        let r = await ChildProcess.run(
            argv: ["/bin/sleep", "0.3"], env: [:], name: "sleep", timeout: 10, console: Console(quiet: true))
        #expect(r.status == 0)
        #expect(
            r.peakBytes > 0 && r.peakBytes < 32 << 20,
            "sleep's peak: \(Human.bytes(r.peakBytes)), this process holds \(Human.bytes(ballast.count))")
        withExtendedLifetime(ballast) {}
    }
}
