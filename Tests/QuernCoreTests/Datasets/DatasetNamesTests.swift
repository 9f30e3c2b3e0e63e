import QuernCore
import QuernTestSupport
import Testing

/// Dataset names become folder names: nothing may escape the folder or collide silently.
@Suite("Dataset names")
struct DatasetNamesTests {
    @Test(arguments: [
        ("my dataset.csv", true, "my_dataset"),
        ("dataset@special.csv", true, "dataset_special"),
        ("games.csv.gz", true, "games"),
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
        let name = DatasetNames.sanitize(raw, isFile: isFile)
        #expect(name == expected)
        // Whatever came in, the name is one safe path component.
        #expect(!name.contains("/") && !name.contains("\\") && name != "." && name != ".." && !name.isEmpty)
        #expect(name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-") })
    }

    @Test func longNamesAreCut() {
        let name = DatasetNames.sanitize(String(repeating: "ab ", count: 200))
        #expect(name.count <= DatasetNames.maxLength)
        #expect(!name.hasSuffix("_"))
    }

    @Test func collisionsGetDistinctNamesAndANote() {
        let a = DatasetNames.assign(["my data.csv", "my@data.csv", "my_data.csv", "My-Data.csv", "my_data_2.csv", "other.csv"], isFile: true)
        #expect(a.map(\.name) == ["my_data", "my_data_2", "my_data_3", "My-Data", "my_data_2_2", "other"])
        #expect(Set(a.map { $0.name.lowercased() }).count == a.count)
        #expect(a[0].note == nil)
        let note = a[1].note
        #expect(note?.contains("'my@data.csv'") == true && note?.contains("'my data.csv'") == true && note?.contains("my_data_2") == true)
        #expect(a[5].note == nil)
    }

    @Test func namesDifferingOnlyInCaseCollide() {
        let a = DatasetNames.assign(["Data", "data"], isFile: false)
        #expect(a.map(\.name) == ["Data", "data_2"])
        #expect(a[1].note != nil)
    }

    @Test func dotDotAndSlashesCollideSafely() {
        let a = DatasetNames.assign(["..", "...", "/"], isFile: false)
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
        ws.write("d/loose.csv", "a\n1\n")
        let dirs = try DatasetBatch.discover(in: "\(ws.path)/d", files: false)
        #expect(dirs.datasets.map(\.name) == ["A", "b_set"])
        #expect(dirs.datasets.map(\.path) == ["\(ws.path)/d/A", "\(ws.path)/d/b set"])
        let files = try DatasetBatch.discover(in: "\(ws.path)/d", files: true)
        #expect(files.datasets.map(\.name) == ["loose"])
        #expect(files.datasets.allSatisfy { $0.isFile })
    }

    @Test func anEmptyFolderSaysWhatToDo() {
        let ws = QuernTestSupport.TempWorkspace("quern-batch")
        ws.write("d/only.csv", "a\n1\n")
        #expect(throws: DatasetError.noDatasets(dir: "\(ws.path)/d", files: false)) { try DatasetBatch.discover(in: "\(ws.path)/d", files: false) }
        #expect(throws: DatasetError.missingFolder("\(ws.path)/nope")) { try DatasetBatch.discover(in: "\(ws.path)/nope", files: false) }
        #expect("\(DatasetError.noDatasets(dir: "x", files: false))".contains("--datasets-from files"))
    }
}
