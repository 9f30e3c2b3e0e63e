import Foundation
public import QuernCore

/// Runs the real `quern` executable, as a user would. The binary is `$QUERN_BIN` (set by
/// `make test`), else the debug build next to this package.
public enum QuernProcess {
    public struct Result: Sendable {
        public var status: Int32
        public var stdout: String
        public var stderr: String
        /// The signal that ended the process, when one did (then `status` is 128 + its number).
        public var signal: Int32? = nil
    }

    public static var binary: String {
        if let b = ProcessInfo.processInfo.environment["QUERN_BIN"], !b.isEmpty { return b }
        // Sources/QuernTestSupport/QuernProcess.swift: three levels up is the package.
        let root = UserPath.parent(of: UserPath.parent(of: UserPath.parent(of: #filePath)))
        return "\(root)/.build/debug/quern"
    }

    /// Runs `quern args...` in `cwd` and waits for it.
    @discardableResult
    public static func run(_ args: [String], cwd: String? = nil, env: [String: String] = [:]) throws -> Result {
        let r = try SpawnedProcess.run([binary] + args, env: environment(env), cwd: cwd)
        return Result(status: r.status, stdout: r.stdout, stderr: r.stderr, signal: r.signal)
    }

    /// Starts `quern args...` without waiting. Its output is captured (or discarded, with
    /// `quietOutput`); `process.output()` returns it once `process.wait()` has returned.
    public static func start(
        _ args: [String], cwd: String? = nil, quietOutput: Bool = false, env: [String: String] = [:]
    ) throws -> SpawnedProcess {
        try SpawnedProcess(
            [binary] + args, env: environment(env), cwd: cwd, stdout: quietOutput ? .discard : .capture,
            stderr: quietOutput ? .discard : .capture)
    }

    /// Runs a Python script (numpy checks) with ``pythonWithNumpy`` and returns its status and output.
    @discardableResult
    public static func python(_ script: String, cwd: String? = nil, arguments: [String] = []) throws -> Result {
        let r = try SpawnedProcess.run([pythonWithNumpy, "-c", script] + arguments, cwd: cwd)
        return Result(status: r.status, stdout: r.stdout, stderr: r.stderr, signal: r.signal)
    }

    /// The Python the numpy checks run: `$QUERN_PYTHON` if set, else the first of `python3` on
    /// PATH and Debian's `/usr/bin/python3` (where `make test` installs python3-numpy) that can
    /// import numpy. The PATH one may be a pyenv or venv Python without numpy, while Debian's
    /// has it (or the other way round). Falls back to `python3`, whose failure then names numpy.
    public static let pythonWithNumpy: String = {
        if let p = ProcessInfo.processInfo.environment["QUERN_PYTHON"], !p.isEmpty { return p }
        return firstPythonWithNumpy(among: ["python3", "/usr/bin/python3"]) ?? "python3"
    }()

    /// The first of `candidates` that runs and imports numpy, if any.
    public static func firstPythonWithNumpy(among candidates: [String]) -> String? {
        firstPython(among: candidates, importing: "numpy")
    }

    /// The first of `candidates` that runs and imports `module`, if any.
    public static func firstPython(among candidates: [String], importing module: String) -> String? {
        candidates.first { candidate in
            (try? SpawnedProcess.run([candidate, "-c", "import \(module)"]))?.status == 0
        }
    }

    /// The Python the single-cell tests write `.h5ad` files with: `$QUERN_PYTHON` if set, else
    /// the first of `python3` and Debian's `/usr/bin/python3` (where `make test-deps` installs
    /// python3-anndata and python3-scipy) that imports anndata; `python3` when none does (its
    /// failure then names anndata).
    public static let pythonWithAnndata: String = {
        if let p = ProcessInfo.processInfo.environment["QUERN_PYTHON"], !p.isEmpty { return p }
        return firstPython(among: ["python3", "/usr/bin/python3"], importing: "anndata, scipy, h5py") ?? "python3"
    }()

    /// Runs a Python script with ``pythonWithAnndata`` (anndata, scipy, h5py and numpy).
    @discardableResult
    public static func pythonAnndata(_ script: String, cwd: String? = nil) throws -> Result {
        let r = try SpawnedProcess.run([pythonWithAnndata, "-c", script], cwd: cwd)
        return Result(status: r.status, stdout: r.stdout, stderr: r.stderr, signal: r.signal)
    }

    /// Runs any command (gzip, zstd, ...) with this process's stdout and stderr; returns its status.
    @discardableResult
    public static func shell(_ command: String, cwd: String? = nil) throws -> Int32 {
        let p = try SpawnedProcess(["/bin/sh", "-c", command], cwd: cwd, stdout: .inherit, stderr: .inherit)
        return p.wait().status
    }

    static func environment(_ extra: [String: String]) -> [String: String]? {
        extra.isEmpty ? nil : ProcessInfo.processInfo.environment.merging(extra) { $1 }
    }
}
