import Foundation
import QuernKit
import Testing

/// The kit's child program spoken to in lines (what the `command` extractor runs a user's program
/// with): lines both ways, a timeout, the last stderr lines, how it ended, and an end that takes
/// its whole process group with it.
@Suite("LineProcess")
struct LineProcessTests {
    @Test func linesGoBothWaysAndStdinsEndEndsIt() throws {
        let p = try LineProcess(["/bin/sh", "-c", "while read x; do echo \"got $x\"; done; echo bye >&2; exit 5"])
        #expect(p.send(Array("one\ntwo\n".utf8)))
        #expect(p.readLine(timeout: 10) == .line(Array("got one".utf8)))
        #expect(p.readLine(timeout: 10) == .line(Array("got two".utf8)))
        p.finish(grace: 10)
        #expect(p.ending() == "exited with status 5")
    }

    @Test func aSilentProgramTimesOutAndADeadOneIsReportedWithItsStderr() throws {
        let slow = try LineProcess(["/bin/sh", "-c", "sleep 30"])
        #expect(slow.readLine(timeout: 0.2) == .timedOut)
        slow.kill()
        #expect(slow.ending() == "was killed by signal 9")
        let dead = try LineProcess(["/bin/sh", "-c", "echo 'no api key' >&2; exit 2"])
        #expect(dead.readLine(timeout: 10) == .ended)
        #expect(dead.stderrTail == "no api key\n")
        #expect(dead.ending() == "exited with status 2")
        #expect(!dead.send(Array("late\n".utf8)), "writing to a program that ended is an error, not a SIGPIPE")
    }

    @Test func killEndsTheWholeProcessGroup() throws {
        let ws = FileManager.default.temporaryDirectory.appendingPathComponent("lp-\(UUID().uuidString)").path
        let p = try LineProcess(["/bin/sh", "-c", "sleep 60 & echo $! > \(ws); echo ready; wait"])
        #expect(p.readLine(timeout: 10) == .line(Array("ready".utf8)))
        let text = try String(contentsOfFile: ws, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let grandchild = try #require(Int32(text))
        p.kill()
        var gone = false
        for _ in 0..<200 where !gone {
            // The grandchild is not ours to reap: once killed it is a zombie of init, or gone.
            let stat = (try? String(contentsOfFile: "/proc/\(grandchild)/stat", encoding: .utf8)) ?? ""
            gone = stat.isEmpty || stat.contains(") Z ")
            if !gone { usleep(10_000) }
        }
        #expect(gone, "the program's own child was ended with it")
        try? FileManager.default.removeItem(atPath: ws)
    }

    @Test func aProgramThatDoesNotExistIsAnErrorSayingWhatToCheck() {
        #expect {
            _ = try LineProcess(["/nonexistent/program", "x"])
        } throws: { "\($0)".contains("cannot start /nonexistent/program") && "\($0)".contains("[python3, worker.py]") }
    }
}
