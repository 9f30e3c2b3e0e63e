/// Mask heads stored eight values to a byte in batch files: the member `maskbits_<m>`, `|u1`
/// `[n, ceil(w/8)]`, value `j` of a row in bit `j % 8` (lowest first) of byte `j / 8`, the bits past
/// the width zero. That is `numpy.packbits(mask, axis=1, bitorder="little")`, and
/// `numpy.unpackbits(bits, axis=1, count=w, bitorder="little")` gives the mask back
/// (docs/formats.md, "Members").
///
/// Why: a mask value is 0 or 1 in a byte of its own. On the games workload (an 84-wide mask) the
/// masks were a quarter of a batch's uncompressed bytes, which LZ4 compressed slowly and only 2.1x;
/// packed, they are an eighth of that before compression. Hand-written because it is on the hot
/// path of every batch written and read: one multiply packs eight values, a table unpacks them.
enum MaskBits {
    /// Bytes of one packed row of `width` values.
    static func rowBytes(_ width: Int) -> Int { (width + 7) / 8 }

    /// Packs `rows` rows of `width` values (one byte each) into `scratch`; nil when a value is
    /// neither 0 nor 1 (such a mask is stored a byte a value, as it is).
    static func pack(_ data: UnsafeRawBufferPointer, rows: Int, width: Int, into scratch: ScratchBuffer)
        -> UnsafeRawBufferPointer?
    {
        let packedRow = rowBytes(width)
        precondition(data.count == rows * width, "MaskBits.pack: \(data.count) bytes for \(rows) x \(width)")
        let out = scratch.bytes(rows * packedRow)
        guard rows > 0, width > 0, let src = data.baseAddress, let dst = out.baseAddress else {
            return UnsafeRawBufferPointer(out)
        }
        var seen: UInt64 = 0
        for r in 0..<rows {
            let from = src + r &* width
            let to = dst + r &* packedRow
            var k = 0
            // Eight 0/1 bytes times this constant put value i at bit 56 + i, with no carries.
            while k &+ 8 <= width {
                let x = UInt64(littleEndian: from.loadUnaligned(fromByteOffset: k, as: UInt64.self))
                seen |= x
                to.storeBytes(
                    of: UInt8(truncatingIfNeeded: (x &* 0x0102_0408_1020_4080) >> 56), toByteOffset: k >> 3,
                    as: UInt8.self)
                k &+= 8
            }
            if k < width {
                var b: UInt8 = 0
                for j in 0..<(width &- k) {
                    let v = from.load(fromByteOffset: k &+ j, as: UInt8.self)
                    seen |= UInt64(v)
                    b |= (v & 1) << UInt8(j)
                }
                to.storeBytes(of: b, toByteOffset: k >> 3, as: UInt8.self)
            }
        }
        return seen & 0xFEFE_FEFE_FEFE_FEFE == 0 ? UnsafeRawBufferPointer(out) : nil
    }

    /// Each byte value spread to eight bytes of 0 and 1, lowest bit first.
    private static let spread: [UInt64] = (0..<256).map { (b: Int) -> UInt64 in
        var x: UInt64 = 0
        for j in 0..<8 where (b >> j) & 1 == 1 { x |= UInt64(1) << UInt64(8 * j) }
        return x
    }

    /// Unpacks `rows` packed rows of `width` values into `out` (`rows * width` bytes), a byte a
    /// value; false when a bit past the width is set (not a file quern wrote).
    static func unpack(_ data: UnsafeRawBufferPointer, rows: Int, width: Int, into out: UnsafeMutableRawBufferPointer)
        -> Bool
    {
        let packedRow = rowBytes(width)
        precondition(data.count == rows * packedRow, "MaskBits.unpack: \(data.count) bytes for \(rows) x \(width)")
        precondition(out.count == rows * width, "MaskBits.unpack: room for \(out.count) values, not \(rows) x \(width)")
        guard rows > 0, width > 0, let src = data.baseAddress, let dst = out.baseAddress else { return true }
        let full = width / 8
        let tail = width % 8
        var stray: UInt8 = 0
        Self.spread.withUnsafeBufferPointer { table in
            for r in 0..<rows {
                let from = src + r &* packedRow
                let to = dst + r &* width
                for i in 0..<full {
                    let b = from.load(fromByteOffset: i, as: UInt8.self)
                    to.storeBytes(of: table[Int(b)].littleEndian, toByteOffset: i &* 8, as: UInt64.self)
                }
                if tail > 0 {
                    let b = from.load(fromByteOffset: full, as: UInt8.self)
                    stray |= b >> UInt8(tail)
                    for j in 0..<tail {
                        to.storeBytes(of: (b >> UInt8(j)) & 1, toByteOffset: full &* 8 &+ j, as: UInt8.self)
                    }
                }
            }
        }
        return stray == 0
    }
}
