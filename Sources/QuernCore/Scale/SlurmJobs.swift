public import Foundation

/// The two Slurm jobs of a scaled-out run: an array job with one extract task per shard, and a
/// merge job that starts once every task succeeded (`afterok`). Quern grows no cluster manager:
/// it writes plain batch scripts a person can read, keep and resubmit, and hands them to sbatch.
public struct SlurmJobs: Sendable {
    /// The resolved config both jobs read (absolute paths, no shard).
    public var config: ConfigValue
    public var settings: SlurmSettings
    /// The quern executable, by a path the compute nodes see (shared storage).
    public var quern: String
    /// Where the job scripts, the config and the logs go.
    public var scriptDir: String
    /// The folder jobs start in (relative paths in hook commands are relative to it).
    public var workDir: String
    /// Whether the config sets `extract.workers` (otherwise each task uses its CPUs).
    public var workersFromConfig: Bool

    public init(config: ConfigValue, settings: SlurmSettings, quern: String, scriptDir: String, workDir: String, workersFromConfig: Bool) {
        self.config = config
        self.settings = settings
        self.quern = quern
        self.scriptDir = scriptDir
        self.workDir = workDir
        self.workersFromConfig = workersFromConfig
    }

    public var configPath: String { "\(scriptDir)/quern.yaml" }
    public var extractScriptPath: String { "\(scriptDir)/extract.sbatch" }
    public var mergeScriptPath: String { "\(scriptDir)/merge.sbatch" }
    public var logDir: String { "\(scriptDir)/logs" }

    public var extractScript: String {
        let q = ShellQuote.quote
        var lines = [
            "#!/bin/bash",
            "# Written by `quern slurm`: the extract stage, one array task per shard (task K is shard K of \(settings.shards)).",
            "# Redo one shard only:  sbatch --array=K \(q(extractScriptPath))",
            "#SBATCH --job-name=quern-extract",
            "#SBATCH --array=0-\(settings.shards - 1)",
            "#SBATCH --cpus-per-task=\(settings.cpusPerTask)",
        ]
        if let m = settings.mem { lines.append("#SBATCH --mem=\(m)") }
        if let t = settings.time { lines.append("#SBATCH --time=\(t)") }
        lines += common(output: "extract-%A_%a.out")
        let workers = workersFromConfig ? "" : " --workers \"${SLURM_CPUS_PER_TASK:-1}\""
        lines += [
            "set -uo pipefail",
            "export QUERN_SLURM_SCRIPT=\(q(extractScriptPath))",
            "\(q(quern)) extract --config \(q(configPath)) --shard auto --shard-count \(settings.shards)\(workers)",
            "status=$?",
            "# 3: the shard is complete, but some input files failed to parse (listed in failed.jsonl).",
            "if [ \"$status\" -eq 3 ]; then exit 0; fi",
            "exit \"$status\"",
        ]
        return lines.joined(separator: "\n") + "\n"
    }

    public var mergeScript: String {
        let q = ShellQuote.quote
        var lines = [
            "#!/bin/bash",
            "# Written by `quern slurm`: one merge over the batches of every shard (split, normalize, save).",
            "# It refuses, naming the shards and how to redo them, if any shard is incomplete.",
            "#SBATCH --job-name=quern-merge",
            "#SBATCH --cpus-per-task=\(settings.mergeCPUs)",
        ]
        if let m = settings.mergeMem { lines.append("#SBATCH --mem=\(m)") }
        if let t = settings.mergeTime { lines.append("#SBATCH --time=\(t)") }
        lines += common(output: "merge-%j.out")
        lines += [
            "set -uo pipefail",
            "exec \(q(quern)) merge --config \(q(configPath))",
        ]
        return lines.joined(separator: "\n") + "\n"
    }

    private func common(output: String) -> [String] {
        var lines: [String] = []
        if let p = settings.partition { lines.append("#SBATCH --partition=\(p)") }
        if let a = settings.account { lines.append("#SBATCH --account=\(a)") }
        for a in settings.sbatchArgs { lines.append("#SBATCH \(a)") }
        lines.append("#SBATCH --chdir=\(workDir)")
        lines.append("#SBATCH --output=\(logDir)/\(output)")
        return lines
    }

    /// Writes the config and both scripts (atomically) and creates the log folder.
    public func write() throws {
        do {
            try FileManager.default.createDirectory(atPath: logDir, withIntermediateDirectories: true)
        } catch {
            throw SlurmError.cannotWrite(path: logDir, reason: (error as NSError).localizedDescription)
        }
        try AtomicFile.write("# The resolved config of a `quern slurm` run (written by quern; both jobs read it).\n" + YAMLWriter.write(config), to: configPath)
        try AtomicFile.write(extractScript, to: extractScriptPath)
        try AtomicFile.write(mergeScript, to: mergeScriptPath)
        chmod(extractScriptPath, 0o755)
        chmod(mergeScriptPath, 0o755)
    }

    /// The job ids of a submission.
    public struct Submitted: Codable, Sendable {
        public var extractJob: String
        public var mergeJob: String
    }

    /// Submits the array job, then the merge job depending on it. Returns both ids.
    public func submit(sbatch: String = "sbatch") throws -> Submitted {
        let extract = try run([sbatch, "--parsable", extractScriptPath])
        let merge = try run([sbatch, "--parsable", "--dependency=afterok:\(extract)", "--kill-on-invalid-dep=yes", mergeScriptPath])
        return Submitted(extractJob: extract, mergeJob: merge)
    }

    /// Runs sbatch, returning the job id it prints (`--parsable`: `ID` or `ID;cluster`).
    private func run(_ argv: [String]) throws -> String {
        guard let path = Self.which(argv[0]) else { throw SlurmError.noSbatch(argv[0]) }
        let r: SpawnedProcess.Result
        do { r = try SpawnedProcess.run([path] + argv.dropFirst(), cwd: workDir) } catch {
            throw SlurmError.sbatchFailed(command: argv.joined(separator: " "), output: "\(error)")
        }
        let text = r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let id = text.split(separator: ";").first.map(String.init) ?? ""
        guard r.status == 0, !id.isEmpty, id.allSatisfy(\.isNumber) else {
            throw SlurmError.sbatchFailed(command: argv.joined(separator: " "), output: (text + "\n" + r.stderr).trimmingCharacters(in: .whitespacesAndNewlines))
        }
        return id
    }

    static func which(_ name: String) -> String? {
        if name.contains("/") { return FileManager.default.isExecutableFile(atPath: name) ? name : nil }
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
            let p = "\(dir)/\(name)"
            if FileManager.default.isExecutableFile(atPath: p) { return p }
        }
        return nil
    }
}

public enum SlurmError: Error, CustomStringConvertible {
    case noSbatch(String)
    case sbatchFailed(command: String, output: String)
    case cannotWrite(path: String, reason: String)

    public var description: String {
        switch self {
        case .noSbatch(let name):
            "\(name) is not on PATH: quern slurm submits through Slurm's sbatch. Run it on a login node of the cluster, or use --dry-run to see the scripts."
        case .sbatchFailed(let command, let output):
            "\(command) failed: \(output.isEmpty ? "no output" : output)"
        case .cannotWrite(let path, let reason):
            "cannot create \(path): \(reason). Pick a writable folder on shared storage with --script-dir."
        }
    }
}
