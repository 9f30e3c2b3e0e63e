import Foundation
import QuernCore
import QuernTestSupport
import Testing

/// Under a small open-file limit, quern says "too many open files" and how to raise the limit,
/// whichever file it was opening: never a Foundation error number, never "permission".
@Suite("Open-file limit")
struct OpenFileLimitTests {
    @Test(arguments: [8, 10, 12, 16])
    func tooManyOpenFilesSaysSoAndHowToRaiseTheLimit(limit: Int) throws {
        let ws = TempWorkspace()
        #expect(try QuernProcess.run(["generate", "--files", "6", "--rows", "5", "--out", "\(ws.path)/in"]).status == 0)
        let command = "ulimit -n \(limit); exec '\(QuernProcess.binary)' run --config '\(ExtractEndToEndTests.config)' --input-dir in --no-hooks -q"
        let r = try SpawnedProcess.run(["/bin/bash", "-c", command], cwd: ws.path)
        #expect(r.status != 0 && r.signal == nil, "limit \(limit): \(r.stderr)")
        #expect(r.stderr.contains("Too many open files") && r.stderr.contains("ulimit -n"), "limit \(limit): \(r.stderr)")
        #expect(!r.stderr.contains("NSCocoaErrorDomain") && !r.stderr.lowercased().contains("permission"), "limit \(limit): \(r.stderr)")
    }
}
