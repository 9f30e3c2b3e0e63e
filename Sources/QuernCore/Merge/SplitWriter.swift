public import Foundation

/// Receives merged rows and writes each to its split's staging files: `X_<split>.npy` (float32,
/// header patched at the end) and one raw file per label and mask head, turned into `.npz` files at
/// save time. Counts rows and classes, and checks labels and mask bits as they pass.
public final class SplitWriter {
    public let dir: String
    let schema: FeatureSchema
    let layout: RowLayout
    private var x: [BufferedFileWriter] = []
    private var labels: [[BufferedFileWriter]] = []
    private var masks: [[BufferedFileWriter]] = []
    public private(set) var rows = [0, 0, 0]
    /// classCounts[head][split][class]
    public private(set) var classCounts: [[[Int]]]
    public private(set) var problems: [String] = []
    private var problemCount = 0
    private let maskLabel: [Int?]

    public init(dir: String, schema: FeatureSchema) throws {
        self.dir = dir
        self.schema = schema
        layout = RowLayout(schema: schema)
        classCounts = schema.labels.map { head in Array(repeating: Array(repeating: 0, count: head.classes), count: 3) }
        maskLabel = schema.masks.map { m in m.label.flatMap { l in schema.labels.firstIndex { $0.name == l } } }
        for s in SplitFunction.names {
            let w = try BufferedFileWriter(path: "\(dir)/X_\(s).npy")
            try w.write(NpyHeader.bytes(descr: "<f4", shape: [0, layout.features]))
            x.append(w)
            labels.append(try schema.labels.map { try BufferedFileWriter(path: "\(dir)/.labels_\(s).\($0.name).raw") })
            masks.append(try schema.masks.map { try BufferedFileWriter(path: "\(dir)/.masks_\(s).\($0.name).raw") })
        }
    }

    public func write(_ block: RowBlock) throws {
        let d = layout.features
        try block.features.withUnsafeBytes { feats in
            for i in 0..<block.count {
                let s = Int(block.split[i])
                try x[s].write(UnsafeRawBufferPointer(rebasing: feats[(i * d * 4)..<((i + 1) * d * 4)]))
                for h in 0..<schema.labels.count {
                    var y = block.labels[h][i]
                    if y >= 0 && Int(y) < schema.labels[h].classes {
                        classCounts[h][s][Int(y)] += 1
                    } else {
                        problem("label '\(schema.labels[h].name)' value \(y) is outside 0..\(schema.labels[h].classes - 1)")
                    }
                    try withUnsafeBytes(of: &y) { try labels[s][h].write($0) }
                }
                for (m, w) in layout.maskWidths.enumerated() {
                    try block.masks[m].withUnsafeBytes { try masks[s][m].write(UnsafeRawBufferPointer(rebasing: $0[(i * w)..<((i + 1) * w)])) }
                    if let h = maskLabel[m] {
                        let y = Int(block.labels[h][i])
                        if y >= 0 && y < w && block.masks[m][i * w + y] != 1 {
                            problem("mask '\(schema.masks[m].name)' does not allow the row's own label \(y) (label head '\(schema.labels[h].name)')")
                        }
                    }
                }
                rows[s] += 1
            }
        }
    }

    private func problem(_ text: String) {
        problemCount += 1
        if problems.count < 10 { problems.append(text) } else if problems.count == 10 { problems.append("... more problems of this kind") }
    }

    /// Finishes the X files (real shapes in their headers) and closes the raw files.
    public func finish() throws {
        for s in 0..<3 {
            try x[s].patch(NpyHeader.bytes(descr: "<f4", shape: [rows[s], layout.features]), at: 0)
            try x[s].close()
            for w in labels[s] + masks[s] { try w.close() }
        }
    }

    /// Writes `labels_<split>.npz` and `masks_<split>.npz` (no masks file when there are no mask heads)
    /// from the raw files, then removes those.
    public func writeNpz() throws {
        for (s, name) in SplitFunction.names.enumerated() {
            let l = try NpzStreamWriter(path: "\(dir)/labels_\(name).npz")
            for head in schema.labels {
                let raw = "\(dir)/.labels_\(name).\(head.name).raw"
                try l.add(name: head.name, descr: "<i4", shape: [rows[s]], rawPath: raw)
                try FileManager.default.removeItem(atPath: raw)
            }
            try l.close()
            guard !schema.masks.isEmpty else { continue }
            let m = try NpzStreamWriter(path: "\(dir)/masks_\(name).npz")
            for head in schema.masks {
                let raw = "\(dir)/.masks_\(name).\(head.name).raw"
                try m.add(name: head.name, descr: "|i1", shape: [rows[s], head.width], rawPath: raw)
                try FileManager.default.removeItem(atPath: raw)
            }
            try m.close()
        }
    }
}
