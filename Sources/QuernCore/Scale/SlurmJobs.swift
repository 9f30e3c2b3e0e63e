import Foundation
public import QuernKit

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

    public init(
        config: ConfigValue, settings: SlurmSettings, quern: String, scriptDir: String, workDir: String,
        workersFromConfig: Bool
    ) {
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

    /// The array job's script. Throws when a value cannot be written on an `#SBATCH` line.
    public var extractScript: String {
        get throws(SlurmError) {
            let q = ShellQuote.quote
            var lines = [
                "#!/bin/bash",
                "# Written by `quern slurm`: the extract stage, one array task per shard (task K is shard K of \(settings.shards)).",
                "# Redo one shard only:  sbatch --array=K \(OneLine.escape(q(extractScriptPath)))",
                try Self.sbatch("--job-name=quern-extract"),
                try Self.sbatch("--array=0-\(settings.shards - 1)"),
                try Self.sbatch("--cpus-per-task=\(settings.cpusPerTask)"),
            ]
            if let m = settings.mem { lines.append(try Self.sbatch("--mem=\(m)", flag: "--mem")) }
            if let t = settings.time { lines.append(try Self.sbatch("--time=\(t)", flag: "--time")) }
            lines += try common(output: "extract-%A_%a.out")
            let workers = workersFromConfig ? "" : " --workers \"${SLURM_CPUS_PER_TASK:-1}\""
            lines += [
                "set -uo pipefail",
                "export QUERN_SLURM_SCRIPT=\(q(extractScriptPath))",
                "\(q(quern)) extract --config \(q(configPath)) --shard auto --shard-count \(settings.shards)\(workers)",
                "status=$?",
                "# 3: the shard is complete, but some input files failed to parse (listed in \(IntermediateFolderLayout.failed)).",
                "if [ \"$status\" -eq 3 ]; then exit 0; fi",
                "exit \"$status\"",
            ]
            return lines.joined(separator: "\n") + "\n"
        }
    }

    /// The merge job's script. Throws when a value cannot be written on an `#SBATCH` line.
    public var mergeScript: String {
        get throws(SlurmError) {
            let q = ShellQuote.quote
            var lines = [
                "#!/bin/bash",
                "# Written by `quern slurm`: one merge over the batches of every shard (split, normalize, save).",
                "# It refuses, naming the shards and how to redo them, if any shard is incomplete.",
                try Self.sbatch("--job-name=quern-merge"),
                try Self.sbatch("--cpus-per-task=\(settings.mergeCPUs)"),
            ]
            if let m = settings.mergeMem { lines.append(try Self.sbatch("--mem=\(m)", flag: "--merge-mem")) }
            if let t = settings.mergeTime { lines.append(try Self.sbatch("--time=\(t)", flag: "--merge-time")) }
            lines += try common(output: "merge-%j.out")
            lines += [
                "set -uo pipefail",
                "exec \(q(quern)) merge --config \(q(configPath))",
            ]
            return lines.joined(separator: "\n") + "\n"
        }
    }

    private func common(output: String) throws(SlurmError) -> [String] {
        var lines: [String] = []
        if let p = settings.partition { lines.append(try Self.sbatch("--partition=\(p)", flag: "--partition")) }
        if let a = settings.account { lines.append(try Self.sbatch("--account=\(a)", flag: "--account")) }
        for a in settings.sbatchArgs { lines.append(try Self.sbatch(a, flag: "--sbatch-arg")) }
        lines.append(try Self.sbatch("--chdir=\(workDir)", flag: "the current folder"))
        lines.append(try Self.sbatch("--output=\(logDir)/\(output)", flag: "--script-dir (or --intermediate-dir)"))
        return lines
    }

    /// One `#SBATCH` line. sbatch reads these itself, not the shell, so shell quoting does not
    /// apply: it ends an argument at unquoted whitespace, takes `\` as escaping the next
    /// character, groups quotes and stops at an unquoted `#`. Those characters are escaped with
    /// `\`. A line break (or another control character) cannot be escaped there, and would end
    /// the comment so that the shell runs the rest as a command: it is refused, naming `flag`.
    static func sbatch(_ option: String, flag: String = "") throws(SlurmError) -> String {
        if option.unicodeScalars.contains(where: OneLine.needsEscape) {
            throw .notOnSBATCHLine(option: option, flag: flag)
        }
        var out = "#SBATCH "
        for ch in option {
            if ch == " " || ch == "\\" || ch == "\"" || ch == "'" || ch == "#" { out.append("\\") }
            out.append(ch)
        }
        return out
    }

    /// Writes the config and both scripts (atomically) and creates the log folder.
    public func write() throws {
        do {
            try FileManager.default.createDirectory(atPath: logDir, withIntermediateDirectories: true)
        } catch {
            throw SlurmError.cannotWrite(path: logDir, reason: (error as NSError).localizedDescription)
        }
        try AtomicFile.write(
            "# The resolved config of a `quern slurm` run (written by quern; both jobs read it).\n"
                + YAMLWriter.write(config), to: configPath)
        // Both scripts made (and checked) before either is written.
        let extract = try extractScript
        let merge = try mergeScript
        try AtomicFile.write(extract, to: extractScriptPath)
        try AtomicFile.write(merge, to: mergeScriptPath)
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
        let merge = try run([
            sbatch, "--parsable", "--dependency=afterok:\(extract)", "--kill-on-invalid-dep=yes", mergeScriptPath,
        ])
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
            throw SlurmError.sbatchFailed(
                command: argv.joined(separator: " "),
                output: (text + "\n" + r.stderr).trimmingCharacters(in: .whitespacesAndNewlines))
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
    case notOnSBATCHLine(option: String, flag: String)

    public var description: String {
        switch self {
        case .noSbatch(let name):
            "\(name) is not on PATH: quern slurm submits through Slurm's sbatch. Run it on a login node of the cluster, or use --dry-run to see the scripts."
        case .sbatchFailed(let command, let output):
            "\(command) failed: \(output.isEmpty ? "no output" : output)"
        case .cannotWrite(let path, let reason):
            "cannot create \(path): \(reason). Pick a writable folder on shared storage with --script-dir."
        case .notOnSBATCHLine(let option, let flag):
            "#SBATCH \(OneLine.escape(option)) holds a line break or another control character, which an #SBATCH line cannot "
                + "carry (the shell would run what follows it as a command). Rename the folder, or choose another value\(flag.isEmpty ? "" : " for \(flag)")."
        }
    }
}
