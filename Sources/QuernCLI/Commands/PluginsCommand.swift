import ArgumentParser
import Foundation
import QuernCore
import QuernKit

struct PluginsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plugins",
        abstract: "List every registered plugin by kind, with its summary and options.",
        discussion:
            "Choose a plugin by name with a flag (--extractor, --codec) or in the config; docs/plugins.md shows how to add one."
    )

    @Flag(help: "Print JSON instead of a table.")
    var json = false

    func run() throws {
        let registry = CLIPlugins.registry
        if json {
            var out: [[String: Any]] = []
            for p in registry.plugins {
                out.append([
                    "kind": p.kind.rawValue, "name": p.name, "summary": p.summary,
                    "options": p.options.map {
                        [
                            "name": $0.name, "type": $0.type.description,
                            "default": ($0.defaultValue as Any?) ?? NSNull(), "help": $0.help,
                        ] as [String: Any]
                    },
                ])
            }
            let data = try JSONSerialization.data(withJSONObject: out, options: [.prettyPrinted, .sortedKeys])
            print(String(decoding: data, as: UTF8.self))
            return
        }
        // Names longer than the column (a team's `stratified-head`) widen it rather than being cut.
        let width = max(10, registry.plugins.map { $0.name.count }.max() ?? 0)
        for kind in PluginKind.allCases {
            let plugins = registry.plugins.filter { $0.kind == kind }
            guard !plugins.isEmpty else { continue }
            print("\(kind.plural):")
            for p in plugins {
                print("  \(p.name.padding(toLength: width, withPad: " ", startingAt: 0)) \(p.summary)")
                for o in p.options {
                    let d = o.defaultValue.map { $0.isEmpty ? "" : " = \($0)" } ?? (o.required ? " (required)" : "")
                    print("      \(o.name): \(o.type)\(d)  \(o.help)")
                }
            }
            print("")
        }
    }
}
