import Foundation
import QuernKit

/// `quern init`: reads a sample of the input files and writes a commented starter config that runs
/// as it is. Numeric columns become `numeric:`, text columns with few values become one-hot
/// `categorical:` columns (their observed values listed), text columns with many values are left
/// out with a note suggesting the `hashed` extractor, fixed-width 0/1 columns become masks, and the
/// missing-value tokens seen are listed. The label and group columns are those given.
public struct StarterConfig: Sendable {
    public var inputDir: String
    public var label: String?
    public var group: String?
    /// Files read, spread over the sorted list; rows read per file. Files that fail to read, or
    /// hold no rows, are passed over and do not count in the profile.
    public var sampleFiles = 20
    public var sampleRows = 5000
    /// `--format`: read every file as this format (and write it into the config). Without it, each
    /// file's extension chooses, and the separator of delimited files is found from the sample.
    public var format: FormatChoice? = nil
    public var registry: PluginRegistry

    public init(inputDir: String, label: String? = nil, group: String? = nil, registry: PluginRegistry) {
        self.inputDir = inputDir
        self.label = label
        self.group = group
        self.registry = registry
    }

    /// What the sample showed.
    public struct Sample: Sendable {
        public var files: [String] = []
        public var filesTotal = 0
        public var rows = 0
        public var columns: [ColumnProfile] = []
        /// Columns missing from some sampled file (left out).
        public var inconsistent: [String] = []
        public var format = ""
        /// What the config's `input.format` must say to read the files as sampled (`auto` when
        /// the extensions' defaults do).
        public var formatChoice = FormatChoice.auto
        /// The block columns of the first sampled file (an `.h5ad`'s genes, its var names), and
        /// whether any sampled record's block was sparse; `columns` then profiles the others.
        public var genes: [String] = []
        public var sparse = false
    }

    /// Reads the sample. Throws naming the folder or the file that could not be read.
    public func sample() throws -> Sample {
        let files = try Discovery.find(in: inputDir, pattern: nil, registry: registry)
        guard !files.isEmpty else { throw DiscoveryError.noInputs(inputDir, pattern: nil) }
        var s = Sample()
        s.filesTotal = files.count
        let chosen = SampleFiles.choose(files, count: sampleFiles)
        var profiles: [String: ColumnProfile] = [:]
        var order: [String] = []
        var inAll: Set<String>? = nil
        var reasons: [String] = []
        var readAs: [(file: String, choice: FormatChoice, byExtension: FormatChoice)] = []
        for file in chosen {
            do {
                guard let extKind = Discovery.formatName(of: file.name, registry: registry) else { continue }
                let kind = (format: format?.name ?? extKind.format, compression: extKind.compression)
                let open = { () throws -> any ByteSource in
                    var stream: any ByteSource = try FileSource(path: "\(inputDir)/\(file.name)")
                    if let c = kind.compression, let codec = try registry.codec(fileExtension: c),
                        let d = try codec.makeStreamDecoder()
                    {
                        stream = DecompressingSource(stream, decoder: d, codec: codec.name)
                    }
                    return stream
                }
                let choice = try format ?? Self.sniffedFormat(kind.format, open())
                let reader = try registry.format(choice.name, choice.options).open(open(), settings: ReaderSettings())
                // The columns profiled as text: a block's (an .h5ad's genes) are counted, not profiled.
                let columns = Array(reader.columns.prefix(reader.blockColumns?.lowerBound ?? reader.columns.count))
                // This file's own profile, kept only if the whole sample of it reads: a malformed
                // file (which extraction skips) must not shape the config.
                var local = columns.map { ColumnProfile(name: $0) }
                let record = Record()
                var n = 0
                var sparse = false
                while n < sampleRows, try reader.next(into: record) {
                    for i in 0..<min(columns.count, record.count) { local[i].add(record.field(i)) }
                    if record.block?.indices != nil { sparse = true }
                    n += 1
                }
                guard n > 0 else { continue }
                if order.isEmpty {
                    order = columns
                    s.format = kind.format
                    s.genes = reader.blockColumns.map { Array(reader.columns[$0]) } ?? []
                }
                s.sparse = s.sparse || sparse
                inAll = inAll.map { $0.intersection(columns) } ?? Set(columns)
                for p in local {
                    if profiles[p.name] == nil { profiles[p.name] = p } else { profiles[p.name]!.merge(p) }
                }
                s.rows += n
                s.files.append(file.name)
                readAs.append((file.name, choice, FormatChoice(name: extKind.format)))
            } catch {
                // A malformed file is what extraction skips and reports; the sample goes on.
                reasons.append(TerminalText.escape("\(file.name): \(error)"))
            }
        }
        guard !s.files.isEmpty else { throw ExtractError.noHeader(reasons) }
        s.formatChoice = try format ?? Self.commonFormat(readAs)
        let common = inAll ?? []
        s.columns = order.filter { common.contains($0) }.compactMap { profiles[$0] }
        s.inconsistent = profiles.keys.filter { !common.contains($0) }.sorted()
        return s
    }

