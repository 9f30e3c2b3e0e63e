import Foundation
import QuernCore
import QuernKit
import QuernPlugins
import QuernTestSupport
import Testing

/// Foundation's errors reach people as the system's reason, the path and what to do: never a
/// `NSCocoaErrorDomain Code=640` dump, never "permission" for something else.
@Suite("System error messages")
struct SystemErrorTests {
    /// /dev/full fails every write with ENOSPC, through the same FileHandle call the shuffle uses.
    @Test func aFullDiskWriteSaysNoSpaceTheFileAndWhatToDo() throws {
        let handle = try #require(FileHandle(forWritingAtPath: "/dev/full"))
        defer { try? handle.close() }
        var caught: (any Error)? = nil
        do { try handle.write(contentsOf: Data(count: 1 << 16)) } catch { caught = error }
        let error = try #require(caught)
        #expect(SystemError.errno(of: error) == ENOSPC, "\(error)")
        let wrapped = "\(SystemError.storageError(error, path: "/dev/full", operation: "write a shuffle bucket"))"
        #expect(
            wrapped
                == "/dev/full: cannot write a shuffle bucket: No space left on device. Free some space (or choose another folder) and run again: finished work is kept."
        )
        let message = SystemError.message(error)
        #expect(
            message.contains("No space left on device") && message.contains("Free some space")
                && !message.contains("NSCocoaErrorDomain"), "\(message)")
    }

    @Test func cocoaCodesWithoutAnUnderlyingErrorStillGiveTheirErrno() {
        let full = NSError(
            domain: NSCocoaErrorDomain, code: CocoaError.fileWriteOutOfSpace.rawValue,
            userInfo: [NSFilePathErrorKey: "/data/x.bin"])
        #expect(
            SystemError.message(full).hasPrefix(
                "/data/x.bin: cannot complete a file operation: No space left on device."))
        let unknown = NSError(domain: NSCocoaErrorDomain, code: 256, userInfo: [:])
        #expect(!SystemError.message(unknown).contains("NSCocoaErrorDomain"), "\(SystemError.message(unknown))")
    }

    /// A codec that cannot allocate its memory: the batch is fine, the machine is short of memory.
    @Test func anAllocationFailureIsNotReportedAsADamagedBatch() throws {
        struct StarvedCodec: Codec {
            var name: String { "zstd" }
            var level: Int? { nil }
            var zipMethod: UInt16 { 93 }
            func compressBound(_ count: Int) -> Int { count }
            func compress(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) throws -> Int {
                0
            }
            func decompress(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) throws {
                throw CodecError("zstd", "Allocation error : not enough memory", outOfMemory: true)
            }
            func makeStreamDecoder() throws -> (any StreamDecoder)? { nil }
        }
        let ws = TempWorkspace()
        let schema = FeatureSchema(features: [.init("a", normalized: true)], labels: [], masks: [], hasGroups: false)
        var batch = RowBatch(schema: schema)
        batch.beginSource("f.csv")
        [Float(1)].withUnsafeBufferPointer { f in
            batch.append(
                features: f, labels: UnsafeBufferPointer(start: nil, count: 0), masks: [],
                group: UnsafeBufferPointer(start: nil, count: 0), line: 2)
        }
        let path = "\(ws.path)/batch_000000.npz"
        let encoded = try BatchFile.encode(
            batch, name: BatchName(batch: 0, part: 0), schema: schema, fingerprint: SchemaFingerprint(value: "x"),
            extractor: "t",
            codec: try PluginRegistry.builtIn.codec(spec: "zstd"), path: path)
        try AtomicFile.write(encoded.bytes, to: path)
        var caught: (any Error)? = nil
        do { _ = try BatchFile.load(path: path) { _ in StarvedCodec() } } catch { caught = error }
        let text = "\(try #require(caught))"
        #expect(
            text.contains(path) && text.contains("Cannot allocate memory") && text.contains("not damaged"), "\(text)")
        #expect(!text.contains("not a valid batch file") && !text.contains("redo it"), "\(text)")
    }
}
