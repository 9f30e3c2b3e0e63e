import Foundation
import QuernCore
import QuernTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Folders as users name them: one-character and odd names, symlinks, `.`, `~`, mount points, and
/// output folders that hold the user's own files. Quern replaces only the files it writes there.
@Suite("Output and intermediate folders, however they are named", .serialized)
struct OutputFolderTests {
    static let config = ExtractEndToEndTests.config

    /// A workspace with three small input files in `in`.
    func workspace() throws -> TempWorkspace {
        let ws = TempWorkspace("quern-folders")
        let r = try QuernProcess.run([
            "generate", "--files", "3", "--rows", "8", "--seed", "4", "--out", "\(ws.path)/in",
        ])
        #expect(r.status == 0, "\(r.stderr)")
        return ws
    }

    func quern(_ args: [String], cwd: String, env: [String: String] = [:]) throws -> QuernProcess.Result {
        // validate takes no run flags; --strict makes a problem with a folder an error.
        let extra = args.first == "validate" ? ["--strict"] : ["--no-hooks", "-q"]
        return try QuernProcess.run(args + ["--config", Self.config] + extra, cwd: cwd, env: env)
    }

    func mkdir(_ path: String) throws {
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    func inode(_ path: String) -> UInt64? {
        var st = stat()
        return lstat(path, &st) == 0 ? UInt64(st.st_ino) : nil
    }

    func contents(_ path: String) -> Data? { FileManager.default.contents(atPath: path) }

    /// The files quern writes with the games config, exactly (a user's `labels_mine.npz` is not one).
    static let outputNames =
        ["train", "val", "test"].flatMap { ["X_\($0).npy", "labels_\($0).npz", "masks_\($0).npz"] } + [
            "preprocessing_stats.json"
        ]

    func outputBytes(_ dir: String) -> [String: Data] {
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).filter(
            Self.outputNames.contains)
        return Dictionary(uniqueKeysWithValues: names.map { ($0, contents("\(dir)/\($0)") ?? Data()) })
    }

    /// The arrays only (`preprocessing_stats.json` holds timings, which differ between runs).
    func arrays(_ dir: String) -> [String: Data] { outputBytes(dir).filter { $0.key != "preprocessing_stats.json" } }

    func described(_ r: QuernProcess.Result) -> String {
        "exit \(r.status)\(r.signal.map { ", signal \($0)" } ?? ""): \(r.stderr)"
    }

    static let oddFolders = ["x", "o", "o/results", "~/mid", " ", "-", "é/"]

