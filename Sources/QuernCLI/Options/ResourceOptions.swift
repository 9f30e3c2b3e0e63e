import ArgumentParser

/// Flags that bound what a run may use, shared by run, extract and merge.
struct ResourceOptions: ParsableArguments {
    @Option(help: .setting("batch.memory_limit"))
    var memoryLimit: String?

    var overrides: [(String, String?)] { [("batch.memory_limit", memoryLimit)] }
}
