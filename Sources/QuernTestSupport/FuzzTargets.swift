import QuernCore
import QuernKit
import QuernPlugins

/// What the fuzzers run (`make fuzz`, fuzz/run.sh) and what the regression tests replay: each
/// target reads arbitrary bytes as one kind of file and must end in records or a clean error,
/// never a crash, a hang or unbounded memory.
public enum FuzzTargets {
    public static let names = ["csv", "jsonl", "batch"]

    /// Runs target `name` on `bytes`; returns how many records (or rows) came out.
    @discardableResult
    public static func run(_ name: String, _ bytes: [UInt8]) -> Int {
        let registry = PluginRegistry.builtIn
        switch name {
        case "batch":
            let loaded = try? BatchFile.load(bytes: bytes, path: "fuzz.npz") { try registry.codec(zipMethod: $0) }
            return loaded?.batch.count ?? 0
        default:
            // Small chunks and a small record limit put every boundary case within reach.
            let settings = ReaderSettings(maxRecordBytes: 4096, chunkBytes: 7)
            guard let format = try? registry.format(name),
                let reader = try? format.open(MemorySource(bytes, step: 5), settings: settings)
            else { return 0 }
            let record = Record()
            var n = 0
            while (try? reader.next(into: record)) == true {
                for i in 0..<record.count { _ = record.string(i) }
                n += 1
            }
            return n
        }
    }
}
