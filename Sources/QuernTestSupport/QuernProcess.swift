public import Foundation

/// Runs the real `quern` executable, as a user would. The binary is `$QUERN_BIN` (set by
/// `make test`), else the debug build next to this package.
public enum QuernProcess {
    public struct Result: Sendable {
        public var status: Int32
        public var stdout: String
        public var stderr: String
        /// The signal that ended the process, when one did (then `status` is its number).
        public var signal: Int32? = nil
    }

    public static var binary: String {
        if let b = ProcessInfo.processInfo.environment["QUERN_BIN"], !b.isEmpty { return b }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return root.appendingPathComponent(".build/debug/quern").path
    }

    /// Runs `quern args...` in `cwd` and waits for it.
    @discardableResult
    public static func run(_ args: [String], cwd: String? = nil, env: [String: String] = [:]) throws -> Result {
        let p = try start(args, cwd: cwd, env: env)
        let out = p.stdoutPipe.fileHandleForReading.readDataToEndOfFile()
        let err = p.stderrPipe.fileHandleForReading.readDataToEndOfFile()
        p.process.waitUntilExit()
        return Result(
            status: p.process.terminationStatus, stdout: String(decoding: out, as: UTF8.self), stderr: String(decoding: err, as: UTF8.self),
            signal: p.process.terminationReason == .uncaughtSignal ? p.process.terminationStatus : nil)
    }

    public struct Running {
        public let process: Process
        public let stdoutPipe: Pipe
        public let stderrPipe: Pipe
    }

    /// Starts `quern args...` without waiting (output goes to pipes the caller may drain).
    public static func start(_ args: [String], cwd: String? = nil, quietOutput: Bool = false, env: [String: String] = [:]) throws -> Running {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: binary)
        p.arguments = args
        if !env.isEmpty { p.environment = ProcessInfo.processInfo.environment.merging(env) { $1 } }
        if let cwd { p.currentDirectoryURL = URL(fileURLWithPath: cwd) }
        let out = Pipe(), err = Pipe()
        if quietOutput {
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle.nullDevice
        } else {
            p.standardOutput = out
            p.standardError = err
        }
        try p.run()
        return Running(process: p, stdoutPipe: out, stderrPipe: err)
    }

    /// Runs a Python script (numpy checks) and returns its status and output.
    @discardableResult
    public static func python(_ script: String, cwd: String? = nil, arguments: [String] = []) throws -> Result {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", "-c", script] + arguments
        if let cwd { p.currentDirectoryURL = URL(fileURLWithPath: cwd) }
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return Result(status: p.terminationStatus, stdout: String(decoding: o, as: UTF8.self), stderr: String(decoding: e, as: UTF8.self))
    }

    /// Runs any command (gzip, zstd, ...) and returns its status.
    @discardableResult
    public static func shell(_ command: String, cwd: String? = nil) throws -> Int32 {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/sh")
        p.arguments = ["-c", command]
        if let cwd { p.currentDirectoryURL = URL(fileURLWithPath: cwd) }
        try p.run()
        p.waitUntilExit()
        return p.terminationStatus
    }
}
