import QuernCore

/// The plugin table of this invocation, as given to ``QuernCLI/main(plugins:)``. A task-local, not
/// a global: it is set once around the whole command (parsing, `validate()` and `run()` happen in
/// that task) and every command reads it from here, so no command can fall back to a table of its
/// own. Outside ``QuernCLI/main(plugins:)`` it is empty, and every plugin lookup fails by name.
enum CLIPlugins {
    @TaskLocal static var registry = PluginRegistry([])
}
