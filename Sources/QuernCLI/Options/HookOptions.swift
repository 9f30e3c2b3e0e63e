import ArgumentParser
import QuernCore
import QuernKit

/// Flags of the shell hooks around each stage.
struct HookOptions: ParsableArguments {
    @Option(help: .setting("hooks.dir"))
    var hooksDir: String?

    @Flag(help: .setting("hooks.enabled"))
    var noHooks = false

    var overrides: [(String, String?)] {
        [("hooks.dir", hooksDir), ("hooks.enabled", noHooks ? "false" : nil)]
    }
}

/// The stage runner of one invocation: the run's context (holding the plan), the log observer when
/// there is a log, and the hook observer unless hooks are off.
func makeRunner(plan: RunPlan, resolver: Resolver, configPath: String?, console: Console, log: RunLog? = nil)
    -> StageRunner
{
    let context = RunContext(
        plan: plan, configPath: configPath, resolver: resolver, dataset: log?.dataset ?? "default", runId: log?.runId)
    var observers: [any StageObserver] = log.map { [LogObserver(log: $0)] } ?? []
    if plan.hooks.enabled { observers.append(HookObserver(settings: plan.hooks, context: context, console: console)) }
    return StageRunner(observers: observers, context: context)
}
