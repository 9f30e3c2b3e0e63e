public import Foundation

/// Where and how an extract process was started: recorded in its progress file so that a merge
/// refusing an incomplete shard can name the host, the scheduler's job and the exact command
/// that redoes only that shard.
public struct ShardLaunch: Codable, Sendable, Equatable {
    public var host: String
    public var pid: Int32
    public var startedAt: String
    /// The command line, as given (`argv`).
    public var command: [String]
    /// The working folder, since relative paths in `command` are relative to it.
    public var directory: String
    /// `SLURM_ARRAY_JOB_ID_SLURM_ARRAY_TASK_ID` (or `SLURM_JOB_ID`) under Slurm.
    public var slurmJob: String?
    /// The batch script Slurm ran, when quern wrote it (`QUERN_SLURM_SCRIPT`).
    public var slurmScript: String?

    public init(
        host: String, pid: Int32, startedAt: String, command: [String], directory: String, slurmJob: String?,
        slurmScript: String?
    ) {
        self.host = host
        self.pid = pid
        self.startedAt = startedAt
        self.command = command
        self.directory = directory
        self.slurmJob = slurmJob
        self.slurmScript = slurmScript
    }

    public static func current(environment env: [String: String] = ProcessInfo.processInfo.environment) -> ShardLaunch {
        var job: String? = env["SLURM_JOB_ID"]
        if let array = env["SLURM_ARRAY_JOB_ID"], let task = env["SLURM_ARRAY_TASK_ID"] { job = "\(array)_\(task)" }
        return ShardLaunch(
            host: ProcessInfo.processInfo.hostName, pid: getpid(),
            startedAt: ISO8601DateFormatter().string(from: Date()),
            command: CommandLine.arguments, directory: FileManager.default.currentDirectoryPath,
            slurmJob: job, slurmScript: env["QUERN_SLURM_SCRIPT"])
    }

    /// The same command for shard `shard` explicitly (replacing `--shard X`, `--shard=X` and
    /// `--shard-count`), run from the same folder.
    public func command(for shard: Shard) -> String {
        var out: [String] = []
        var i = 0
        var replaced = false
        while i < command.count {
            let a = command[i]
            if a == "--shard" || a == "--shard-count" {
                i += 2
                if a == "--shard" {
                    out += ["--shard", shard.description]
                    replaced = true
                }
                continue
            }
            if a.hasPrefix("--shard=") {
                out.append("--shard=\(shard)")
                replaced = true
                i += 1
                continue
            }
            if a.hasPrefix("--shard-count=") {
                i += 1
                continue
            }
            out.append(a)
            i += 1
        }
        if !replaced { out += ["--shard", shard.description] }
        let line = out.map(ShellQuote.quote).joined(separator: " ")
        return directory == FileManager.default.currentDirectoryPath
            ? line : "cd \(ShellQuote.quote(directory)) && \(line)"
    }
}

/// POSIX shell quoting: the one function for every word quern writes into a script (the Slurm
/// jobs) or prints for a person to paste. Inside single quotes nothing is special, a line break
/// included, so `$( )`, `;` and newlines in names stay data.
public enum ShellQuote {
    public static func quote(_ word: String) -> String {
        let safe = word.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "-_./=:,+@%".contains($0)) }
        if safe && !word.isEmpty { return word }
        return "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}
