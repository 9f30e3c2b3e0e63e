import Foundation
import QuernCore
import QuernKit
import QuernPlugins
import QuernTestSupport
import Testing

/// The contract every codec keeps (see `Codec`): lossless round trips at every level, and stream
/// decoding of the codec's file format fed in any chunk size.
@Suite("Codec conformance")
struct CodecConformanceTests {
    static let specs = ["none", "zlib:1", "zlib:6", "zlib:9", "lz4:0", "lz4:3", "lz4:12", "zstd:1", "zstd:3", "zstd:19"]

    static func samples() -> [[UInt8]] {
        var rng = SplitMix64(seed: 11)
        let random = (0..<100_000).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
        let text = Array(String(repeating: "0.1234,5.678,early,take3\n", count: 4000).utf8)
        var floats = [Float](repeating: 0, count: 20_000)
        for i in floats.indices { floats[i] = Float(rng.unit()) }
        return [[], [42], random, text, floats.withUnsafeBytes { Array($0) }]
    }

    @Test("round trip", arguments: specs)
    func roundTrip(_ spec: String) throws {
        let codec = try PluginRegistry.builtIn.codec(spec: spec)
        for sample in Self.samples() {
            let packed = try sample.withUnsafeBytes { try codec.compress($0) }
            let back = try packed.withUnsafeBytes { try codec.decompress($0, originalSize: sample.count) }
            #expect(back == sample, "\(spec), \(sample.count) bytes")
        }
    }

    @Test("compressible data gets smaller", arguments: specs.filter { $0 != "none" })
    func compresses(_ spec: String) throws {
        let codec = try PluginRegistry.builtIn.codec(spec: spec)
        let text = Self.samples()[3]
        let packed = try text.withUnsafeBytes { try codec.compress($0) }
        #expect(packed.count < text.count / 4)
    }

    @Test("damaged input is an error, not garbage", arguments: ["zlib", "lz4", "zstd"])
    func damageIsAnError(_ spec: String) throws {
        let codec = try PluginRegistry.builtIn.codec(spec: spec)
        let text = Self.samples()[3]
        var packed = try text.withUnsafeBytes { try codec.compress($0) }
        packed.removeLast(packed.count / 2)
        #expect(throws: (any Error).self) { try packed.withUnsafeBytes { try codec.decompress($0, originalSize: text.count) } }
    }

    /// Files compressed by the real command-line tools decode through each codec's stream decoder,
    /// fed in odd chunk sizes, including two concatenated streams.
    @Test("stream decoding of files made by gzip, zstd, lz4", arguments: [("gz", "gzip -c"), ("zst", "zstd -q -c"), ("lz4", "lz4 -q -c")])
    func streams(_ ext: String, _ tool: String) throws {
        let ws = TempWorkspace()
        let text = String(repeating: "a,b,c\n1,2,3\n", count: 5000)
        ws.write("plain.txt", text)
        #expect(try QuernProcess.shell("\(tool) plain.txt > one.\(ext) && cat one.\(ext) one.\(ext) > two.\(ext)", cwd: ws.path) == 0)
        let codec = try #require(try PluginRegistry.builtIn.codec(fileExtension: ext))
        for (file, copies) in [("one", 1), ("two", 2)] {
            let bytes = [UInt8](FileManager.default.contents(atPath: "\(ws.path)/\(file).\(ext)")!)
            for step in [1, 7, 4096] {
                let source = DecompressingSource(MemorySource(bytes, step: step), decoder: try #require(try codec.makeStreamDecoder()), codec: codec.name, chunk: 64)
                var out: [UInt8] = []
                var buf = [UInt8](repeating: 0, count: 1000)
                while true {
                    let n = try buf.withUnsafeMutableBytes { try source.read(into: $0) }
                    if n == 0 { break }
                    out += buf[0..<n]
                }
                #expect(out == Array(String(repeating: text, count: copies).utf8), "\(file).\(ext) step \(step)")
            }
        }
        // A truncated compressed file is reported, not read as a short file.
        let whole = [UInt8](FileManager.default.contents(atPath: "\(ws.path)/one.\(ext)")!)
        let cut = Array(whole.prefix(whole.count / 2))
        let source = DecompressingSource(MemorySource(cut), decoder: try #require(try codec.makeStreamDecoder()), codec: codec.name)
        var buf = [UInt8](repeating: 0, count: 1 << 16)
        #expect(throws: ReadError.self) {
            while try buf.withUnsafeMutableBytes({ try source.read(into: $0) }) > 0 {}
        }
    }
}
