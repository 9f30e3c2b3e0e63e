import Foundation

#if canImport(Glibc)
    import Glibc
    import QuernKit
#endif

extension Inspector {
    /// An output folder: X, labels, masks and output arrays of each split, preprocessing_stats.json and
    /// checksums.json; with `checksums`, everything `quern verify --output-dir` checks.
    static func output(_ dir: String, head: Int, checksums: Bool) throws -> Inspection {
        let stats =
            FileManager.default.contents(atPath: "\(dir)/\(OutputFolderLayout.stats)")
            .flatMap { try? JSONSerialization.jsonObject(with: $0) as? [String: Any] } ?? [:]
        var status = Inspection.Checksums(status: "not checked", checked: "nothing (--no-checksums)")
        var damaged = Set<String>()
        if checksums {
            var report = VerifyReport()
            OutputVerifier.check(dir, into: &report)
            status = .init(
                status: report.ok ? "ok" : "damaged",
                checked:
                    "every file against \(OutputFolderLayout.checksums), the .npy headers and lengths, labels, masks and \(OutputFolderLayout.stats)",
                problems: report.problems.map(\.description))
            damaged = Set(report.problems.map(\.path))
        }
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).filter { !$0.hasPrefix(".") }
            .sorted()
        let files = names.map { name in
            Inspection.FileInfo(
                name: name, bytes: fileSize("\(dir)/\(name)"),
                checksum: !checksums ? "not checked" : damaged.contains("\(dir)/\(name)") ? "damaged" : "ok")
        }
        var arrays: [Inspection.ArrayInfo] = []
        var splits: [String: Int] = [:]
        var headRows: [Inspection.Row] = []
        var scratch = VerifyReport()  // readers report into it; the status above is what counts
        for split in SplitFunction.names {
            let xName = OutputFolderLayout.x(split: split)
            guard let x = npyHeader("\(dir)/\(xName)"), x.shape.count == 2 else { continue }
            let n = x.shape[0]
            let d = x.shape[1]
            splits[split] = n
            arrays.append(.init(name: "X", dtype: x.descr, shape: x.shape, file: xName))
            var labels: [String: NpyArray] = [:]
            var masks: [String: NpyArray] = [:]
            for (file, into) in [
                (OutputFolderLayout.labels(split: split), 0), (OutputFolderLayout.masks(split: split), 1),
            ] {
                guard FileManager.default.fileExists(atPath: "\(dir)/\(file)"),
                    let members = OutputVerifier.readNpz("\(dir)/\(file)", into: &scratch)
                else {
                    continue
                }
                for (name, a) in members.sorted(by: { $0.key < $1.key }) {
                    arrays.append(.init(name: name, dtype: a.descr, shape: a.shape, file: file))
                    if into == 0 { labels[name] = a } else { masks[name] = a }
                }
            }
            // The extractor's output arrays (tokens_<split>.npy), as the stats list them.
            for spec in OutputVerifier.arraySpecs(stats) {
                let file = OutputFolderLayout.array(spec.name, split: split)
                guard let h = npyHeader("\(dir)/\(file)") else { continue }
                arrays.append(.init(name: spec.name, dtype: h.descr, shape: h.shape, file: file))
            }
            let count = min(max(head, 0), n)
            guard count > 0, x.descr == "<f4",
                let features = readFloats("\(dir)/\(xName)", at: x.dataStart, count: count * d)
            else { continue }
            for i in 0..<count {
                var l: [String: Int] = [:]
                for (name, a) in labels {
                    if let v = try? a.values(as: Int32.self, descr: "<i4"), i < v.count { l[name] = Int(v[i]) }
                }
                var m: [String: [Int]] = [:]
                for (name, a) in masks where a.descr == "|i1" && a.shape.count == 2 && i < a.shape[0] {
                    let w = a.shape[1]
                    m[name] = a.data[(i * w)..<((i + 1) * w)].map { Int(Int8(bitPattern: $0)) }
                }
                var row = Inspection.Row(
                    row: i, split: split, features: Array(features[(i * d)..<((i + 1) * d)]), labels: l, masks: m)
                // Row origin: with provenance (save.provenance), the file, line and group of the
                // row, from the files saved beside the outputs.
                if let origin = try? Provenance.origin(of: i, split: split, in: dir) {
                    row.source = origin.file
                    row.line = origin.line
                    row.group = origin.group.isEmpty ? nil : String(decoding: origin.group, as: UTF8.self)
                }
                headRows.append(row)
            }
        }
        return Inspection(
            kind: .output, path: dir, rows: splits.values.reduce(0, +), splits: splits,
            fingerprint: stats["schema_fingerprint"] as? String,
            extractor: nil, codecs: ["none"], inputFiles: nil, files: files, arrays: arrays, checksums: status,
            head: headRows,
            featureNames: stats["feature_names"] as? [String])
    }

    /// The header of an `.npy` file, or nil when it is missing or not one.
    static func npyHeader(_ path: String) -> NpyArray.Header? {
        guard let h = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? h.close() }
        guard let start = try? h.read(upToCount: NpyArrayLimits.headerRead) else { return nil }
        return try? NpyArray.header([UInt8](start))
    }

    /// `count` float32 values at `offset` in `path` (little-endian, as quern writes them).
    static func readFloats(_ path: String, at offset: Int, count: Int) -> [Float]? {
        guard let h = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? h.close() }
        guard (try? h.seek(toOffset: UInt64(offset))) != nil, let data = try? h.read(upToCount: count * 4),
            data.count == count * 4
        else { return nil }
        return data.withUnsafeBytes { raw in
            (0..<count).map {
                Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self)))
            }
        }
    }
}
