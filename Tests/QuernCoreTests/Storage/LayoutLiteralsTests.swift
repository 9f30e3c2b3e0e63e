import Foundation
import QuernCore
import Testing

/// The names of the files in the intermediate, output and log folders are spelled in one place
/// each (`OutputFolderLayout`, `IntermediateFolderLayout`, `RunLog`, `FolderLock`'s own lock
/// files): a name spelled again elsewhere drifts the day one of them changes.
@Suite struct LayoutLiteralsTests {
    /// What a spelled file name looks like in code. The literals here are what users see: keep
    /// them as they are.
    static let patterns = [
        #"(X|labels|masks|provenance|split)_(\\\(|train|val|test|\*|\{|<)"#,
        #"preprocessing_stats\.json|checksums\.json|\.quern-outputs\.json|transform\.json|quern_config\.yaml"#,
        #"provenance_files\.json|provenance_groups\.npy|transform_report\.json"#,
        #""X\.npy|labels\.npz|masks\.npz|provenance\.npy|\.staging-|"\.scratch"|"\.batches""#,
        #"journal\.jsonl|journal\.shard|"journal"|plan\.jsonl|failed\.jsonl|progress\.json|progress\.shard|"progress"#,
        #"cleanup\.json|export\.json|"superseded"|batch_(\\\(|[0-9]|N|\*)|"batch_"|\.lock\.|\.holder""#,
        #"events\.jsonl|quern\.log|summary\.json|"extract-\\\(|"output-\\\("#,
    ]

    /// The files allowed to spell the names: the owners.
    static let owners: Set = [
        "QuernCore/Storage/OutputFolderLayout.swift", "QuernCore/Stages/IntermediateFolderLayout.swift",
        "QuernCore/Logging/RunLog.swift", "QuernCore/Storage/FolderLock.swift",
    ]

    /// Lines of text for people that show a name with a placeholder no owner can produce.
    static let allowed = [
        ("QuernCLI/Commands/SlurmCommand.swift", "/progress.shard-K-of-")
    ]

    /// The lines of `text` that spell a name, skipping comments and text for people: a command's
    /// `discussion:` block, `help:`/`more:`/`ArgumentHelp(` texts (on their line or the next).
    static func offenders(in text: String) -> [String] {
        let regexes = patterns.map { try! NSRegularExpression(pattern: $0) }
        var found: [String] = []
        var inDiscussion = false
        var previousOpensHelp = false
        for (n, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = String(raw)
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            defer {
                if !trimmed.isEmpty {
                    previousOpensHelp =
                        trimmed.hasSuffix("help:") || trimmed.hasSuffix("ArgumentHelp(")
                        || trimmed.hasSuffix("more:")
                }
            }
            if inDiscussion {
                if trimmed.hasPrefix("\"\"\"") { inDiscussion = false }
                continue
            }
            if trimmed.contains("discussion:") && trimmed.hasSuffix("\"\"\"") {
                inDiscussion = true
                continue
            }
            if trimmed.hasPrefix("//") || previousOpensHelp || trimmed.contains("help:")
                || trimmed.contains("ArgumentHelp(") || trimmed.contains("more:")
            {
                continue
            }
            let code = line.range(of: " // ").map { String(line[..<$0.lowerBound]) } ?? line
            let range = NSRange(code.startIndex..., in: code)
            if regexes.contains(where: { $0.firstMatch(in: code, range: range) != nil }) {
                found.append("\(n + 1): \(trimmed)")
            }
        }
        return found
    }

