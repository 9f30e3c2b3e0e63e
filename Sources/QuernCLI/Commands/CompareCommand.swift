import ArgumentParser
import Foundation
import QuernCore
import QuernKit

struct CompareCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "Run several merge strategies (or codecs) on the same batches, side by side.",
        discussion: """
            Each strategy runs as a fresh `quern merge` on the batches you already have (same split, normalization \
            and seed) into its own folder under --compare-dir, and is measured: rows per split, rows dropped by reason, \
            class counts per split and balance of a label head, each feature's mean, spread and drift from train per split, \
            duplicate rows left, time and peak memory per stage, output bytes, a checksum. \
            Each codec recompresses the same batches into a scratch folder (removed unless --keep): size, ratio, \
            compression and decompression MB/s, and the merge time reading them. Batches and the main outputs are \
            only read. Results: a table here, and compare_report.json, .md and .html in --compare-dir (the HTML page \
            also shows class counts per split, each feature's mean, spread and drift, and time and memory per stage; \
            each candidate's run logs go to --compare-dir/logs/).
            Candidates with options: name:key=value (balance:per_class=500, zstd:9).

            Example:
              quern compare --config docs/examples/games.yaml --merge-strategies concat,shuffle,dedupe,balance --codecs zlib,lz4,zstd

            Exit status: 0 all candidates ran; 1 error before any ran; 3 done, but some candidates failed (see the report); 64 bad usage (an unknown name in a list).
            """)

    @OptionGroup var configOptions: ConfigOptions
    @Option(help: .setting("paths.intermediate"))
    var intermediateDir: String?
    @Option(
        help: ArgumentHelp(
            "Merge strategies to compare, comma-separated (concat,shuffle,dedupe,balance).", valueName: "list"))
    var mergeStrategies: String?
    @Option(help: ArgumentHelp("Codecs to compare, comma-separated (none,zlib,lz4,zstd:3).", valueName: "list"))
    var codecs: String?
    @Option(
        help: ArgumentHelp(
            "Where each candidate's outputs and the reports go (default data/compare).", valueName: "dir"))
    var compareDir = "data/compare"
    @Option(
        help:
            "Runs per candidate; with more than one, the median is reported with the spread (fastest and slowest run).")
    var `repeat` = 1
    @Option(help: ArgumentHelp("Label head whose class balance is measured (default: the first).", valueName: "name"))
    var labelHead: String?
    @Flag(help: "Keep the codecs' recompressed batches.")
    var keep = false
    @Option(
        help: ArgumentHelp(
            "Seed of seeded strategies (merge.seed), for every candidate; the split keeps split.seed.", valueName: "n"))
    var seed: Int?
    @Option(help: ArgumentHelp("Train,val,test fractions for every candidate.", valueName: "f,f,f"))
    var split: String?
    @Flag(name: .shortAndLong, help: "Only errors and the table.")
    var quiet = false

    func validate() throws {
        guard self.repeat >= 1 else { throw ValidationError("--repeat must be at least 1") }
        guard mergeStrategies != nil || codecs != nil else {
            throw ValidationError(
                "give --merge-strategies and/or --codecs, for example --merge-strategies concat,shuffle,dedupe,balance")
        }
        // An unknown name in a list is bad usage (exit 64), as for any plugin-name flag.
        var problems: [String] = []
        for name in CandidateList.parse(mergeStrategies ?? "") {
            do { _ = try Resolver(registry: CLIPlugins.registry).strategy(spec: name) } catch {
                problems.append("--merge-strategies \(OneLine.escape(name)): \(error)")
            }
        }
        for name in CandidateList.parse(codecs ?? "") {
            do { _ = try Resolver(registry: CLIPlugins.registry).codec(spec: name) } catch {
                problems.append("--codecs \(OneLine.escape(name)): \(error)")
            }
        }
        if !problems.isEmpty { throw ValidationError(problems.joined(separator: "\n")) }
    }

    func run() async throws {
        let console = Console(quiet: quiet)
        let report: CompareStage.Report
        do {
            let config = try configOptions.load(
                overrides: [
                    ("paths.intermediate", intermediateDir), ("merge.seed", seed.map(String.init)),
                    ("split.fractions", split),
                ], quiet: quiet)
            let merge = try Resolver.mergeSettings(config)
            var settings = CompareStage.Settings()
            settings.intermediateDir = merge.intermediateDir
            settings.compareDir = compareDir
            settings.strategies = CandidateList.parse(mergeStrategies ?? "")
            settings.codecs = CandidateList.parse(codecs ?? "")
            settings.repeats = self.repeat
            settings.keep = keep
            settings.head = labelHead
            settings.codecMergeStrategy = merge.strategySpec
            var args: [String] = []
            if let c = configOptions.path { args += ["--config", c] }
            if let seed { args += ["--seed", String(seed)] }
            if let split { args += ["--split", split] }
            settings.mergeArguments = args
            settings.command = (["quern"] + CommandLine.arguments.dropFirst()).map(ShellQuote.quote).joined(
                separator: " ")
            let executable = UserPath.resolved("/proc/self/exe")
            report = try await CompareStage(
                settings: settings, registry: CLIPlugins.registry, console: console, executable: executable
            ).run()
            let files = try CompareReportWriter.writeAll(report)
            console.result(CompareReportWriter.table(report))
            console.result("reports: " + files.joined(separator: ", "))
        } catch {
            throw fail(error)
        }
        if report.strategies.contains(where: { $0.error != nil }) || report.codecs.contains(where: { $0.error != nil })
        {
            throw ExitCode(ExitStatus.someFilesFailed)
        }
    }
}
