import Foundation
import QuernTestSupport
import Testing

@testable import QuernCore

/// Paths as users type them, taken apart and resolved without Foundation's path functions (which
/// trap on one-character names on Linux) and without expanding `~`.
@Suite("User paths")
struct UserPathTests {
    @Test(arguments: [
        ("o", "."), ("-", "."), (" ", "."), ("é/", "."), ("~", "."), ("~/mid", "~"), ("o/results", "o"),
        ("o/results/", "o"),
        ("/o", "/"), ("/", "/"), ("", "."), ("a/b/c", "a/b"), ("o/.", "o"),
    ])
    func theParentOfOddNamesIsTakenWithoutTrapping(_ path: String, _ parent: String) {
        #expect(UserPath.parent(of: path) == parent, "\(path)")
    }

    @Test(arguments: [("o", "o"), ("é/", "é"), ("a/b/", "b"), ("/", "/"), ("~", "~"), ("x.csv.gz", "x.csv.gz")])
    func theLastComponentOfOddNames(_ path: String, _ last: String) {
        #expect(UserPath.lastComponent(of: path) == last, "\(path)")
    }

    @Test func tildeIsAPlainNameNeverTheHomeFolder() {
        let cwd = FileManager.default.currentDirectoryPath
        #expect(UserPath.absolute("~") == "\(cwd)/~")
        #expect(UserPath.resolved("~/mid") == UserPath.resolved(".") + "/~/mid")
    }

    @Test func everySpellingOfASymlinkedFolderResolvesToItsTarget() throws {
        let ws = TempWorkspace()
        try FileManager.default.createDirectory(atPath: "\(ws.path)/real/sub", withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: "\(ws.path)/link", withDestinationPath: "real")
        let real = UserPath.resolved("\(ws.path)/real")
        for spelling in [
            "\(ws.path)/link", "\(ws.path)/link/", "\(ws.path)/link/.", "\(ws.path)/./link//", "\(ws.path)/real/sub/..",
        ] {
            #expect(UserPath.resolved(spelling) == real, "\(spelling)")
        }
        // A part that does not exist yet is appended to the resolved part as written.
        #expect(UserPath.resolved("\(ws.path)/link/new/x/") == "\(real)/new/x")
    }

    @Test func theNearestExistingFolderOfOneThatDoesNotExistYet() throws {
        let ws = TempWorkspace()
        #expect(UserPath.nearestExisting("\(ws.path)/o/results") == ws.path)
        #expect(UserPath.nearestExisting("\(ws.path)") == ws.path)
        #expect(UserPath.nearestExisting("x") == ".")
        #expect(UserPath.nearestExisting("") == ".")
    }

    @Test func mountPointsAreReadFromTheMountTableWithItsEscapes() {
        let table = """
            22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw
            35 22 0:31 / /tmp/with\\040space rw - tmpfs tmpfs rw
            36 22 8:1 /data /srv/bound\\134x rw - ext4 /dev/sda1 rw
            """
        #expect(MountPoint.mountPoints(inMountInfo: table) == ["/", "/tmp/with space", "/srv/bound\\x"])
        #expect(MountPoint.isMountPoint("/"))
        #expect(!MountPoint.isMountPoint(UserPath.resolved(TempWorkspace().path)))
    }
}