    @Test func fileNamesAreSpelledOnlyByTheirOwners() throws {
        let here = #filePath
        let root = try #require(here.range(of: "/Tests/QuernCoreTests/").map { String(here[..<$0.lowerBound]) })
        let dir = "\(root)/Sources"
        var found: [String] = []
        let walker = try #require(FileManager.default.enumerator(atPath: dir))
        for case let file as String in walker where file.hasSuffix(".swift") && !Self.owners.contains(file) {
            let text = try String(contentsOfFile: "\(dir)/\(file)", encoding: .utf8)
            for hit in Self.offenders(in: text)
            where !Self.allowed.contains(where: { $0.0 == file && hit.contains($0.1) }) {
                found.append("Sources/\(file):\(hit)")
            }
        }
        #expect(
            found.isEmpty,
            "use OutputFolderLayout, IntermediateFolderLayout or RunLog instead:\n\(found.joined(separator: "\n"))")
    }

    @Test func theScanFindsNamesInCodeAndSkipsTextForPeople() {
        let code = #"""
            let a = "\(dir)/X_\(split).npy"
            try AtomicFile.write(lines, to: "\(dir)/failed.jsonl")  // the list
            guard name.hasPrefix("progress") else { continue }
            let b = IntermediateFolderLayout.batch(3, part: 0) + "batch_\(k).npz"
            """#
        #expect(Self.offenders(in: code).map { $0.prefix(2) } == ["1:", "2:", "3:", "4:"])
        let people = #"""
            /// Writes `X_<split>.npy` and `failed.jsonl`.
            // journal.jsonl is read first
            static let configuration = CommandConfiguration(
                discussion: """
                    Writes X_train.npy and preprocessing_stats.json.
                    """)
            @Option(help: "Folder of events.jsonl")
            @Argument(
                help: ArgumentHelp(
                    "A batch file (batch_*.npz).", valueName: "path"))
            let c = OutputFolderLayout.x(split: "train")
            """#
        #expect(Self.offenders(in: people).isEmpty)
    }

    /// The names users and Python readers rely on, exactly.
    @Test func theOwnersSpellTheNamesUsersSee() {
        typealias O = OutputFolderLayout
        typealias I = IntermediateFolderLayout
        #expect(O.x(split: "val") == "X_val.npy")
        #expect(O.labels(split: "train") == "labels_train.npz")
        #expect(O.masks(split: "test") == "masks_test.npz")
        #expect(O.provenance(split: "train") == "provenance_train.npy")
        #expect(
            O.legacyNames == [
                "X_train.npy", "labels_train.npz", "masks_train.npz", "X_val.npy", "labels_val.npz", "masks_val.npz",
                "X_test.npy", "labels_test.npz", "masks_test.npz", "preprocessing_stats.json",
            ])
        #expect(O.isOutput("checksums.json") && O.isOutput("provenance_files.json") && O.isOutput("transform.json"))
        #expect(O.isOutput("quern_config.yaml") && O.isOutput("X.npy") && O.isOutput("transform_report.json"))
        #expect(!O.isOutput("notes.txt") && !O.isOutput(".quern-outputs.json") && !O.isOutput("X_train.npz"))
        #expect(O.stagingPrefix(besideFolderNamed: "out") == ".out.staging-")
        #expect(O.lock(besideFolderNamed: "out") == "output-out")
        #expect(I.batch(12, part: 0) == "batch_000012.npz" && I.batch(12, part: 1) == "batch_000012.001.npz")
        #expect(I.parseBatch("batch_000012.001.npz")! == (12, 1))
        #expect(I.parseBatch("batch_000012.000.npz") == nil && I.parseBatch("batch_12.npy") == nil)
        #expect(I.journal(shard: 0, of: 1) == "journal.jsonl")
        #expect(I.journal(shard: 1, of: 4) == "journal.shard-1-of-4.jsonl")
        #expect(I.progress(shard: 0, of: 1) == "progress.json")
        #expect(I.progress(shard: 2, of: 3) == "progress.shard-2-of-3.json")
        #expect(I.shard(inFileName: "progress.shard-2-of-3.json")! == (2, 3))
        #expect(I.extractLockShard(inFileName: ".lock.extract-1-of-2")! == ("extract-1-of-2", 1, 2))
        #expect(I.extractLockShard(inFileName: ".lock.extract-1-of-2.holder") == nil)
        #expect(FolderLock.fileName(I.planLock) == ".lock.plan")
        #expect(
            [I.plan, I.failed, I.cleanup, I.exportMarker] == [
                "plan.jsonl", "failed.jsonl", "cleanup.json", "export.json",
            ])
    }
}