    /// Item 1: each of these names, for a folder that does not exist yet, as the intermediate and
    /// as the output folder of `validate`, `extract`, `merge` and `run`.
    @Test(arguments: oddFolders)
    func aFolderWithAOneCharacterComponentThatDoesNotExistYetWorksInEveryCommand(_ folder: String) throws {
        let ws = try workspace()
        let input = "\(ws.path)/in"
        for (i, command) in ["validate", "extract", "run"].enumerated() {
            let cwd = "\(ws.path)/as-intermediate-\(i)"
            try mkdir(cwd)
            let output = command == "extract" ? [] : ["--output-dir", "out"]
            let r = try quern([command, "--input-dir", input, "--intermediate-dir", folder] + output, cwd: cwd)
            #expect(r.signal == nil && r.status == 0, "\(command) --intermediate-dir '\(folder)': \(described(r))")
            if command != "validate" {
                #expect(
                    FileManager.default.fileExists(atPath: "\(cwd)/\(folder)/journal.jsonl"),
                    "\(command) --intermediate-dir '\(folder)'")
            }
        }
        for (i, command) in ["validate", "merge", "run"].enumerated() {
            let cwd = "\(ws.path)/as-output-\(i)"
            try mkdir(cwd)
            if command == "merge" {
                #expect(
                    try quern(["extract", "--input-dir", input, "--intermediate-dir", "mid"], cwd: cwd).status == 0)
            }
            let inputFlags = command == "merge" ? [] : ["--input-dir", input]
            let r = try quern([command] + inputFlags + ["--intermediate-dir", "mid", "--output-dir", folder], cwd: cwd)
            #expect(r.signal == nil && r.status == 0, "\(command) --output-dir '\(folder)': \(described(r))")
            if command != "validate" {
                #expect(
                    FileManager.default.fileExists(atPath: "\(cwd)/\(folder)/X_train.npy"),
                    "\(command) --output-dir '\(folder)'")
            }
        }
    }

    /// Item 27: an output folder with a one-character name that already exists, spelled with a
    /// trailing slash or `/.`, or a single non-ASCII letter, is published after the whole run.
    @Test(arguments: [("o", "o"), ("o/", "o"), ("o/.", "o"), ("é", "é")])
    func aOneCharacterOutputFolderThatExistsIsPublishedByRun(_ spelling: String, _ folder: String) throws {
        let ws = try workspace()
        try mkdir("\(ws.path)/\(folder)")
        let r = try quern(["run", "--input-dir", "in", "--output-dir", spelling], cwd: ws.path)
        #expect(r.signal == nil && r.status == 0, "run --output-dir '\(spelling)': \(described(r))")
        #expect(outputBytes("\(ws.path)/\(folder)").count == Self.outputNames.count, "\(ws.files(in: folder))")
        #expect(!ws.files(in: ".").contains { $0.contains(".staging-") }, "no staging debris")
    }

    /// Item 22: files and folders of the user's in the output folder stay exactly where they are,
    /// untouched (same inode, same bytes), however many times quern publishes there; the output
    /// folder itself is never replaced (item 28: so a mount point can be one).
    @Test func publishingLeavesTheUsersFilesAndFoldersUntouched() throws {
        let ws = try workspace()
        #expect(try quern(["extract", "--input-dir", "in"], cwd: ws.path).status == 0)
        ws.write("out/notes.txt", "my notes\n")
        ws.write("out/mine/a.txt", "a\n")
        ws.write("out/mine/deep/b.txt", "b\n")
        ws.write("out/labels_mine.npz", "not quern's\n")
        try FileManager.default.createSymbolicLink(atPath: "\(ws.path)/out/link", withDestinationPath: "../in")
        let watched = [
            "out", "out/notes.txt", "out/mine", "out/mine/a.txt", "out/mine/deep", "out/mine/deep/b.txt",
            "out/labels_mine.npz", "out/link",
        ]
        let before = watched.map { inode("\(ws.path)/\($0)") }
        for strategy in ["concat", "shuffle"] {
            let r = try quern(["merge", "--output-dir", "out", "--merge-strategy", strategy], cwd: ws.path)
            #expect(r.status == 0, "\(described(r))")
            #expect(outputBytes("\(ws.path)/out").count == Self.outputNames.count)
            #expect(
                watched.map { inode("\(ws.path)/\($0)") } == before,
                "the output folder and the user's entries are the same files as before (\(strategy))")
            #expect(contents("\(ws.path)/out/notes.txt") == Data("my notes\n".utf8))
            #expect(contents("\(ws.path)/out/mine/deep/b.txt") == Data("b\n".utf8))
            #expect(contents("\(ws.path)/out/labels_mine.npz") == Data("not quern's\n".utf8))
            #expect(try FileManager.default.destinationOfSymbolicLink(atPath: "\(ws.path)/out/link") == "../in")
            #expect(
                !ws.files(in: ".").contains { $0.contains(".staging-") || $0.contains(".old-") }, "no staging debris")
        }
        #expect(
            try QuernProcess.run(
                ["verify", "--intermediate-dir", "data/intermediate", "--output-dir", "out"], cwd: ws.path
            ).status == 0)
    }

    /// Item 22: `--output-dir .` and the same folder spelled absolute ($PWD) publish quern's files
    /// beside the user's, and copy, move or delete nothing else.
    @Test(arguments: [".", "$PWD"])
    func theCurrentFolderAsOutputKeepsEverythingElseInIt(_ spelling: String) throws {
        let ws = try workspace()
        let cwd = "\(ws.path)/project"
        ws.write("project/README.md", "mine\n")
        ws.write("project/src/main.c", "int main(void) { return 0; }\n")
        let watched = ["project", "project/README.md", "project/src", "project/src/main.c"].map {
            inode("\(ws.path)/\($0)")
        }
        let out = spelling == "." ? "." : cwd
        let r = try quern(["run", "--input-dir", "../in", "--output-dir", out], cwd: cwd)
        #expect(r.status == 0, "\(described(r))")
        #expect(outputBytes(cwd).count == Self.outputNames.count)
        #expect(
            ["project", "project/README.md", "project/src", "project/src/main.c"].map { inode("\(ws.path)/\($0)") }
                == watched)
        #expect(contents("\(cwd)/src/main.c") == Data("int main(void) { return 0; }\n".utf8))
        #expect(
            FileManager.default.fileExists(atPath: "\(cwd)/data/intermediate/journal.jsonl"),
            "the batches are where they were written")
        #expect(
            !ws.files(in: ".").contains { $0.contains(".staging-") }
                && !ws.files(in: "project").contains { $0.contains(".staging-") })
    }

    /// Item 22: quern never expands `~` (the shell does): `--output-dir '~'` is a folder named `~`
    /// in the current folder, and the home folder is not read or written.
    @Test func aTildeOutputFolderIsAFolderNamedTildeNotTheHomeFolder() throws {
        let ws = try workspace()
        ws.write("home/keep.txt", "home\n")
        try mkdir("\(ws.path)/work")
        let home = try FileManager.default.contentsOfDirectory(atPath: "\(ws.path)/home")
        let r = try quern(
            ["run", "--input-dir", "../in", "--output-dir", "~"], cwd: "\(ws.path)/work",
            env: ["HOME": "\(ws.path)/home"])
        #expect(r.status == 0, "\(described(r))")
        #expect(outputBytes("\(ws.path)/work/~").count == Self.outputNames.count)
        #expect(try FileManager.default.contentsOfDirectory(atPath: "\(ws.path)/home") == home)
    }

    /// Item 22: a merge with fewer output files (no mask heads) removes the quern files
    /// of the previous merge, and only those: a user's file with a quern-like name stays.
    @Test func aSmallerSetOfOutputsRemovesOnlyQuernsPreviousFiles() throws {
        let ws = try workspace()
        let base = try String(contentsOfFile: Self.config, encoding: .utf8)
        let plain = base.split(separator: "\n", omittingEmptySubsequences: false)
            .filter {
                !$0.hasPrefix("  labels:") && !$0.hasPrefix("    action:") && !$0.hasPrefix("  masks:")
                    && !$0.hasPrefix("    legal:")
            }
            .joined(separator: "\n")
        ws.write("plain.yaml", plain)
        #expect(try quern(["run", "--input-dir", "in", "--output-dir", "out"], cwd: ws.path).status == 0)
        #expect(ws.files(in: "out").contains("labels_train.npz"))
        ws.write("out/masks_mine.npz", "mine\n")
        let r = try QuernProcess.run(
            [
                "run", "--config", "\(ws.path)/plain.yaml", "--no-hooks", "-q", "--input-dir", "in",
                "--intermediate-dir", "mid-plain", "--output-dir", "out",
            ],
            cwd: ws.path)
        #expect(r.status == 0, "\(described(r))")
        #expect(
            ws.files(in: "out").filter { !$0.hasPrefix(".") } == [
                "X_test.npy", "X_train.npy", "X_val.npy", "checksums.json", "labels_test.npz", "labels_train.npz",
                "labels_val.npz", "masks_mine.npz",
                "preprocessing_stats.json", "quern_config.yaml", "transform.json",
            ])
        #expect(try QuernProcess.run(["verify", "--output-dir", "out"], cwd: ws.path).status == 0)
    }

    /// Item 22: a folder of the user's under the name of an output file is never replaced; the
    /// run refuses in pre-flight, before any work, naming it.
    @Test func aFolderNamedLikeAnOutputFileIsRefusedBeforeAnyWork() throws {
        let ws = try workspace()
        ws.write("out/X_train.npy/mine.txt", "mine\n")
        let r = try quern(["run", "--input-dir", "in", "--output-dir", "out"], cwd: ws.path)
        #expect(r.status != 0 && r.signal == nil, "\(described(r))")
        #expect(r.stderr.contains("out/X_train.npy is a folder"), "\(r.stderr)")
        #expect(
            !FileManager.default.fileExists(atPath: "\(ws.path)/data/intermediate/journal.jsonl"),
            "nothing was extracted")
        #expect(
            ws.files(in: "out") == ["X_train.npy"]
                && contents("\(ws.path)/out/X_train.npy/mine.txt") == Data("mine\n".utf8))
    }

    /// Item 22: a merge killed in the middle of publishing (some files moved, others not) is
    /// finished by the next merge before it does anything else; the user's files stay.
    @Test func aMergeKilledWhilePublishingIsFinishedByTheNextMerge() throws {
        let ws = try workspace()
        #expect(try quern(["extract", "--input-dir", "in"], cwd: ws.path).status == 0)
        #expect(
            try quern(["merge", "--output-dir", "reference", "--merge-strategy", "shuffle"], cwd: ws.path).status == 0)
        let reference = arrays("\(ws.path)/reference")
        #expect(try quern(["merge", "--output-dir", "out"], cwd: ws.path).status == 0)
        ws.write("out/notes.txt", "mine\n")
        let killed = try quern(
            ["merge", "--output-dir", "out", "--merge-strategy", "shuffle"], cwd: ws.path,
            env: ["QUERN_CRASH_AT": "output-moved#3"])
        #expect(killed.signal == SIGKILL, "the crash point is reached: \(described(killed))")
        #expect(arrays("\(ws.path)/out") != reference, "the kill left a half-published folder")
        // The next merge into the folder first finishes the interrupted publish, and says so.
        let next = try QuernProcess.run(
            ["merge", "--config", Self.config, "--no-hooks", "--output-dir", "out", "--merge-strategy", "shuffle"],
            cwd: ws.path)
        #expect(next.status == 0, "\(described(next))")
        #expect(
            next.stderr.contains("finished publishing the outputs of a merge that was interrupted"), "\(next.stderr)")
        #expect(arrays("\(ws.path)/out") == reference)
        #expect(contents("\(ws.path)/out/notes.txt") == Data("mine\n".utf8))
        #expect(!ws.files(in: ".").contains { $0.contains(".staging-") })
        #expect(try QuernProcess.run(["verify", "--output-dir", "out"], cwd: ws.path).status == 0)
    }

    /// Item 2: a symlinked output folder stays a symlink, and its target gets the outputs, whether
    /// it is spelled relative, absolute or with a trailing slash.
    @Test func aSymlinkedOutputFolderStaysALinkWhateverTheSpelling() throws {
        let ws = try workspace()
        try mkdir("\(ws.path)/real")
        try FileManager.default.createSymbolicLink(atPath: "\(ws.path)/link", withDestinationPath: "real")
        #expect(try quern(["extract", "--input-dir", "in"], cwd: ws.path).status == 0)
        for spelling in ["link", "\(ws.path)/link", "link/", "./link/."] {
            let r = try quern(["merge", "--output-dir", spelling], cwd: ws.path)
            #expect(r.status == 0, "\(spelling): \(described(r))")
            #expect(
                (try? FileManager.default.destinationOfSymbolicLink(atPath: "\(ws.path)/link")) == "real",
                "\(spelling): link is still a link to real")
            #expect(outputBytes("\(ws.path)/real").count == Self.outputNames.count, "\(spelling)")
        }
        #expect(!ws.files(in: ".").contains { $0.contains(".staging-") })
    }

    /// Item 2: two merges into one folder, named through a symlink and by its real path, exclude
    /// each other: the lock is taken on the resolved folder.
    @Test func twoSpellingsOfOneSymlinkedOutputFolderShareOneLock() throws {
        let ws = try workspace()
        try mkdir("\(ws.path)/real")
        try FileManager.default.createSymbolicLink(atPath: "\(ws.path)/link", withDestinationPath: "real")
        #expect(try quern(["extract", "--input-dir", "in"], cwd: ws.path).status == 0)
        let hook = ws.write("hooks/pre-split", "#!/bin/sh\necho $$ > hook.pid\ntouch holding\nexec sleep 60\n")
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: hook)
        let first = try QuernProcess.start(
            ["merge", "--config", Self.config, "--output-dir", "link", "-q"], cwd: ws.path, quietOutput: true)
        let deadline = Date().addingTimeInterval(30)
        while !FileManager.default.fileExists(atPath: "\(ws.path)/holding") && Date() < deadline && first.isRunning {
            usleep(10_000)
        }
        #expect(FileManager.default.fileExists(atPath: "\(ws.path)/holding"), "the first merge reached its hook")
        let second = try quern(["merge", "--output-dir", "\(ws.path)/real/"], cwd: ws.path)
        #expect(second.status == 1 && second.stderr.contains("another quern is working"), "\(described(second))")
        kill(first.pid, SIGSTOP)
        if let text = try? String(contentsOfFile: "\(ws.path)/hook.pid", encoding: .utf8),
            let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines))
        {
            kill(pid, SIGKILL)
        }
        kill(first.pid, SIGKILL)
        first.wait()
    }

    /// Whether this process may mount file systems (root with CAP_SYS_ADMIN): tried once.
    static let canMount: Bool = {
        guard getuid() == 0 else { return false }
        let dir = FileManager.default.temporaryDirectory.path + "/quern-mount-probe-\(getpid())"
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        guard (try? QuernProcess.shell("mount -t tmpfs quern-probe '\(dir)' 2>/dev/null")) == 0 else { return false }
        _ = try? QuernProcess.shell("umount '\(dir)'")
        return true
    }()

    /// Item 28: an output folder that is a mount point (a tmpfs, or a bind mount of a folder on the
    /// same file system) is published into, like any other.
    @Test(.enabled(if: canMount, "needs root allowed to mount"), arguments: ["tmpfs", "bind"])
    func anOutputFolderThatIsAMountPointIsPublished(_ kind: String) throws {
        let ws = try workspace()
        try mkdir("\(ws.path)/mnt")
        try mkdir("\(ws.path)/bound")
        let mount =
            kind == "tmpfs"
            ? "mount -t tmpfs quern-test '\(ws.path)/mnt'" : "mount --bind '\(ws.path)/bound' '\(ws.path)/mnt'"
        try #require(try QuernProcess.shell(mount) == 0)
        defer { _ = try? QuernProcess.shell("umount '\(ws.path)/mnt'") }
        ws.write("mnt/notes.txt", "mine\n")
        for _ in 0..<2 {
            let r = try quern(["run", "--input-dir", "in", "--output-dir", "mnt"], cwd: ws.path)
            #expect(r.status == 0, "\(described(r))")
            #expect(outputBytes("\(ws.path)/mnt").count == Self.outputNames.count)
            #expect(contents("\(ws.path)/mnt/notes.txt") == Data("mine\n".utf8))
        }
        #expect(
            !ws.files(in: ".").contains { $0.contains(".staging-") }
                && !ws.files(in: "mnt").contains { $0.contains(".staging-") })
    }
}
