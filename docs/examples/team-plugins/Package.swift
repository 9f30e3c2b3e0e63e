// swift-tools-version: 6.1
// A team's own Quern plugins, in the team's own package: an extractor and a merge strategy, a
// `team-quern` executable that has them beside the built-ins, and tests that run Quern's
// conformance suites on them. docs/plugins.md walks through it.
import PackageDescription

let package = Package(
    name: "team-plugins",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "team-quern", targets: ["team-quern"]),
        .library(name: "TeamPlugins", targets: ["TeamPlugins"]),
    ],
    dependencies: [
        // Here, the Quern checkout this example lives in. In your own package:
        //   .package(url: "https://github.com/<org>/quern", from: "<version>"),
        .package(name: "Quern", path: "../../..")
    ],
    targets: [
        // The plugins: they see only the plugin kit (the build refuses anything else).
        .target(name: "TeamPlugins", dependencies: [.product(name: "QuernKit", package: "Quern")]),
        // `quern` with the team's plugins added.
        .executableTarget(
            name: "team-quern",
            dependencies: [
                "TeamPlugins",
                .product(name: "QuernCLI", package: "Quern"),
                .product(name: "QuernPlugins", package: "Quern"),
            ]),
        .testTarget(
            name: "TeamPluginsTests",
            dependencies: [
                "TeamPlugins",
                .product(name: "QuernConformance", package: "Quern"),
                .product(name: "QuernPlugins", package: "Quern"),
            ]),
    ]
)
