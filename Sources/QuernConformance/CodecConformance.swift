import Foundation
import QuernCore
public import QuernKit
import QuernTestSupport
public import Testing

/// The contract of ``Codec`` (see its doc comment), checked for every codec of a table at its
/// default options, at both ends of every integer option (levels), and at any extra specs given.
///
/// ```swift
/// @Test(arguments: CodecConformance.cases(in: teamPlugins))
/// func codec(_ c: CodecConformance.Case) throws { try CodecConformance.check(c) }
/// ```
public enum CodecConformance {
    /// One codec at one set of options.
    public struct Case: Sendable, CustomTestStringConvertible {
        public let plugin: any CodecPlugin.Type
        /// `name` or `name:key=value`, as a flag would say it.
        public let spec: String
        /// How to make a file of the codec's format from `plain.txt` (a shell command writing to
        /// stdout: `gzip -c plain.txt`), one per file extension it declares.
        public let streamTools: [String: String]
        public var testDescription: String { spec }
    }

    /// Every codec of `table`: at its defaults, at the bounds of each integer option, and at the
    /// `extra` specs naming it (`zstd:19`). `streamTools` maps a file extension to a command that
    /// writes `plain.txt` compressed to stdout (`"gz": "gzip -c plain.txt"`): a codec that reads
    /// compressed input files must have one for each of its extensions.
    public static func cases(in table: [any Plugin.Type], extra: [String] = [], streamTools: [String: String] = [:])
        -> [Case]
    {
        var out: [Case] = []
        for p in table.compactMap({ $0 as? any CodecPlugin.Type }) {
            var specs = [p.name]
            for o in p.options {
                if case .int(let range?) = o.type {
                    specs += ["\(p.name):\(o.name)=\(range.lowerBound)", "\(p.name):\(o.name)=\(range.upperBound)"]
                }
            }
            specs += extra.filter { $0 == p.name || $0.hasPrefix(p.name + ":") }
            var unique: [String] = []
            for s in specs where !unique.contains(s) { unique.append(s) }
            out += unique.map { Case(plugin: p, spec: $0, streamTools: streamTools) }
        }
        return out
    }

    /// Payloads every codec must round-trip: empty, one byte, a run of one byte, random bytes
    /// (incompressible), text, float32s, and every byte value.
    public static func payloads() -> [(String, [UInt8])] {
        var rng = SplitMix64(seed: 11)
        let random = (0..<100_000).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
        var floats = [Float](repeating: 0, count: 20_000)
        for i in floats.indices { floats[i] = Float(rng.unit()) }
        return [
            ("empty", []), ("one byte", [42]), ("64 KiB of zeros", [UInt8](repeating: 0, count: 1 << 16)),
            ("100 kB random", random), ("text", text), ("float32s", floats.withUnsafeBytes { Array($0) }),
            ("every byte value", (0...255).map { UInt8($0) }),
        ]
    }

    static let text = Array(String(repeating: "0.1234,5.678,early,take3\n", count: 4000).utf8)

    /// Runs every check on one case.
    public static func check(_ c: Case) throws {
        let codec = try PluginRegistry([c.plugin]).codec(spec: c.spec)
        #expect(codec.name == c.plugin.name, "the codec says its plugin's name")
        #expect(codec.zipMethod == c.plugin.zipMethod, "the codec writes the ZIP method its plugin declares")
        try roundTrips(codec, c.spec)
        try compresses(codec, c.spec)
        try refusesDamage(codec, c.spec)
        if !c.plugin.fileExtensions.isEmpty { try streams(codec, c) }
    }

    /// `decompress(compress(x), originalSize: x.count) == x`, within `compressBound`.
    static func roundTrips(_ codec: any Codec, _ spec: String) throws {
        for (what, sample) in payloads() {
            let packed = try sample.withUnsafeBytes { try codec.compress($0) }
            #expect(packed.count <= codec.compressBound(sample.count), "\(spec), \(what): within compressBound")
            let back = try packed.withUnsafeBytes { try codec.decompress($0, originalSize: sample.count) }
            let same = back == sample
            #expect(same, "\(spec), \(what): round trip gave \(difference(back, sample))")
        }
    }