    /// How to read a file of format `name` whose bytes `source` gives: a delimited file with the
    /// separator its first lines show (``DelimiterSniffer``), anything else as its format.
    static func sniffedFormat(_ name: String, _ source: any ByteSource) throws -> FormatChoice {
        let own: UInt8
        switch name {
        case "csv": own = UInt8(ascii: ",")
        case "tsv": own = UInt8(ascii: "\t")
        default: return FormatChoice(name: name)
        }
        let found = DelimiterSniffer.sniff(try DelimiterSniffer.prefix(of: source), preferred: own) ?? own
        if found == own { return FormatChoice(name: name) }
        // Another separator: read as CSV with it (CSV's quoting reads a plain TSV too).
        if found == UInt8(ascii: ",") { return FormatChoice(name: "csv") }
        return FormatChoice(name: "csv", options: ["delimiter": .scalar(String(UnicodeScalar(found)))])
    }

    /// The one `input.format` that reads every sampled file as it was read: `auto` when each was
    /// read as its extension says. Files that need different settings cannot share one config.
    static func commonFormat(_ readAs: [(file: String, choice: FormatChoice, byExtension: FormatChoice)])
        throws(ConfigError) -> FormatChoice
    {
        guard readAs.contains(where: { $0.choice != $0.byExtension }) else { return .auto }
        let first = readAs[0].choice
        if readAs.allSatisfy({ $0.choice == first }) { return first }
        let shown = readAs.prefix(8).map { "\(TerminalText.escape($0.file)): \($0.choice)" }.joined(separator: ", ")
        throw .invalid(
            at: nil, key: "--format",
            reason:
                "the sampled files need different formats or separators (\(shown)), and one config reads every file one way: "
                + "put them in separate folders, or pass --format (for example --format 'csv:delimiter=;') to choose.")
    }

