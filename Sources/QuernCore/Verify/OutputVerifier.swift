import Foundation
import QuernKit

#if canImport(Glibc)
    import Glibc
#endif

/// Re-reads an output folder: every `.npy` header parses and the file is as long as its shape
/// says; X, labels and masks of a split agree on the row count; features agree across splits;
/// labels are class ids in range and masks are 0/1; X is finite; `\(OutputFolderLayout.stats)`
/// agrees with all of it (rows per split, total, input_dim, heads, class counts); provenance, when
/// written, has a row per row of X with indexes in range; each output array the stats list has a
/// row per row of X, of its dtype and width; every file has the
/// size and CRC-32 `checksums.json` recorded when the outputs were published.
public enum OutputVerifier {
    public static func check(_ dir: String, into report: inout VerifyReport) {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: dir, isDirectory: &isDir), isDir.boolValue else {
            report.problem(dir, "no output folder here: pass the right --output-dir, or run `quern merge`")
            return
        }
        let statsPath = "\(dir)/\(OutputFolderLayout.stats)"
        guard let data = FileManager.default.contents(atPath: statsPath),
            let stats = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
        else {
            report.problem(statsPath, "missing or not JSON: the outputs are incomplete; run `quern merge` again")
            return
        }
        let splitCounts = stats["splits"] as? [String: Int] ?? [:]
        let inputDim = stats["input_dim"] as? Int
        let labels = (stats["labels"] as? [[String: Any]] ?? []).compactMap { h in
            (h["name"] as? String).map { ($0, h["classes"] as? Int ?? Int.max) }
        }
        let masks = (stats["masks"] as? [[String: Any]] ?? []).compactMap { h in
            (h["name"] as? String).map { ($0, h["width"] as? Int ?? 0) }
        }
        let classCounts = stats["class_counts"] as? [String: [String: [Int]]] ?? [:]
        var total = 0
        var good = 0
        var known: [String: OutputChecksums.Record] = [:]
        var rowsBySplit: [String: Int] = [:]
        for split in SplitFunction.names {
            let xName = OutputFolderLayout.x(split: split)
            let xPath = "\(dir)/\(xName)"
            guard let x = checkX(xPath, into: &report) else { continue }
            known[xName] = x.checksum
            rowsBySplit[split] = x.rows
            total += x.rows
            if let d = inputDim, x.columns != d {
                report.problem(xPath, "has \(x.columns) features, \(OutputFolderLayout.stats) says input_dim \(d)")
            }
            if let n = splitCounts[split], n != x.rows {
                report.problem(xPath, "has \(x.rows) rows, \(OutputFolderLayout.stats) says \(n) for \(split)")
            }
            let problemsBefore = report.problems.count
            let path = "\(dir)/\(OutputFolderLayout.labels(split: split))"
            if let members = readNpz(path, into: &report) {
                for (name, classes) in labels {
                    guard let a = members[name] else {
                        report.problem(path, "has no array '\(name)' (a label head in \(OutputFolderLayout.stats))")
                        continue
                    }
                    guard a.descr == "<i4", a.shape == [x.rows] else {
                        report.problem(
                            path,
                            "array '\(name)' is \(a.descr) \(a.shape), expected <i4 [\(x.rows)] to match \(xName)"
                        )
                        continue
                    }
                    let values = (try? a.values(as: Int32.self, descr: "<i4")) ?? []
                    if let bad = values.first(where: { $0 < 0 || Int($0) >= classes }) {
                        report.problem(path, "array '\(name)' holds class \(bad), outside 0..<\(classes)")
                    } else if let expected = classCounts[name]?[split] {
                        var counts = [Int](repeating: 0, count: expected.count)
                        for v in values where Int(v) < counts.count { counts[Int(v)] += 1 }
                        if counts != expected {
                            report.problem(
                                path,
                                "array '\(name)' counts \(counts) per class, \(OutputFolderLayout.stats) says \(expected)"
                            )
                        }
                    }
                }
                for extra in Set(members.keys).subtracting(labels.map(\.0)).sorted() {
                    report.problem(path, "array '\(extra)' is no label head of \(OutputFolderLayout.stats)")
                }
            }
            let maskPath = "\(dir)/\(OutputFolderLayout.masks(split: split))"
            if !masks.isEmpty, let members = readNpz(maskPath, into: &report) {
                for (name, width) in masks {
                    guard let a = members[name] else {
                        report.problem(maskPath, "has no array '\(name)' (a mask head in \(OutputFolderLayout.stats))")
                        continue
                    }
                    guard a.descr == "|i1", a.shape == [x.rows, width] else {
                        report.problem(
                            maskPath,
                            "array '\(name)' is \(a.descr) \(a.shape), expected |i1 [\(x.rows), \(width)] to match \(xName)"
                        )
                        continue
                    }
                    if a.data.contains(where: { $0 > 1 }) {
                        report.problem(maskPath, "array '\(name)' holds values other than 0 and 1")
                    }
                }
            }
            if report.problems.count == problemsBefore { good += 1 }
        }
        if let t = stats["total_samples"] as? Int, t != total, report.ok {
            report.problem(statsPath, "total_samples is \(t), the splits hold \(total) rows")
        }
        if let merge = stats["merge"] as? [String: Any], let out = merge["rows_out"] as? Int, out != total, report.ok {
            report.problem(statsPath, "merge.rows_out is \(out), the splits hold \(total) rows")
        }
        report.checked.append("\(dir): \(good) of 3 splits good (\(Human.count(total)) rows)")
        checkProvenance(dir, rows: rowsBySplit, into: &report)
        let arrays = arraySpecs(stats)
        checkArrays(dir, arrays: arrays, rows: rowsBySplit, into: &report)
        checkChecksums(
            dir, recordedByStats: stats["checksums_file"] != nil, known: known, arrays: arrays.map(\.name),
            into: &report)
    }

    /// Checks an X file: header, length, 2-D float32, every value finite (read in 1 MiB chunks),
    /// and checksums the whole file in the same pass.
    static func checkX(_ path: String, into report: inout VerifyReport) -> (
        rows: Int, columns: Int, checksum: OutputChecksums.Record
    )? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            report.problem(path, "cannot be read (\(String(cString: strerror(errno)))): run `quern merge` again")
            return nil
        }
        defer { close(fd) }
        var st = stat()
        fstat(fd, &st)
        let size = Int(st.st_size)
        var head = [UInt8](repeating: 0, count: min(size, NpyArrayLimits.headerRead))
        let got = head.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, 0) }
        head = Array(head.prefix(max(0, got)))
        let header: NpyArray.Header
        let dataBytes: Int
        do {
            header = try NpyArray.header(head)
            dataBytes = try header.dataBytes()
        } catch {
            report.problem(path, "not a valid .npy file (\(error))")
            return nil
        }
        guard header.descr == "<f4", header.shape.count == 2 else {
            report.problem(path, "is \(header.descr) with shape \(header.shape), expected float32 [rows, features]")
            return nil
        }
        guard size - header.dataStart == dataBytes else {
            report.problem(
                path,
                "is \(size) bytes, its header (shape \(header.shape)) needs \(header.dataStart + dataBytes): cut short or padded"
            )
            return nil
        }
        let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 4)
        defer { chunk.deallocate() }
        var offset = header.dataStart
        var nonFinite = 0
        var crc = CRC32()
        head.withUnsafeBytes { crc.update(UnsafeRawBufferPointer(rebasing: $0[0..<header.dataStart])) }
        while offset < size {
            let n = pread(fd, chunk.baseAddress, min(chunk.count, size - offset), off_t(offset))
            guard n > 0 else {
                report.problem(path, "cannot be read to the end")
                return nil
            }
            let floats = UnsafeRawBufferPointer(rebasing: chunk[0..<(n - n % 4)]).bindMemory(to: Float.self)
            for v in floats where !v.isFinite { nonFinite += 1 }
            crc.update(UnsafeRawBufferPointer(rebasing: chunk[0..<(n - n % 4)]))
            offset += n - n % 4
        }
        if nonFinite > 0 { report.problem(path, "holds \(nonFinite) NaN or infinite values") }
        return (header.shape[0], header.shape[1], OutputChecksums.Record(bytes: size, crc32: crc.hex))
    }

    /// The arrays of an output `.npz` (members stored, as quern writes them), or nil with a problem.
    static func readNpz(_ path: String, into report: inout VerifyReport) -> [String: NpyArray]? {
        let bytes: [UInt8]
        do {
            bytes = try BatchFile.readWhole(path, limit: ZipArchive.limit)
        } catch {
            report.problem(path, "cannot be read (\(error.verifyReason)): run `quern merge` again")
            return nil
        }
        do {
            var out: [String: NpyArray] = [:]
            for m in try ZipArchive.read(bytes, path: path) {
                guard m.method == 0, m.name.hasSuffix(".npy") else {
                    report.problem(path, "member \(m.name) is not a stored .npy array")
                    return nil
                }
                guard m.compressed.count == m.uncompressedSize, CRC32.of(m.compressed) == m.crc32 else {
                    report.problem(path, "member \(m.name) fails its CRC-32 check (the file is damaged)")
                    return nil
                }
                out[String(m.name.dropLast(4))] = try NpyArray.decode(m.compressed)
            }
            return out
        } catch {
            report.problem(path, "not a valid .npz file (\(error.verifyReason)): run `quern merge` again")
            return nil
        }
    }
}

enum NpyArrayLimits {
    /// Enough of a file's start for any `.npy` 1.0 header (10 + 65,535 bytes).
    static let headerRead = 65_546
}
