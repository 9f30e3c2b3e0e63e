import QuernCore
public import QuernKit
import QuernTestSupport
public import Testing

/// The contract of ``InputFormat`` (see its doc comment), checked for every format of a table on
/// a sample written in that format: the records read are the ones written, whatever the chunk
/// and read sizes; a broken record names its line; and any bytes at all end in records or a
/// ``ReadError``, never a crash or a hang.
///
/// ```swift
/// @Test(arguments: InputFormatConformance.cases(in: teamPlugins, samples: [mySample]))
/// func format(_ c: InputFormatConformance.Case) throws { try InputFormatConformance.check(c) }
/// ```
public enum InputFormatConformance {
    /// A small file in one format and what reading it must give. Every format of the table needs
    /// one (a format without a sample fails its case, naming what is missing).
    public struct Sample: Sendable {
        public var format: String
        /// The format's options, as a spec would give them (`[:]` for its defaults).
        public var options: [String: ConfigValue]
        public var text: String
        public var columns: [String]
        public var rows: [[String]]
        /// The line each record starts on (1-based).
        public var lines: [Int]
        /// A file with one broken record, and that record's line.
        public var broken: String
        public var brokenLine: Int
        /// A binary format's sample (an `.h5ad`): a file on disk, read by its path, instead of
        /// `text`; its broken sample is a truncated copy (any ``ReadError`` will do).
        public var file: String? = nil
        /// Each record's ``NumericBlock`` as dense values (nil: the records carry no block).
        public var blocks: [[Float]]? = nil

        public init(
            format: String, options: [String: ConfigValue] = [:], text: String, columns: [String], rows: [[String]],
            lines: [Int],
            broken: String, brokenLine: Int
        ) {
            self.format = format
            self.options = options
            self.text = text
            self.columns = columns
            self.rows = rows
            self.lines = lines
            self.broken = broken
            self.brokenLine = brokenLine
        }

        /// A binary format's sample: the file at `file` reads as `columns`, `rows` (the text
        /// fields), `lines` and `blocks`.
        public init(
            format: String, options: [String: ConfigValue] = [:], file: String, columns: [String], rows: [[String]],
            lines: [Int], blocks: [[Float]]?
        ) {
            self.init(
                format: format, options: options, text: "", columns: columns, rows: rows, lines: lines, broken: "",
                brokenLine: 0)
            self.file = file
            self.blocks = blocks
        }
    }

    /// One format of a table, with its samples.
    public struct Case: Sendable, CustomTestStringConvertible {
        public let plugin: any InputFormatPlugin.Type
        public let samples: [Sample]
        public var testDescription: String { plugin.name }
    }

    /// Every format of `table`, each with the samples naming it.
    public static func cases(in table: [any Plugin.Type], samples: [Sample]) -> [Case] {
        table.compactMap { $0 as? any InputFormatPlugin.Type }.map { p in
            Case(plugin: p, samples: samples.filter { $0.format == p.name })
        }
    }

    public static func check(_ c: Case) throws {
        guard !c.samples.isEmpty else {
            Issue.record(
                "format '\(c.plugin.name)' has no sample: give one (InputFormatConformance.Sample(format: \"\(c.plugin.name)\", ...))"
            )
            return
        }
        let registry = PluginRegistry([c.plugin])
        for s in c.samples {
            let format = try registry.format(s.format, s.options)
            #expect(format.name == c.plugin.name, "the format says its plugin's name")
            if let file = s.file {
                readsTheFile(format, s, file)
                refusesATruncatedCopy(format, s, file)
                continue
            }
            readsWhatWasWritten(format, s)
            namesTheBrokenLine(format, s)
        }
        let format = try registry.format(c.plugin.name, c.samples[0].options)
        survivesAnyBytes(format)
        if c.samples.contains(where: { $0.file != nil }) { survivesAnyFile(format) }
    }

    /// The sample reads as written, read whole or a byte at a time, in small or large chunks.
    static func readsWhatWasWritten(_ format: any InputFormat, _ s: Sample) {
        for step in [Int.max, 1, 5] {
            for chunk in [16, 1 << 20] {
                let context =
                    "\(s.format), read \(step == .max ? "whole" : "\(step) bytes at a time"), chunks of \(chunk)"
                do {
                    let r = try readAll(
                        format, MemorySource(s.text, step: step), settings: ReaderSettings(chunkBytes: chunk))
                    #expect(r.columns == s.columns, "\(context): columns")
                    #expect(r.rows == s.rows, "\(context): records")
                    #expect(r.lines == s.lines, "\(context): lines")
                } catch {
                    Issue.record("\(context): \(error)")
                }
            }
        }
    }

    /// The broken record is a ``ReadError`` naming its line.
    static func namesTheBrokenLine(_ format: any InputFormat, _ s: Sample) {
        for step in [Int.max, 1] {
            let error = #expect(throws: ReadError.self, "\(s.format): the broken sample is refused") {
                try readAll(format, MemorySource(s.broken, step: step), settings: ReaderSettings(chunkBytes: 16))
            }
            #expect(
                error?.line == s.brokenLine,
                "\(s.format): the error names line \(s.brokenLine): \(String(describing: error))")
        }
    }

    /// Empty input, and random bytes (text-like and binary), end in records or a ``ReadError``.
    static func survivesAnyBytes(_ format: any InputFormat) {
        var rng = SplitMix64(seed: 23)
        let alphabet = Array("a,;\t\"{}[]:1. \n\r\\".utf8)
        var inputs: [[UInt8]] = [[], [0x0A], [0xEF, 0xBB, 0xBF]]
        for k in 0..<200 {
            let n = Int(rng.next() % 300)
            inputs.append(
                (0..<n).map { _ in
                    k % 2 == 0
                        ? alphabet[Int(rng.next() % UInt64(alphabet.count))] : UInt8(truncatingIfNeeded: rng.next())
                })
        }
        for bytes in inputs {
            // A ReadError is a fine answer; anything else (a crash, a hang) fails the run.
            _ = try? readAll(
                format, MemorySource(bytes, step: 3), settings: ReaderSettings(maxRecordBytes: 256, chunkBytes: 7))
        }
    }
}
