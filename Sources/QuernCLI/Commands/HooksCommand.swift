import ArgumentParser
import Foundation
import QuernCore

struct HooksCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hooks",
        abstract: "List, per stage, the hooks that would run, in order.",
        discussion: """
            A hook is an executable in the hooks folder named for its point (pre-merge, post-save, post-batch, ...) \
            or any executable in <point>.d/ (run in name order; *.sample files are ignored), plus commands listed under \
            hooks.commands in the config. docs/hooks.md has the contract and a five-minute tutorial.
            """)

    @OptionGroup var configOptions: ConfigOptions
    @OptionGroup var hookOptions: HookOptions

    func run() throws {
        do {
            let config = try configOptions.load(overrides: hookOptions.overrides)
            let settings = try Resolver.hookSettings(config)
            guard settings.enabled else {
                print("hooks are off (--no-hooks or hooks.enabled: false)")
                return
            }
            let catalog = HookCatalog(settings: settings)
            if let problem = catalog.folderProblem() { throw fail(problem) }
            print(
                "hooks in \(settings.dir) (timeout \(Int(settings.timeout)) s, post-batch \(settings.serial ? "one at a time" : "may overlap"), failing post hooks \(settings.onPostFailure == .fail ? "fail the run" : "warn")):"
            )
            var any = false
            for point in HookPoint.all {
                let found = catalog.hooks(at: point)
                guard !found.run.isEmpty || !found.skipped.isEmpty else { continue }
                any = true
                print("  \(point.name):")
                for (k, hook) in found.run.enumerated() { print("    \(k + 1). \(hook.name)") }
                for (name, why) in found.skipped { print("    -  \(name): \(why)") }
            }
            for (name, suggestion) in catalog.strayNames() {
                print("  ? \(name) matches no hook point\(suggestion.map { " (did you mean \($0)?)" } ?? "")")
            }
            if !any { print("  (none: copy a hooks/*.sample to its name without .sample and chmod +x it)") }
        } catch {
            throw fail(error)
        }
    }
}
