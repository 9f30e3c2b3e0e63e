// swift-tools-version: 6.1
// Quern: raw data files in, training-ready arrays out. See docs/architecture.md for the map.
import PackageDescription

/// A built-in plugin: its own target under plugins/<kind>/<Name>/, depending on the plugin kit
/// (QuernKit) only, plus the C library it wraps for codecs: the build enforces that a plugin never
/// reaches into the host. The table of built-ins lives in QuernPlugins.
func plugin(_ name: String, _ path: String, extra: [Target.Dependency] = []) -> Target {
    .target(
        name: name, dependencies: ["QuernKit"] + extra, path: path,
        swiftSettings: swift)
}

let swift: [SwiftSetting] = [.enableUpcomingFeature("InternalImportsByDefault")]
let plugins: [(String, String, [Target.Dependency])] = [
    ("QuernCodecNone", "plugins/codecs/None", []),
    ("QuernCodecZlib", "plugins/codecs/Zlib", ["CZlib", "CLibdeflate"]),
    ("QuernCodecLZ4", "plugins/codecs/LZ4", ["CLZ4"]),
    ("QuernCodecZstd", "plugins/codecs/Zstd", ["CZstd"]),
    ("QuernFormatCSV", "plugins/formats/CSV", []),
    ("QuernFormatTSV", "plugins/formats/TSV", []),
    ("QuernFormatJSONLines", "plugins/formats/JSONLines", []),
    ("QuernFormatTrmph", "plugins/formats/Trmph", []),
    ("QuernFormatH5AD", "plugins/formats/H5AD", ["CHDF5"]),
    ("QuernExtractorTabular", "plugins/extractors/Tabular", []),
    ("QuernExtractorHashed", "plugins/extractors/Hashed", []),
    ("QuernExtractorHex", "plugins/extractors/Hex", []),
    ("QuernExtractorCommand", "plugins/extractors/Command", []),
    ("QuernWriterNpy", "plugins/writers/Npy", []),
    ("QuernWriterJSONLines", "plugins/writers/JSONLines", []),
    ("QuernExtractorRankGenes", "plugins/extractors/RankGenes", []),
    ("QuernMergeConcat", "plugins/merge/Concat", []),
    ("QuernMergeShuffle", "plugins/merge/Shuffle", []),
    ("QuernMergeDedupe", "plugins/merge/Dedupe", []),
    ("QuernMergeBalance", "plugins/merge/Balance", []),
]

let package = Package(
    name: "Quern",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "quern", targets: ["quern"]),
        .library(name: "QuernKit", targets: ["QuernKit"]),
        .library(name: "QuernCore", targets: ["QuernCore"]),
        .library(name: "QuernPlugins", targets: ["QuernPlugins"]),
        .library(name: "QuernCLI", targets: ["QuernCLI"]),
        .library(name: "QuernConformance", targets: ["QuernConformance"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
        .package(url: "https://github.com/apple/swift-system", from: "1.4.0"),
    ],
    targets: [
        .systemLibrary(name: "CZlib", path: "Sources/CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CLZ4", path: "Sources/CLZ4", pkgConfig: "liblz4", providers: [.apt(["liblz4-dev"])]),
        .systemLibrary(name: "CZstd", path: "Sources/CZstd", pkgConfig: "libzstd", providers: [.apt(["libzstd-dev"])]),
        .systemLibrary(
            name: "CLibdeflate", path: "Sources/CLibdeflate", pkgConfig: "libdeflate",
            providers: [.apt(["libdeflate-dev"])]),
        // libhdf5 for the h5ad format: Debian's hdf5.pc points at the serial build's headers and library.
        .systemLibrary(name: "CHDF5", path: "Sources/CHDF5", pkgConfig: "hdf5", providers: [.apt(["libhdf5-dev"])]),
        .target(name: "CQuernSys", path: "Sources/CQuernSys"),
        // The plugin kit: what a plugin is written against (protocols, rows, readers, options).
        // It depends on nothing, so a plugin author reads it alone (docs/plugins.md).
        .target(name: "QuernKit", swiftSettings: swift),
        .target(
            name: "QuernCore",
            dependencies: [
                "QuernKit", "CZlib", "CLibdeflate", "CQuernSys",
                .product(name: "Yams", package: "Yams"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            swiftSettings: swift),
        .target(
            name: "QuernPlugins", dependencies: ["QuernKit", "QuernCore"] + plugins.map { .target(name: $0.0) },
            swiftSettings: swift),
        // The command line, taking the plugin table from its caller: it cannot see the built-ins.
        .target(
            name: "QuernCLI",
            dependencies: [
                "QuernKit", "QuernCore", "CQuernSys",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swift),
        // The stock quern: QuernCLI with the built-in table.
        .executableTarget(name: "quern", dependencies: ["QuernCLI", "QuernPlugins"], swiftSettings: swift),
        .target(
            name: "QuernTestSupport", dependencies: ["QuernKit", "QuernCore", "QuernPlugins"], swiftSettings: swift),
        .testTarget(
            name: "QuernCoreTests", dependencies: ["QuernKit", "QuernCore", "QuernPlugins", "QuernTestSupport"],
            swiftSettings: swift),
        // The conformance suites (Swift Testing), run over a table of plugins: ours in PluginTests,
        // a team's in its own package.
        .target(
            name: "QuernConformance", dependencies: ["QuernKit", "QuernCore", "QuernPlugins", "QuernTestSupport"],
            swiftSettings: swift),
        .testTarget(
            name: "PluginTests",
            dependencies: ["QuernKit", "QuernCore", "QuernPlugins", "QuernTestSupport", "QuernConformance"],
            exclude: ["Fixtures"], swiftSettings: swift),
        .testTarget(
            name: "IntegrationTests", dependencies: ["QuernKit", "QuernCore", "QuernPlugins", "QuernTestSupport"],
            swiftSettings: swift),
    ] + plugins.map { plugin($0.0, $0.1, extra: $0.2) }
)