    /// The config text for a sample. Throws when the label or group column is not in the data.
    public func render(_ s: Sample) throws -> String {
        let names = s.columns.map(\.name)
        for (flag, column) in [("--label", label), ("--group", group)] {
            if let column, !names.contains(column) {
                throw ConfigError.invalid(
                    at: nil, key: flag,
                    reason:
                        "no column '\(column)' in the sampled files\(closest(to: column, in: names).map { " (did you mean '\($0)'?)" } ?? ""); columns: \(names.joined(separator: ", "))."
                )
            }
        }
        // Names and values from the data: quoted and escaped by YAMLWriter in YAML, escaped
        // (`e`) in comments, so none can end its line.
        let q = YAMLWriter.quote
        let e = OneLine.escape
        let labelProfile = s.columns.first { $0.name == label }
        var numeric: [String] = []
        var smallInts: [String] = []
        var idLike: [String] = []
        var categorical: [(String, [String])] = []
        var highCard: [(String, Int, Bool)] = []
        var masks: [(String, Int)] = []
        var empty: [String] = []
        var missingTokens: Set<String> = []
        for c in s.columns {
            missingTokens.formUnion(c.missingTokens)
            if c.name == label || c.name == group { continue }
            if c.present == 0 {
                empty.append(c.name)
            } else if c.isBitstring {
                masks.append((c.name, c.bitWidth!))
            } else if c.numeric {
                numeric.append(c.name)
                if c.integer && c.isLowCardinality && c.distinctCount <= 10 { smallInts.append(c.name) }
                if c.integer && c.present >= 20 && (c.distinctOverflow || c.distinctCount == c.present) {
                    idLike.append(c.name)
                }
            } else if c.isLowCardinality {
                categorical.append((c.name, c.distinct.sorted(by: Self.naturalOrder)))
            } else {
                highCard.append((c.name, c.distinctCount, c.distinctOverflow))
            }
        }

        var out: [String] = []
        out.append(
            "# Quern starter config, written by `quern init` from a sample of \(s.files.count) of the \(s.filesTotal) files in \(e(inputDir))"
        )
        out.append("# (\(s.rows) rows, \(s.format)). Check it, then run:  quern run --config THIS_FILE")
        out.append(
            "# Every key is described in docs/cli.md and docs/examples/games.yaml; `quern validate --config THIS_FILE` checks it."
        )
        out.append("paths:")
        out.append("  input: \(q(inputDir))")
        out.append("  intermediate: \"data/intermediate\"   # batch files (kept, so the merge can be re-run)")
        let outputs = [
            OutputFolderLayout.x(split: "{train,val,test}"), OutputFolderLayout.labels(split: "*"),
            OutputFolderLayout.masks(split: "*"),
        ]
        out.append("  output: \"data/processed\"           # \(outputs.joined(separator: ", "))")
        let logs = [RunLog.eventsFile, RunLog.humanFile, RunLog.summaryFile]
        out.append("  logs: \"data/logs\"                  # \(logs.joined(separator: ", "))")
        out.append("")
        out.append("input:")
        let tokens = Set(MissingValues.defaultTokens).union(missingTokens)
        let seen = missingTokens.sorted()
        out.append(
            "  # missing-value tokens seen in the sample: \(seen.isEmpty ? "none" : seen.map(q).joined(separator: ", "))"
        )
        out.append("  missing_values: [\(tokens.sorted().map(q).joined(separator: ", "))]")
        if !s.formatChoice.isAuto {
            let options = s.formatChoice.options.keys.sorted().map {
                ", \($0): \(q(s.formatChoice.options[$0]!.canonical))"
            }.joined()
            out.append(
                "  format: {name: \(q(s.formatChoice.name))\(options)}   # every file is read this way (\(format == nil ? "found in the sample" : "--format"))"
            )
        }
        out.append("")
        out.append("batch:")
        out.append("  codec: \"zstd\"          # none | zlib | lz4 | zstd, with a level as zstd:3")
        if s.genes.isEmpty {
            out.append("  files_per_batch: 500   # input files per batch file")
            out.append("  rows_per_batch: 1000000")
        } else {
            out += Self.geneBatchLines(s, features: numeric.count + s.genes.count)
        }
        out.append("")
        let useHashed = numeric.isEmpty && categorical.isEmpty && !highCard.isEmpty && s.genes.isEmpty
        out.append("extractor:")
        out.append("  name: \(useHashed ? "\"hashed\"" : "\"tabular\"")")
        if !numeric.isEmpty {
            out.append("  # \(numeric.count) numeric column\(numeric.count == 1 ? "" : "s") (numbers in the sample)")
            out += Self.flowList("  numeric: ", numeric.map(q))
            out.append("  fill_missing: 0        # value of a missing numeric cell")
            for c in s.columns where numeric.contains(c.name) && c.nonNumeric > 0 {
                out.append(
                    "  # \(e(c.name)): \(c.nonNumeric) sampled value\(c.nonNumeric == 1 ? " was" : "s were") not a number ('\(e(c.nonNumericExample ?? ""))'); files with such values fail and are listed in \(IntermediateFolderLayout.failed)"
                )
            }
            if !idLike.isEmpty {
                out.append(
                    "  # every value distinct in the sample, so perhaps an id rather than a feature: \(idLike.map(e).joined(separator: ", "))"
                )
            }
            if !smallInts.isEmpty {
                out.append(
                    "  # integer columns with few values, which could be one-hot instead (move them to categorical:):")
                out.append("  #   \(smallInts.map(e).joined(separator: ", "))")
            }
        }
        if !categorical.isEmpty {
            out.append(
                "  categorical:           # one-hot over the values seen; others (and missing) become all zeros, counted"
            )
            for (name, values) in categorical {
                out.append("    \(q(name)): [\(values.map(q).joined(separator: ", "))]")
            }
        }
        if useHashed {
            out.append("  hash_columns: [\(highCard.map { q($0.0) }.joined(separator: ", "))]")
            out.append("  buckets: 1024")
        } else if !highCard.isEmpty && !s.genes.isEmpty {
            out.append("  # text columns with many distinct values (cell ids and the like), left out:")
            for (name, n, more) in highCard {
                out.append("  #   \(e(name)): \(more ? "more than \(n)" : "\(n)") distinct values in the sample")
            }
        } else if !highCard.isEmpty {
            out.append(
                "  # text columns with many distinct values, left out of the features. To use them, switch to the")
            out.append(
                "  # `hashed` extractor (name: hashed, hash_columns: [...], buckets: 1024; it has no categorical:):")
            for (name, n, more) in highCard {
                out.append("  #   \(e(name)): \(more ? "more than \(n)" : "\(n)") distinct values in the sample")
            }
        }
        if !s.genes.isEmpty { out += Self.geneLines(s, matrix: s.formatChoice.options["matrix"]?.canonical) }
        if !empty.isEmpty {
            out.append("  # always missing in the sample, left out: \(empty.map(e).joined(separator: ", "))")
        }
        if !s.inconsistent.isEmpty {
            out.append("  # not in every sampled file, left out: \(s.inconsistent.map(e).joined(separator: ", "))")
        }
        var labelHead: (name: String, classes: Int)? = nil
        if let label, let p = labelProfile {
            out.append("  labels:")
            if p.integer && p.present > 0 && p.minInt >= 0 {
                var classes = p.maxInt + 1
                if let w = masks.first?.1, w >= classes { classes = w }
                labelHead = (Self.headName(label), classes)
                out.append(
                    "    \(Self.headName(label)): {column: \(q(label)), classes: \(classes)}   # integer labels 0..\(classes - 1) (largest seen: \(p.maxInt))"
                )
            } else {
                guard !p.distinctOverflow else {
                    throw ConfigError.invalid(
                        at: nil, key: "--label",
                        reason:
                            "column '\(label)' has more than \(ColumnProfile.distinctCap) distinct text values in the sample: a label needs integer classes or a short list of values."
                    )
                }
                let values = p.distinct.sorted(by: Self.naturalOrder)
                out.append(
                    "    \(Self.headName(label)): {column: \(q(label)), values: [\(values.map(q).joined(separator: ", "))]}"
                )
            }
        }
        if !masks.isEmpty {
            out.append("  masks:                 # fixed-width 0/1 columns")
            for (name, width) in masks {
                let tie = labelHead.flatMap { $0.classes == width ? ", label: \($0.name)" : nil } ?? ""
                out.append(
                    "    \(Self.headName(name)): {column: \(q(name)), width: \(width), encoding: bitstring\(tie)}")
            }
        }
        if let group { out.append("  group: \(q(group))     # rows of one group never straddle train/val/test") }
        out.append("")
        out.append("merge:")
        out.append("  strategy: \"concat\"     # concat | shuffle | dedupe | balance (`quern plugins`)")
        out.append("")
        out.append("split:")
        out.append("  fractions: [0.8, 0.1, 0.1]   # train, val, test")
        out.append(
            "  by: \(group == nil ? "\"row\"      # no --group given: each row on its own" : "\"group\"    # split by the group column")"
        )
        out.append("  seed: 0")
        out.append("")
        out.append("normalize:")
        out.append("  method: \"standard\"     # fit on train; standard | minmax | none")
        return out.joined(separator: "\n") + "\n"
    }

    /// A label or mask head name (letters, digits and _) from a column name.
    static func headName(_ column: String) -> String {
        let s = DatasetNames.sanitize(column).replacingOccurrences(of: "-", with: "_")
        return s.first?.isNumber == true ? "c_" + s : s
    }

    /// Numbers by value, then text.
    static func naturalOrder(_ a: String, _ b: String) -> Bool {
        switch (Double(a), Double(b)) {
        case (let x?, let y?): x < y
        case (.some, nil): true
        case (nil, .some): false
        default: a < b
        }
    }

    /// `key: [a, b, ...]` wrapped at about 110 columns, continuation lines indented.
    static func flowList(_ head: String, _ items: [String]) -> [String] {
        var lines: [String] = []
        var line = head + "["
        for (i, item) in items.enumerated() {
            let piece = item + (i == items.count - 1 ? "]" : ", ")
            if line.count + piece.count > 110 && line.count > head.count + 1 {
                lines.append(String(line.dropLast()))
                line = String(repeating: " ", count: head.count + 1)
            }
            line += piece
        }
        lines.append(line)
        return lines
    }
}
