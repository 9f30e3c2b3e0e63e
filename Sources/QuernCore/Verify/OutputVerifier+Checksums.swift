import Foundation

extension OutputVerifier {
    /// Compares every file `checksums.json` lists with its recorded size and CRC-32 (`known` holds
    /// those already computed while reading the X files, so X is read once), and reports quern
    /// outputs in the folder that it does not list. Outputs of a quern that recorded no checksums
    /// (`recordedByStats` false) get a note instead of a problem.
    static func checkChecksums(
        _ dir: String, recordedByStats: Bool, known: [String: OutputChecksums.Record], arrays: [String] = [],
        into report: inout VerifyReport
    ) {
        // Output arrays' files (`tokens_train.npy`) are named by the extractor: quern's when the stats list them.
        func isQuern(_ name: String) -> Bool {
            OutputPublisher.isQuernOutput(name) || OutputFolderLayout.isArray(name, of: arrays)
        }
        let manifestPath = "\(dir)/\(OutputChecksums.fileName)"
        let manifest: OutputChecksums.Manifest
        do {
            guard let m = try OutputChecksums.read(dir: dir) else {
                if recordedByStats {
                    report.problem(
                        manifestPath,
                        "missing, though \(OutputFolderLayout.stats) says the outputs recorded it: the files cannot be checked; run `quern merge` again"
                    )
                } else {
                    report.notes.append(
                        "\(dir): no \(OutputChecksums.fileName) (outputs of an older quern): file contents were not checked against checksums; `quern merge` again records them"
                    )
                }
                return
            }
            manifest = m
        } catch {
            report.problem(manifestPath, "cannot be read (\(error.verifyReason)): run `quern merge` again")
            return
        }
        var matched = 0
        for (name, recorded) in manifest.files.sorted(by: { $0.key < $1.key }) {
            let path = "\(dir)/\(name)"
            guard isQuern(name), name != OutputChecksums.fileName else {
                report.problem(
                    manifestPath,
                    "lists '\(name)', which is not a file quern writes: the manifest was edited; run `quern merge` again"
                )
                continue
            }
            guard FileManager.default.fileExists(atPath: path) else {
                report.problem(path, "missing, though \(OutputChecksums.fileName) lists it: run `quern merge` again")
                continue
            }
            let actual: OutputChecksums.Record
            if let k = known[name] {
                actual = k
            } else {
                do {
                    actual = try OutputChecksums.checksum(of: path)
                } catch {
                    report.problem(path, "cannot be read (\(error)): run `quern merge` again")
                    continue
                }
            }
            if actual == recorded {
                matched += 1
            } else {
                report.problem(
                    path,
                    "CRC-32 is \(actual.crc32) (\(actual.bytes) bytes), \(OutputChecksums.fileName) recorded \(recorded.crc32) (\(recorded.bytes) bytes) "
                        + "when the outputs were published: the file changed since (damaged or edited); run `quern merge` again"
                )
            }
        }
        // Quern's files are those the publisher recorded (`.quern-outputs.json`): a user's own file
        // with a quern-like name (`labels_mine.npz`) beside the outputs is not a problem.
        let owned = OutputManifest.read(from: dir).map { Set($0.files) }
        let present = ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).filter {
            $0 != OutputChecksums.fileName && isQuern($0) && (owned?.contains($0) ?? true)
        }
        for name in present.sorted() where manifest.files[name] == nil {
            report.problem(
                "\(dir)/\(name)",
                "not listed in \(OutputChecksums.fileName): not written by the merge that made these outputs; remove it, or run `quern merge` again"
            )
        }
        report.checked.append(
            "\(dir): checksums of \(matched) of \(manifest.files.count) files match \(OutputChecksums.fileName)")
    }
}
