import ArgumentParser
import Foundation
import QuernCore
import QuernKit

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

    @Option(help: .setting("slurm.shards"))
    var shards: Int?
    @Option(help: .setting("slurm.partition"))
    var partition: String?
    @Option(help: .setting("slurm.account"))
    var account: String?
    @Option(help: .setting("slurm.time"))
    var time: String?
    @Option(help: .setting("slurm.cpus_per_task"))
    var cpusPerTask: Int?
    @Option(help: .setting("slurm.mem"))
    var mem: String?
    @Option(help: .setting("slurm.merge_time"))
    var mergeTime: String?
    @Option(help: .setting("slurm.merge_cpus"))
    var mergeCpus: Int?
    @Option(help: .setting("slurm.merge_mem"))
    var mergeMem: String?
    @Option(help: .setting("slurm.sbatch_args"))
    var sbatchArg: [String] = []
    @Option(help: .setting("slurm.script_dir"))
    var scriptDir: String?
    @Flag(help: "Print the two batch scripts and the config they read; write and submit nothing.")
    var dryRun = false

    var slurmOverrides: [(String, String?)] {
        [
            ("slurm.shards", shards.map(String.init)), ("slurm.partition", partition), ("slurm.account", account),
            ("slurm.time", time),
            ("slurm.cpus_per_task", cpusPerTask.map(String.init)), ("slurm.mem", mem), ("slurm.merge_time", mergeTime),
            ("slurm.merge_cpus", mergeCpus.map(String.init)), ("slurm.merge_mem", mergeMem),
            ("slurm.script_dir", scriptDir),
        ]
    }

    func run() async throws {
        let console = Console()
        do {
            var config = try configOptions.load(
                overrides: extract.overrides + merge.overrides + hookOptions.overrides + slurmOverrides)
            if !sbatchArg.isEmpty {
                let mark = SourceMark(file: "flag", line: 0, column: 0)
                config = config.setting(
                    "slurm.sbatch_args",
                    to: ConfigValue(.list(sbatchArg.map { ConfigValue(.scalar($0), mark: mark) }), mark: mark))
            }
            if Resolver.isGiven("extract.shard", in: config) || Resolver.isGiven("extract.shard_count", in: config) {
                console.warning(
                    "extract.shard / --shard is ignored: each array task takes its shard from Slurm (--shard auto).")
                config = config.removing("extract.shard").removing("extract.shard_count")
            }
            let slurm = try Resolver.slurmSettings(config)
            // Every setting and plugin, checked here before anything is queued.
            let plan = try Resolver(registry: CLIPlugins.registry).plan(config, stages: .all)
            let extractSettings = plan.extract
            let mergeSettings = plan.merge

            // Every path absolute: the jobs run on other machines, in --chdir, long after this.
            let cwd = FileManager.default.currentDirectoryPath
            func abs(_ p: String) -> String { p.hasPrefix("/") ? p : UserPath.absolute(p) }
            config = config.setting("paths.input", to: .scalar(abs(extractSettings.inputDir)))
            config = config.setting("paths.intermediate", to: .scalar(abs(extractSettings.intermediateDir)))
            config = config.setting("paths.output", to: .scalar(abs(mergeSettings.outputDir)))
            if plan.hooks.dirGiven { config = config.setting("hooks.dir", to: .scalar(abs(plan.hooks.dir))) }
            let scriptDir = abs(slurm.scriptDir ?? "\(extractSettings.intermediateDir)/slurm")
            // Run logs beside Slurm's own, unless the config names a folder: each task in its
            // shard-K-of-N subfolder, the merge at the top.
            if !Resolver.isGiven("paths.logs", in: config) {
                config = config.setting("paths.logs", to: .scalar("\(scriptDir)/logs"))
            }
            config = config.setting("paths.logs", to: .scalar(abs(Resolver.logDir(config))))
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: abs(extractSettings.inputDir), isDirectory: &isDir),
                isDir.boolValue
            else {
                throw DiscoveryError.missingFolder(abs(extractSettings.inputDir))
            }
            // The same pre-flight as `quern run`, here on the login node, before anything is queued.
            let report = Preflight(
                config: config, registry: CLIPlugins.registry, stages: .all, logDir: Resolver.logDir(config)
            ).run()
            for w in report.warnings { console.warning(w.message) }
            if !report.errors.isEmpty { throw PreflightFailed(problems: report.errors) }
            let quern =
                (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
                ?? abs(CommandLine.arguments[0])
            let jobs = SlurmJobs(
                config: config, settings: slurm, quern: quern,
                scriptDir: scriptDir, workDir: cwd,
                workersFromConfig: Resolver.isGiven("extract.workers", in: config)
                    || Resolver.isGiven("extract.sequential", in: config))

            if dryRun {
                let extractScript = try jobs.extractScript
                let mergeScript = try jobs.mergeScript
                print("# \(jobs.extractScriptPath)\n\(extractScript)")
                print("# \(jobs.mergeScriptPath)\n\(mergeScript)")
                print("# \(jobs.configPath)\n\(YAMLWriter.write(config))")
                print("# --dry-run: nothing written or submitted. Without it, quern runs:")
                print("#   sbatch --parsable \(jobs.extractScriptPath)")
                print(
                    "#   sbatch --parsable --dependency=afterok:<array job id> --kill-on-invalid-dep=yes \(jobs.mergeScriptPath)"
                )
                return
            }
            let runLogs = Resolver.logDir(config)
            try jobs.write()
            let submitted = try jobs.submit()
            try AtomicFile.write(JSONLines.encode(submitted) + "\n", to: "\(jobs.scriptDir)/jobs.json")
            console.result(
                """
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
