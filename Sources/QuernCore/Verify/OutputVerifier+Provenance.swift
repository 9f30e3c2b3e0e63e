import Foundation
import QuernKit

extension OutputVerifier {
    /// With provenance in the folder (`save.provenance`): each split's `provenance_<split>.npy` is
    /// int64 `[rows of X, 3]`, its file indexes are in `provenance_files.json`, its lines are 1 or
    /// more, and its group indexes are in `provenance_groups.npy`.
    static func checkProvenance(_ dir: String, rows: [String: Int], into report: inout VerifyReport) {
        let listPath = "\(dir)/\(ProvenanceFiles.fileName)"
        let present = SplitFunction.names.filter {
            FileManager.default.fileExists(atPath: "\(dir)/\(Provenance.rowsFile($0))")
        }
        guard FileManager.default.fileExists(atPath: listPath) || !present.isEmpty else { return }
        guard let data = FileManager.default.contents(atPath: listPath),
            let list = try? JSONDecoder().decode(ProvenanceFiles.self, from: data)
        else {
            report.problem(
                listPath, "missing or not a quern file list, though provenance files are here: run `quern merge` again")
            return
        }
        let groupsPath = "\(dir)/\(Provenance.groupsFile)"
        guard let groupBytes = try? BatchFile.readWhole(groupsPath, limit: ZipArchive.limit),
            let groups = try? NpyArray.decode(groupBytes),
            groups.descr.hasPrefix("|S"),
            groups.shape.count == 1
        else {
            report.problem(groupsPath, "missing or not an array of byte strings: run `quern merge` again")
            return
        }
        var good = 0
        for split in SplitFunction.names {
            guard let n = rows[split] else { continue }
            let path = "\(dir)/\(Provenance.rowsFile(split))"
            guard let bytes = try? BatchFile.readWhole(path, limit: Int.max), let a = try? NpyArray.decode(bytes) else {
                report.problem(
                    path,
                    "missing or not a valid .npy file, though \(ProvenanceFiles.fileName) is here: run `quern merge` again"
                )
                continue
            }
            guard a.descr == "<i8", a.shape == [n, RowBlock.originWidth] else {
                report.problem(
                    path,
                    "is \(a.descr) \(a.shape), expected <i8 [\(n), 3] to match \(OutputFolderLayout.x(split: split))")
                continue
            }
            let v = (try? a.values(as: Int64.self, descr: "<i8")) ?? []
            var bad: String? = nil
            for r in 0..<n {
                let (f, line, g) = (v[r * 3], v[r * 3 + 1], v[r * 3 + 2])
                if f < 0 || f >= list.files.count {
                    bad = "row \(r) names file \(f), and \(ProvenanceFiles.fileName) lists \(list.files.count)"
                } else if line < 1 {
                    bad = "row \(r) has line \(line)"
                } else if g < 0 || g >= groups.shape[0] {
                    bad = "row \(r) names group \(g), and \(Provenance.groupsFile) holds \(groups.shape[0])"
                }
                if bad != nil { break }
            }
            if let bad { report.problem(path, bad) } else { good += 1 }
        }
        report.checked.append("\(dir): provenance of \(good) of \(rows.count) splits good")
    }
}