    /// Repetitive text shrinks to under a quarter (every codec but the stored one, ZIP method 0).
    static func compresses(_ codec: any Codec, _ spec: String) throws {
        guard codec.zipMethod != 0 else { return }
        let packed = try text.withUnsafeBytes { try codec.compress($0) }
        #expect(packed.count < text.count / 4, "\(spec): \(text.count) bytes of text became \(packed.count)")
    }

    /// Damage is an error, never garbage and never a crash: a truncated member, a member said to
    /// be larger or smaller than it is; random bytes fail or decode, without a crash.
    static func refusesDamage(_ codec: any Codec, _ spec: String) throws {
        var packed = try text.withUnsafeBytes { try codec.compress($0) }
        #expect(throws: (any Error).self, "\(spec): a wrong original size (+1) is an error") {
            _ = try packed.withUnsafeBytes { try codec.decompress($0, originalSize: text.count + 1) }
        }
        #expect(throws: (any Error).self, "\(spec): a wrong original size (-1) is an error") {
            _ = try packed.withUnsafeBytes { try codec.decompress($0, originalSize: text.count - 1) }
        }
        packed.removeLast(packed.count / 2)
        #expect(throws: (any Error).self, "\(spec): a truncated member is an error") {
            _ = try packed.withUnsafeBytes { try codec.decompress($0, originalSize: text.count) }
        }
        var rng = SplitMix64(seed: 7)
        for n in [1, 7, 100, 5000] {
            let junk = (0..<n).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            // An error or some bytes are both fine; reading out of bounds or trapping fails the run.
            _ = try? junk.withUnsafeBytes { try codec.decompress($0, originalSize: 1000) }
        }
    }

    /// Files made by the format's own tool decode through the codec's stream decoder fed in odd
    /// chunk sizes, two concatenated streams included; a truncated file is a ``ReadError``.
    static func streams(_ codec: any Codec, _ c: Case) throws {
        for ext in c.plugin.fileExtensions {
            guard let tool = c.streamTools[ext] else {
                Issue.record(
                    "\(c.plugin.name) reads .\(ext) files: give a command that makes one (streamTools[\"\(ext)\"], e.g. \"gzip -c plain.txt\")"
                )
                continue
            }
            let ws = TempWorkspace()
            let plain = String(repeating: "a,b,c\n1,2,3\n", count: 5000)
            ws.write("plain.txt", plain)
            let made = try QuernProcess.shell(
                "\(tool) > one.\(ext) && cat one.\(ext) one.\(ext) > two.\(ext)", cwd: ws.path)
            try #require(made == 0, "\(tool) made a .\(ext) file")
            for (file, copies) in [("one", 1), ("two", 2)] {
                let bytes = [UInt8](FileManager.default.contents(atPath: "\(ws.path)/\(file).\(ext)") ?? Data())
                for step in [1, 7, 4096] {
                    let decoder = try #require(
                        try codec.makeStreamDecoder(), "\(c.spec) reads .\(ext) files, so it has a stream decoder")
                    let out = try readAll(
                        DecompressingSource(
                            MemorySource(bytes, step: step), decoder: decoder, codec: codec.name, chunk: 64))
                    let expected = Array(String(repeating: plain, count: copies).utf8)
                    let same = out == expected
                    #expect(same, "\(file).\(ext) fed \(step) bytes at a time gave \(difference(out, expected))")
                }
            }
            let whole = [UInt8](FileManager.default.contents(atPath: "\(ws.path)/one.\(ext)") ?? Data())
            let decoder = try #require(try codec.makeStreamDecoder())
            #expect(throws: ReadError.self, "a truncated .\(ext) file is reported, not read as a short file") {
                _ = try readAll(
                    DecompressingSource(
                        MemorySource(Array(whole.prefix(whole.count / 2))), decoder: decoder, codec: codec.name))
            }
        }
    }

    /// Where two byte arrays part, for a message (never the arrays themselves: they are large).
    static func difference(_ a: [UInt8], _ b: [UInt8]) -> String {
        if a == b { return "the same bytes" }
        let k = (0..<min(a.count, b.count)).first { a[$0] != b[$0] } ?? min(a.count, b.count)
        return "\(a.count) bytes for \(b.count), first difference at byte \(k)"
    }

    static func readAll(_ source: any ByteSource) throws -> [UInt8] {
        var out: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 1000)
        while true {
            let n = try buf.withUnsafeMutableBytes { try source.read(into: $0) }
            if n == 0 { return out }
            out += buf[0..<n]
        }
    }
}
