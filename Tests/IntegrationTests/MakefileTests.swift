import Foundation
import QuernCore
import QuernTestSupport
import Testing

/// The Makefile works on a stock Debian 12: Python comes from Debian's packages (pip refuses to
/// install into an "externally managed" Python), and only the tests need it.
@Suite("Makefile")
struct MakefileTests {
    static let root = DocsTests.root

    /// The commands `make -n TARGET` would run, without the `echo` lines (which only print hints).
    func commands(_ target: String) throws -> [String] {
        let ws = TempWorkspace()
        let status = try QuernProcess.shell("make -n \(target) > '\(ws.path)/plan.txt' 2>&1", cwd: Self.root)
        let text = try String(contentsOfFile: "\(ws.path)/plan.txt", encoding: .utf8)
        #expect(status == 0, "\(text)")
        return text.split(separator: "\n").map(String.init).filter { !$0.hasPrefix("echo ") }
    }

    @Test func makeDemoNeedsNoPython() throws {
        let lines = try commands("demo")
        #expect(!lines.isEmpty)
        #expect(lines.allSatisfy { !$0.contains("python") && !$0.contains("pip ") }, "\(lines.joined(separator: "\n"))")
    }

    /// Python packages come from Debian, never `pip install`. The one use of pip is `pip download`
    /// of scanpy's wheel for its real dataset (scripts/fetch-test-data.sh): a download, checked by
    /// its SHA-256, installing nothing.
    @Test func makeTestInstallsDebianNumpyNotPip() throws {
        let lines = try commands("test-deps")
        #expect(lines.contains { $0.contains("python3-numpy") }, "\(lines.joined(separator: "\n"))")
        for package in ["python3-anndata", "python3-scipy", "python3-h5py"] {
            #expect(lines.contains { $0.contains(package) }, "\(package): \(lines.joined(separator: "\n"))")
        }
        #expect(
            lines.allSatisfy { !$0.contains("pip install") && !$0.contains("pip3 ") },
            "\(lines.joined(separator: "\n"))")
        #expect(lines.contains { $0.contains("scripts/fetch-test-data.sh") }, "\(lines.joined(separator: "\n"))")
        let script = try String(contentsOfFile: "\(Self.root)/scripts/fetch-test-data.sh", encoding: .utf8)
        #expect(script.contains("pip download") && script.contains("sha256sum -c") && !script.contains("pip install"))
    }

    /// `make test` tells the tests where the real data is, so the scanpy test fails (rather than
    /// skips) when the file is missing.
    @Test func makeTestPassesTheTestDataFolder() throws {
        let lines = try commands("test")
        #expect(
            lines.contains { $0.contains("QUERN_TEST_DATA=") && $0.contains("test --skip-build") },
            "\(lines.joined(separator: "\n"))")
    }

    /// `make test` runs the Python package's pytest suite against the quern it built, with
    /// pytest and the codec modules from Debian.
    @Test func makeTestRunsThePythonPackageTests() throws {
        let deps = try commands("test-deps")
        for package in ["python3-pytest", "python3-zstandard", "python3-lz4"] {
            #expect(deps.contains { $0.contains(package) }, "\(package): \(deps.joined(separator: "\n"))")
        }
        let lines = try commands("test")
        #expect(
            lines.contains { $0.contains("QUERN_BIN=") && $0.contains("-m pytest") && $0.contains("python/tests") },
            "\(lines.joined(separator: "\n"))")
        #expect(lines.allSatisfy { !$0.contains("pip ") }, "\(lines.joined(separator: "\n"))")
    }

    /// A python3 on PATH without numpy (a pyenv or venv one) must not hide Debian's, which has it.
    @Test(
        .enabled(
            if: FileManager.default.fileExists(atPath: "/usr/lib/python3/dist-packages/numpy"),
            "needs Debian's python3-numpy"))
    func testsUseAPythonThatHasNumpy() throws {
        let ws = TempWorkspace()
        let fake = ws.write("bin/python3", "#!/bin/sh\necho \"No module named 'numpy'\" >&2\nexit 1\n")
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: fake)
        #expect(QuernProcess.firstPythonWithNumpy(among: [fake, "/usr/bin/python3"]) == "/usr/bin/python3")
        #expect(QuernProcess.firstPythonWithNumpy(among: [fake]) == nil)
        let r = try QuernProcess.python("import numpy; print(numpy.__name__)")
        #expect(r.status == 0 && r.stdout == "numpy\n", "\(r.stderr)")
    }

    /// `make install` puts the man page and the bash, zsh and fish completions beside the binary,
    /// under PREFIX. Installed here from the debug build (install-files, what install runs after
    /// the release build), into a temporary prefix. Needs the man page tool built (`make test`
    /// builds it): building it here would wait forever for the build folder `swift test` holds.
    @Test(
        .enabled(
            if: FileManager.default.fileExists(atPath: "\(root)/.build/debug/generate-manual"),
            "needs .build/debug/generate-manual (make test builds it)")
    )
    func installPutsManPageAndCompletionsUnderPrefix() throws {
        #expect(try commands("install").contains { $0.contains("install-files") })
        let ws = TempWorkspace()
        let prefix = "\(ws.path)/prefix with space"
        let status = try QuernProcess.shell(
            "make install-files CONFIG=debug PREFIX='\(prefix)' > '\(ws.path)/log.txt' 2>&1", cwd: Self.root)
        #expect(status == 0, "\(ws.text("log.txt"))")
        let version = try SpawnedProcess.run(["\(prefix)/bin/quern", "--version"])
        #expect(version.stdout == "\(QuernVersion.current)\n")
        let man = ws.text("prefix with space/share/man/man1/quern.1")
        #expect(man.contains(".Dt QUERN 1") && man.contains("compare"), "\(man.prefix(200))")
        #expect(ws.text("prefix with space/share/zsh/site-functions/_quern").hasPrefix("#compdef quern"))
        #expect(ws.text("prefix with space/share/fish/vendor_completions.d/quern.fish").contains("complete -c 'quern'"))
        // The bash script loads and registers a completion for quern.
        let bash = try SpawnedProcess.run([
            "bash", "-c", "source \"$1\" && complete -p quern", "-",
            "\(prefix)/share/bash-completion/completions/quern",
        ])
        #expect(bash.status == 0 && bash.stdout.contains("quern"), "\(bash.stderr)")
    }
}
