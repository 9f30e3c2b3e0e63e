import Foundation
import Testing

/// A plugin is written against the kit alone: the package gives plugin targets no other
/// dependency, and these tests say so in words when someone adds an import the build would
/// otherwise refuse with "no such module".
@Suite("Plugin boundary")
struct PluginBoundaryTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    /// The modules each Swift file under `folder` imports, by file.
    static func imports(under folder: String) throws -> [String: [String]] {
        let base = "\(root)/\(folder)"
        let files = try FileManager.default.subpathsOfDirectory(atPath: base).filter { $0.hasSuffix(".swift") }
        var out: [String: [String]] = [:]
        for file in files {
            let text = try String(contentsOfFile: "\(base)/\(file)", encoding: .utf8)
            out["\(folder)/\(file)"] = text.split(separator: "\n").compactMap { line in
                let words = line.split(separator: " ")
                guard let i = words.firstIndex(of: "import"), i <= 1 else { return nil }
                return i + 1 < words.count ? String(words[i + 1]) : nil
            }
        }
        return out
    }

    @Test func pluginsImportOnlyTheKitAndTheirCLibrary() throws {
        let found = try Self.imports(under: "plugins")
        #expect(found.count >= 15, "the plugin sources were found")
        let cLibraries: Set = ["CZlib", "CLibdeflate", "CLZ4", "CZstd", "CHDF5"]
        for (file, modules) in found {
            let other = modules.filter { $0 != "QuernKit" && $0 != "Glibc" && !cLibraries.contains($0) }
            #expect(
                other.isEmpty,
                "\(file) imports \(other): a plugin depends on QuernKit only (move what it needs into the kit)")
        }
    }

    @Test func theKitDependsOnNothing() throws {
        let found = try Self.imports(under: "Sources/QuernKit")
        #expect(found.count >= 20, "the kit sources were found")
        for (file, modules) in found {
            #expect(
                modules.allSatisfy { $0 == "Glibc" }, "\(file) imports \(modules): the kit stays free of dependencies")
        }
    }
}
