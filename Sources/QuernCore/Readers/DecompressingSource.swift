public import QuernKit

/// The decompressed bytes of a compressed source, through a codec's ``StreamDecoder``.
public final class DecompressingSource: ByteSource {
    private let inner: any ByteSource
    private let decoder: any StreamDecoder
    private let codec: String
    private let input: UnsafeMutableRawBufferPointer
    private var start = 0
    private var end = 0
    private var innerEOF = false
    private var finished = false
    private var sawStreamEnd = false

    public init(_ inner: any ByteSource, decoder: any StreamDecoder, codec: String, chunk: Int = 1 << 18) {
        self.inner = inner
        self.decoder = decoder
        self.codec = codec
        input = .allocate(byteCount: chunk, alignment: 8)
    }

    deinit { input.deallocate() }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws(ReadError) -> Int {
        while !finished {
            if start == end && !innerEOF {
                let n = try inner.read(into: input)
                start = 0
                end = n
                if n == 0 { innerEOF = true }
            }
            if start == end && innerEOF {
                finished = true
                if !sawStreamEnd {
                    throw ReadError(line: nil, "the \(codec) stream is truncated (it ends before its end marker)")
                }
                return 0
            }
            if sawStreamEnd {
                do { try decoder.reset() } catch { throw ReadError(line: nil, "\(error)") }
                sawStreamEnd = false
            }
            let result: (consumed: Int, produced: Int, streamEnded: Bool)
            do {
                result = try decoder.decode(UnsafeRawBufferPointer(rebasing: input[start..<end]), into: buffer)
            } catch {
                throw ReadError(line: nil, "not valid \(codec) data: \(error)")
            }
            start += result.consumed
            if result.streamEnded { sawStreamEnd = true }
            if result.produced > 0 { return result.produced }
            if result.consumed == 0 && !result.streamEnded && start < end {
                throw ReadError(line: nil, "the \(codec) decoder made no progress (corrupt data)")
            }
        }
        return 0
    }
}
