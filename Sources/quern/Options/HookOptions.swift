import ArgumentParser
import QuernCore
import QuernKit
import QuernPlugins

/// Flags of the shell hooks around each stage.
struct HookOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Folder of hook scripts: pre-merge, post-save.d/10-upload, ... (hooks.dir; default ./hooks). See docs/hooks.md.", valueName: "dir"))
    var hooksDir: String?

    @Flag(help: "Run without hooks (hooks.enabled: false).")
    var noHooks = false

    var overrides: [(String, String?)] {
        [("hooks.dir", hooksDir), ("hooks.enabled", noHooks ? "false" : nil)]
    }
}

/// The stage runner of one invocation: the run's context, the log observer when there is a log, and
/// the hook observer unless hooks are off.
func makeRunner(config: ConfigValue, configPath: String?, console: Console, log: RunLog? = nil) throws -> StageRunner {
    let context = RunContext(config: config, configPath: configPath, registry: .builtIn, dataset: log?.dataset ?? "default", runId: log?.runId)
    let hooks = try HookSettings.resolve(config)
    var observers: [any StageObserver] = log.map { [LogObserver(log: $0)] } ?? []
    if hooks.enabled { observers.append(HookObserver(settings: hooks, context: context, console: console)) }
    return StageRunner(observers: observers, context: context)
}
