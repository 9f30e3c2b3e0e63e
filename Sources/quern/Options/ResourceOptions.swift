import ArgumentParser

/// Flags that bound what a run may use, shared by run, extract and merge.
struct ResourceOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Most memory to use, as 2GiB or 800M (batch.memory_limit): fewer rows and batches in flight, outputs unchanged. A merge that cannot fit (its batch parts and what its strategy keeps, such as dedupe's table) is refused before it reads a row, naming the smallest limit that works.", valueName: "size"))
    var memoryLimit: String?

    var overrides: [(String, String?)] { [("batch.memory_limit", memoryLimit)] }
}
