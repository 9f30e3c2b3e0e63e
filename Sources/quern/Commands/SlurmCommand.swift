import ArgumentParser
import Foundation
import QuernCore
import QuernKit
import QuernPlugins

struct SlurmCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "slurm",
        abstract: "Run the whole job on a Slurm cluster: an array of extract shards, then one merge.",
        discussion: """
            Writes, in --script-dir (default <intermediate>/slurm/), the resolved config (quern.yaml, absolute paths), \
            extract.sbatch (an array job: task K runs `quern extract --shard auto`, which is shard K of --shards) and \
            merge.sbatch (one `quern merge`), then submits both with sbatch: the merge depends on the array (afterok), \
            so it starts only when every shard succeeded, and is cancelled if one failed. Folders must be on storage \
            that every node sees, and so must this quern executable.

            Hooks run where their stage runs: pre/post-extract in every task (QUERN_SHARD=K/N), merge hooks in the \
            merge job. A shard that fails can be redone alone (`sbatch --array=K extract.sbatch`), then the merge \
            (`sbatch merge.sbatch`); a merge over incomplete shards refuses and names them. \
            docs/scale-out.md has the whole story, and a Kubernetes Indexed Job that does the same.

            Examples:
              quern slurm --config docs/examples/games.yaml --input-dir /shared/games --shards 16 \\
                --partition cpu --time 1:00:00 --cpus-per-task 4 --mem 4G
              quern slurm --config docs/examples/games.yaml --shards 4 --dry-run   # print the scripts

            Exit status: \(ExitStatus.table)
            """)

    @OptionGroup var configOptions: ConfigOptions
    @OptionGroup var extract: ExtractOptions
    @OptionGroup var merge: MergeOptions
    @OptionGroup var hookOptions: HookOptions

    @Option(help: ArgumentHelp("Extract shards: tasks of the array job (slurm.shards).", valueName: "n"))
    var shards: Int?
    @Option(help: ArgumentHelp("Partition of both jobs (slurm.partition).", valueName: "name"))
    var partition: String?
    @Option(help: ArgumentHelp("Account charged for both jobs (slurm.account).", valueName: "name"))
    var account: String?
    @Option(help: ArgumentHelp("Time limit of each extract task, e.g. 1:00:00 (slurm.time).", valueName: "time"))
    var time: String?
    @Option(help: ArgumentHelp("CPUs of each extract task; its workers (slurm.cpus_per_task; default 1).", valueName: "n"))
    var cpusPerTask: Int?
    @Option(help: ArgumentHelp("Memory of each extract task, e.g. 4G (slurm.mem).", valueName: "size"))
    var mem: String?
    @Option(help: ArgumentHelp("Time limit of the merge job (slurm.merge_time; default --time).", valueName: "time"))
    var mergeTime: String?
    @Option(help: ArgumentHelp("CPUs of the merge job (slurm.merge_cpus; default 2).", valueName: "n"))
    var mergeCpus: Int?
    @Option(help: ArgumentHelp("Memory of the merge job (slurm.merge_mem; default --mem).", valueName: "size"))
    var mergeMem: String?
    @Option(help: ArgumentHelp("One more #SBATCH option for both jobs, e.g. --sbatch-arg=--qos=high; repeatable (slurm.sbatch_args).", valueName: "option"))
    var sbatchArg: [String] = []
    @Option(help: ArgumentHelp("Folder of the job scripts, their config and logs (slurm.script_dir; default <intermediate>/slurm).", valueName: "dir"))
    var scriptDir: String?
    @Flag(help: "Print the two batch scripts and the config they read; write and submit nothing.")
    var dryRun = false

    var slurmOverrides: [(String, String?)] {
        [
            ("slurm.shards", shards.map(String.init)), ("slurm.partition", partition), ("slurm.account", account), ("slurm.time", time),
            ("slurm.cpus_per_task", cpusPerTask.map(String.init)), ("slurm.mem", mem), ("slurm.merge_time", mergeTime),
            ("slurm.merge_cpus", mergeCpus.map(String.init)), ("slurm.merge_mem", mergeMem), ("slurm.script_dir", scriptDir),
        ]
    }

    func run() async throws {
        let console = Console()
        do {
            var config = try configOptions.load(overrides: extract.overrides + merge.overrides + hookOptions.overrides + slurmOverrides)
            if !sbatchArg.isEmpty {
                let mark = SourceMark(file: "flag", line: 0, column: 0)
                config = config.setting("slurm.sbatch_args", to: ConfigValue(.list(sbatchArg.map { ConfigValue(.scalar($0), mark: mark) }), mark: mark))
            }
            if config.value(at: "extract.shard") != nil || config.value(at: "extract.shard_count") != nil {
                console.warning("extract.shard / --shard is ignored: each array task takes its shard from Slurm (--shard auto).")
                config = config.removing("extract.shard").removing("extract.shard_count")
            }
            let slurm = try SlurmSettings.resolve(config)
            let extractSettings = try ExtractSettings.resolve(config)
            let mergeSettings = try MergeSettings.resolve(config)
            _ = try ExtractStage(settings: extractSettings, registry: .builtIn).resolvePlugins()
            _ = try MergeStage(settings: mergeSettings, registry: .builtIn).resolveStrategy()
            _ = try HookSettings.resolve(config)

            // Every path absolute: the jobs run on other machines, in --chdir, long after this.
            let cwd = FileManager.default.currentDirectoryPath
            func abs(_ p: String) -> String { p.hasPrefix("/") ? p : UserPath.absolute(p) }
            config = config.setting("paths.input", to: .scalar(abs(extractSettings.inputDir)))
            config = config.setting("paths.intermediate", to: .scalar(abs(extractSettings.intermediateDir)))
            config = config.setting("paths.output", to: .scalar(abs(mergeSettings.outputDir)))
            if let dir = config.value(at: "hooks.dir")?.stringValue { config = config.setting("hooks.dir", to: .scalar(abs(dir))) }
            let scriptDir = abs(slurm.scriptDir ?? "\(extractSettings.intermediateDir)/slurm")
            // Run logs beside Slurm's own, unless the config names a folder: each task in its
            // shard-K-of-N subfolder, the merge at the top.
            if config.value(at: "paths.logs") == nil { config = config.setting("paths.logs", to: .scalar("\(scriptDir)/logs")) }
            config = config.setting("paths.logs", to: .scalar(abs(config.value(at: "paths.logs")?.stringValue ?? "")))
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: abs(extractSettings.inputDir), isDirectory: &isDir), isDir.boolValue else {
                throw DiscoveryError.missingFolder(abs(extractSettings.inputDir))
            }
            // The same pre-flight as `quern run`, here on the login node, before anything is queued.
            let report = Preflight(config: config, registry: .builtIn, stages: .all, logDir: config.value(at: "paths.logs")?.stringValue).run()
            for w in report.warnings { console.warning(w.message) }
            if !report.errors.isEmpty { throw PreflightFailed(problems: report.errors) }
            let quern = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? abs(CommandLine.arguments[0])
            let jobs = SlurmJobs(
                config: config, settings: slurm, quern: quern,
                scriptDir: scriptDir, workDir: cwd,
                workersFromConfig: config.value(at: "extract.workers") != nil || config.value(at: "extract.sequential") != nil)

            if dryRun {
                let extractScript = try jobs.extractScript
                let mergeScript = try jobs.mergeScript
                print("# \(jobs.extractScriptPath)\n\(extractScript)")
                print("# \(jobs.mergeScriptPath)\n\(mergeScript)")
                print("# \(jobs.configPath)\n\(YAMLWriter.write(config))")
                print("# --dry-run: nothing written or submitted. Without it, quern runs:")
                print("#   sbatch --parsable \(jobs.extractScriptPath)")
                print("#   sbatch --parsable --dependency=afterok:<array job id> --kill-on-invalid-dep=yes \(jobs.mergeScriptPath)")
                return
            }
            let runLogs = config.value(at: "paths.logs")?.stringValue ?? jobs.logDir
            try jobs.write()
            let submitted = try jobs.submit()
            try AtomicFile.write(JSONLines.encode(submitted) + "\n", to: "\(jobs.scriptDir)/jobs.json")
            console.result("""
                submitted: extract array job \(submitted.extractJob) (\(slurm.shards) shards), merge job \(submitted.mergeJob) (after every shard succeeds)
                  scripts and config: \(jobs.scriptDir)
                  watch:   squeue -j \(submitted.extractJob),\(submitted.mergeJob)
                           scontrol show job \(submitted.mergeJob)
                  logs:    \(jobs.logDir)/extract-\(submitted.extractJob)_K.out, \(jobs.logDir)/merge-\(submitted.mergeJob).out
                  run logs: \(slurm.shards > 1 ? "\(runLogs)/shard-K-of-\(slurm.shards)/ (shard K), \(runLogs)/ (the merge)" : "\(runLogs)/")
                  progress of shard K: \(abs(extractSettings.intermediateDir))/progress.shard-K-of-\(slurm.shards).json
                  outputs: \(abs(mergeSettings.outputDir))
                  if a shard fails: fix it, then  sbatch --array=K \(jobs.extractScriptPath)  and  sbatch \(jobs.mergeScriptPath)
                """)
        } catch {
            throw fail(error)
        }
    }
}
