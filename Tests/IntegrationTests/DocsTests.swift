import Foundation
import QuernTestSupport
import Testing

/// docs/cli.md is generated from the CLI's own help; it must match the CLI as built.
@Suite("Generated docs")
struct DocsTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    @Test func cliReferenceMatchesTheHelp() throws {
        let status = try QuernProcess.shell(
            "scripts/cli-docs.sh '\(QuernProcess.binary)' | diff -u docs/cli.md - >&2", cwd: Self.root)
        #expect(status == 0, "docs/cli.md is stale: run `make docs` (the diff is above)")
    }
}
