import QuernCore
import QuernPlugins
import QuernTestSupport
import Testing

/// Dataset names become folder names: nothing may escape the folder or collide silently.
@Suite("Dataset names")
struct DatasetNamesTests {
    /// What a dataset file's name loses: the built-in formats' and codecs' extensions.
    static let extensions = DataFileExtensions(registry: .builtIn)

    @Test(arguments: [
        ("my dataset.csv", true, "my_dataset"),
        ("dataset@special.csv", true, "dataset_special"),
        ("games.csv.gz", true, "games"),
        // Only a data extension (and a compression one after it) goes; other dots are the name's.
        ("sales.2023.csv", true, "sales_2023"),
        ("sales.2023.csv.gz", true, "sales_2023"),
        ("sales.2023", false, "sales_2023"),
        ("x.csv.gz", true, "x"),
        ("X.CSV.GZ", true, "X"),
        ("events.jsonl.zst", true, "events"),
        ("events.ndjson", true, "events"),
        ("table.tsv.lz4", true, "table"),
        ("x.gz", true, "x_gz"),
        ("x.gz.csv", true, "x_gz"),
        ("notes.txt", true, "notes_txt"),
        ("v2.final", true, "v2_final"),
        ("  spaced   out  ", false, "spaced_out"),
        ("a__b--c", false, "a_b--c"),
        ("___x___", false, "x"),
        ("v1.2", false, "v1_2"),
        ("données", false, "donn_es"),
        ("..", false, "dataset"),
        ("..", true, "dataset"),
        (".", false, "dataset"),
        ("../../etc/passwd", false, "etc_passwd"),
        ("/etc/passwd", false, "etc_passwd"),
        ("/abs/path/data.csv", true, "abs_path_data"),
        ("a/b", false, "a_b"),
        ("a\\b\\c", false, "a_b_c"),
        ("C:\\data\\x.tsv", true, "C_data_x"),
        ("tab\there\nnewline", false, "tab_here_newline"),
        ("nul\u{0}byte", false, "nul_byte"),
        ("-rf", false, "rf"),
        ("@@@", false, "dataset"),
        ("", false, "dataset"),
    ])
    func sanitizes(_ raw: String, _ isFile: Bool, _ expected: String) {
        let name = DatasetNames.sanitize(raw, dropping: isFile ? Self.extensions : nil)
        #expect(name == expected)
        // Whatever came in, the name is one safe path component.
        #expect(!name.contains("/") && !name.contains("\\") && name != "." && name != ".." && !name.isEmpty)
        #expect(name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-") })
    }

    /// Every name input discovery reads as data (any format, with or without a codec) loses its
    /// extensions, and only them.
    @Test func everyRegisteredDataExtensionIsDropped() throws {
        let registry = PluginRegistry.builtIn
        #expect(Set(registry.formatExtensions).isSuperset(of: ["csv", "tsv", "jsonl", "ndjson"]))
        #expect(Set(registry.compressedExtensions).isSuperset(of: ["gz", "zst", "lz4"]))
        for format in registry.formatExtensions {
            for codec in [nil] + registry.compressedExtensions {
                let file = "sales.2023.\(format)" + (codec.map { ".\($0)" } ?? "")
                try #require(Discovery.formatName(of: file, registry: registry) != nil, "discovery reads \(file)")
                #expect(DatasetNames.sanitize(file, dropping: Self.extensions) == "sales_2023", "\(file)")
            }
        }
    }

    @Test func longNamesAreCut() {
        let name = DatasetNames.sanitize(String(repeating: "ab ", count: 200))
        #expect(name.count <= DatasetNames.maxLength)
        #expect(!name.hasSuffix("_"))
    }

    @Test func collisionsGetDistinctNamesAndANote() {
        let a = DatasetNames.assign(
            ["my data.csv", "my@data.csv", "my_data.csv", "My-Data.csv", "my_data_2.csv", "other.csv"],
            dropping: Self.extensions)
        #expect(a.map(\.name) == ["my_data", "my_data_2", "my_data_3", "My-Data", "my_data_2_2", "other"])
        #expect(Set(a.map { $0.name.lowercased() }).count == a.count)
        #expect(a[0].note == nil)
        let note = a[1].note
        #expect(
            note?.contains("'my@data.csv'") == true && note?.contains("'my data.csv'") == true
                && note?.contains("my_data_2") == true)
        #expect(a[5].note == nil)
    }

    @Test func filesDifferingBeforeTheExtensionKeepDistinctNames() {
        let a = DatasetNames.assign(
            ["sales.2023.csv", "sales.2024.csv", "sales.2024.csv.gz"], dropping: Self.extensions)
        #expect(a.map(\.name) == ["sales_2023", "sales_2024", "sales_2024_2"])
        #expect(a[0].note == nil && a[1].note == nil)
        #expect(a[2].note?.contains("'sales.2024.csv.gz' and 'sales.2024.csv' both sanitize to 'sales_2024'") == true)
    }

    @Test func namesDifferingOnlyInCaseCollide() {
        let a = DatasetNames.assign(["Data", "data"], dropping: nil)
        #expect(a.map(\.name) == ["Data", "data_2"])
        #expect(a[1].note != nil)
    }

    @Test func dotDotAndSlashesCollideSafely() {
        let a = DatasetNames.assign(["..", "...", "/"], dropping: nil)
        #expect(a.map(\.name) == ["dataset", "dataset_2", "dataset_3"])
    }
}

/// Listing the datasets folder.
@Suite("Dataset discovery")
struct DatasetBatchTests {
    @Test func subfoldersOrFilesInByteOrderHiddenOnesSkipped() throws {
        let ws = QuernTestSupport.TempWorkspace("quern-batch")
        ws.write("d/b set/x.csv", "a\n1\n")
        ws.write("d/A/x.csv", "a\n1\n")
        ws.write("d/.hidden/x.csv", "a\n1\n")
        ws.write("d/sales.2023/x.csv", "a\n1\n")
        ws.write("d/loose.csv", "a\n1\n")
        ws.write("d/sales.2023.csv", "a\n1\n")
        ws.write("d/sales.2024.csv.gz", "")
        let dirs = try DatasetBatch.discover(in: "\(ws.path)/d", files: false, registry: .builtIn)
        #expect(dirs.datasets.map(\.name) == ["A", "b_set", "sales_2023"])
        #expect(dirs.datasets.map(\.path) == ["\(ws.path)/d/A", "\(ws.path)/d/b set", "\(ws.path)/d/sales.2023"])
        let files = try DatasetBatch.discover(in: "\(ws.path)/d", files: true, registry: .builtIn)
        #expect(files.datasets.map(\.name) == ["loose", "sales_2023", "sales_2024"])
        #expect(files.datasets.allSatisfy { $0.note == nil })
        #expect(files.datasets.allSatisfy { $0.isFile })
    }

    @Test func anEmptyFolderSaysWhatToDo() {
        let ws = QuernTestSupport.TempWorkspace("quern-batch")
        ws.write("d/only.csv", "a\n1\n")
        #expect(throws: DatasetError.noDatasets(dir: "\(ws.path)/d", files: false)) {
            try DatasetBatch.discover(in: "\(ws.path)/d", files: false, registry: .builtIn)
        }
        #expect(throws: DatasetError.missingFolder("\(ws.path)/nope")) {
            try DatasetBatch.discover(in: "\(ws.path)/nope", files: false, registry: .builtIn)
        }
        #expect("\(DatasetError.noDatasets(dir: "x", files: false))".contains("--datasets-from files"))
    }
}
