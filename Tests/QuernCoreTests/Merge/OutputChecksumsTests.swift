import Foundation
import QuernKit
import QuernTestSupport
import Testing

@testable import QuernCore

/// `checksums.json` is written from files read in pieces on several threads and joined with
/// `crc32_combine`: it must say what one read of each whole file says, for every size.
@Suite("Output checksums read in pieces")
struct OutputChecksumsTests {
    @Test func piecesJoinedGiveTheChecksumOfTheWholeFile() throws {
        let ws = TempWorkspace()
        var rng = SplitMix64(seed: 7)
        let piece = 4096  // the real pieces are 32 MiB: the same joins on smaller files
        // Empty, one byte, exactly one piece, one piece and a byte, and several pieces and a tail.
        let sizes = [
            "X_train.npy": 2 * piece + 12_345, "X_val.npy": piece, "X_test.npy": piece + 1,
            "labels_train.npz": 1, "masks_train.npz": 0,
        ]
        for (name, size) in sizes {
            ws.write(name, (0..<size).map { _ in UInt8(truncatingIfNeeded: rng.next()) })
        }
        try OutputChecksums.write(dir: ws.path, pieceBytes: piece)
        let manifest = try #require(try OutputChecksums.read(dir: ws.path))
        #expect(Set(manifest.files.keys) == Set(sizes.keys))
        for (name, size) in sizes {
            let whole = try OutputChecksums.checksum(of: "\(ws.path)/\(name)")
            #expect(manifest.files[name] == whole, "\(name)")
            #expect(whole.bytes == size)
        }
        // And every checksum is zlib's crc32 of the whole file, as `quern verify`'s Python users compute it.
        let python = try QuernProcess.python(
            "import json, os, sys, zlib\n"
                + "print(json.dumps({n: '%08x' % zlib.crc32(open(os.path.join(sys.argv[1], n), 'rb').read()) "
                + "for n in sys.argv[2:]}))", arguments: [ws.path] + sizes.keys.sorted())
        #expect(python.status == 0, "\(python.stderr)")
        let zlib = try #require(
            try JSONSerialization.jsonObject(with: Data(python.stdout.utf8)) as? [String: String], "\(python.stdout)")
        #expect(zlib == manifest.files.mapValues(\.crc32))
    }
}
