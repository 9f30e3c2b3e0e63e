import Foundation
import QuernTestSupport
import Testing

/// Replays the fuzz seeds and every kept fuzz input through the fuzz targets: none may crash.
@Suite("Fuzz regressions")
struct FuzzRegressionTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
        .deletingLastPathComponent()

    static func inputs(_ target: String) -> [String] {
        ["fuzz/seeds/\(target)", "Tests/Fixtures/fuzz-regressions/\(target)"].flatMap { dir in
            ((try? FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent(dir).path)) ?? []).map {
                "\(dir)/\($0)"
            }
        }.sorted()
    }

    @Test("every kept input ends cleanly", arguments: FuzzTargets.names)
    func replay(_ target: String) throws {
        let files = Self.inputs(target)
        #expect(files.count >= 2, "seeds and regressions for \(target)")
        var records = 0
        for file in files {
            let bytes = [UInt8](try Data(contentsOf: Self.root.appendingPathComponent(file)))
            records += FuzzTargets.run(target, bytes)
        }
        #expect(records > 0, "the valid seeds of \(target) yield records, so the target reads what it should")
    }
}
