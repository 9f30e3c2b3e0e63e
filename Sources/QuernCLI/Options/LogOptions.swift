import ArgumentParser
import QuernCore

/// How the console reports: for people, or as JSON events for pipelines.
enum LogFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json
}

/// Flags of the run's logs and how chatty the console is.
struct LogOptions: ParsableArguments {
    @Option(help: .setting("paths.logs"))
    var logDir: String?

    @Option(
        help: ArgumentHelp(
            "text: short messages for people on stderr; json: the log's JSON events on stderr instead, one per line, for pipelines.",
            valueName: "format"))
    var logFormat: LogFormat = .text

    @Flag(help: "Also show details on the console: each stage's start and end with its time and memory, hook runs.")
    var verbose = false

    var overrides: [(String, String?)] { [("paths.logs", logDir)] }
}
