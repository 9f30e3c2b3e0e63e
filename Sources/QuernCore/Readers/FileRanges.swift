import QuernKit
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// One big uncompressed file cut into byte ranges that start at records, so every worker can read
/// a part of it. Range `k` starts at the first record that starts at `k * rangeBytes` or later
/// (range 0 at the file's start, with the header); where exactly follows from the file and
/// `rangeBytes` alone, never from the workers, so the batch is the same for any worker count.
///
/// The record starts are found by one quote-aware scan of the file (``RecordBoundaryScanner``),
/// made as workers ask for ranges, under a lock: a worker asking for range `k` scans on from the
/// last start known to the end of range `k`. The scan also counts line feeds, so each range knows
/// the line it starts on, and keeps the CRC-32 of the file's bytes for the journal.
final class FileRanges: Sendable {
    /// A range of the file and what a reader of it needs.
    struct Range: Sendable, Equatable {
        var start: Int
        var end: Int
        /// The line `start` is on (from 1).
        var line: Int
        /// Where the header record ends, and the line there: a range after the first is read as
        /// the bytes `0..<headerEnd` followed by its own.
        var headerEnd: Int
        var headerLine: Int

        /// What to add to a line a reader of this range names, to make it the file's line: the
        /// lines between the header and the range (none for the first range, read as it is).
        var lineOffset: Int { start == 0 ? 0 : line - headerLine }
    }

    let path: String
    /// Ranges planned: one per `rangeBytes` of the size discovery gave (some may be empty).
    let count: Int
    let rangeBytes: Int
    let splitting: RecordSplitting

    private struct Scan {
        var fd: Int32 = -1
        var size = 0
        var scanner: RecordBoundaryScanner
        /// Bytes scanned (and in `crc`) so far; the scanner's state is at this offset.
        var offset = 0
        var crc = CRC32()
        /// Whether `offset` is a record start (the scan stops only at one, or at the end).
        var atStart = true
        var header: (end: Int, line: Int)? = nil
        /// The file's CRC-32, once read to its end.
        var fileCRC: CRC32? = nil
        /// Record starts found, `starts[k]` for range `k` (`starts[0]` is 0).
        var starts: [(offset: Int, line: Int)] = [(0, 1)]
        var buffer: UnsafeMutableRawBufferPointer? = nil
    }
    private let scan: Mutex<Scan>

    init(path: String, size: Int, rangeBytes: Int, splitting: RecordSplitting) {
        self.path = path
        self.rangeBytes = rangeBytes
        self.splitting = splitting
        count = max(1, (size + rangeBytes - 1) / rangeBytes)
        scan = Mutex(Scan(scanner: splitting.scanner()))
    }

    deinit {
        scan.withLock { s in
            if s.fd >= 0 { close(s.fd) }
            s.buffer?.deallocate()
        }
    }

    /// Range `k`, scanning the file as far as its end when no worker has yet.
    func range(_ k: Int) throws(ReadError) -> Range {
        try scan.withLock { (s: inout Scan) throws(ReadError) -> Range in
            try open(&s)
            let header = try headerEnd(&s)
            while s.starts.count <= min(k + 1, count) {
                let target = max(s.starts.count * rangeBytes, header.end)
                s.starts.append(s.starts.count == count ? (s.size, 0) : try next(&s, from: target))
            }
            let start = s.starts[k]
            let end = k + 1 < count ? s.starts[k + 1].offset : s.size
            return Range(
                start: start.offset, end: max(start.offset, end), line: start.line, headerEnd: header.end,
                headerLine: header.line)
        }
    }

    /// The CRC-32 of the whole file (what ``FileSource`` gives for a file read whole), reading
    /// what the scan has not. Asked once every range is read: the file and the scan's buffer are
    /// let go then, so an extract of many big files does not hold one of each.
    func fileCRC() throws(ReadError) -> CRC32 {
        try scan.withLock { (s: inout Scan) throws(ReadError) -> CRC32 in
            if let done = s.fileCRC { return done }
            try open(&s)
            while s.offset < s.size {
                let n = try read(&s, at: s.offset)
                guard n > 0 else { break }
                s.crc.update(UnsafeRawBufferPointer(rebasing: s.buffer![0..<n]))
                s.offset += n
            }
            close(s.fd)
            s.fd = -1
            s.buffer?.deallocate()
            s.buffer = nil
            s.fileCRC = s.crc
            return s.crc
        }
    }

    private func open(_ s: inout Scan) throws(ReadError) {
        guard s.fd < 0 else { return }
        let fd = Glibc.open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw ReadError(line: nil, "cannot open: \(String(cString: strerror(errno)))") }
        var st = stat()
        s.size = fstat(fd, &st) == 0 ? Int(st.st_size) : 0
        s.fd = fd
        s.buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 64)
        // The reader skips a UTF-8 byte-order mark: so does the scan.
        var bom = [UInt8](repeating: 0, count: 3)
        if s.offset == 0, pread(fd, &bom, 3, 0) == 3, bom == [0xEF, 0xBB, 0xBF] {
            bom.withUnsafeBytes { s.crc.update($0) }
            s.offset = 3
        }
    }

    private func read(_ s: inout Scan, at offset: Int) throws(ReadError) -> Int {
        let buffer = s.buffer!
        while true {
            let n = pread(s.fd, buffer.baseAddress, min(buffer.count, s.size - offset), off_t(offset))
            if n >= 0 { return n }
            if errno != EINTR { throw ReadError(line: nil, "read failed: \(String(cString: strerror(errno)))") }
        }
    }

    /// The first record start at `from` or later (and its line), or the end of the file.
    private func next(_ s: inout Scan, from: Int) throws(ReadError) -> (offset: Int, line: Int) {
        if s.atStart && from <= s.offset { return (s.offset, 1 + s.scanner.lineFeeds) }
        s.atStart = false
        while s.offset < s.size && !s.scanner.isBroken {
            let n = try read(&s, at: s.offset)
            guard n > 0 else { break }
            let bytes = UnsafeRawBufferPointer(rebasing: s.buffer![0..<n])
            if let end = s.scanner.scan(bytes, boundaryFrom: from - s.offset) {
                s.crc.update(UnsafeRawBufferPointer(rebasing: bytes[0..<end]))
                s.offset += end
                s.atStart = true
                return (s.offset, 1 + s.scanner.lineFeeds)
            }
            s.crc.update(bytes)
            s.offset += n
        }
        return (s.size, 0)
    }

    /// The end of the header: the first record end after a line that is not blank (the reader
    /// skips blank lines before the header).
    private func headerEnd(_ s: inout Scan) throws(ReadError) -> (end: Int, line: Int) {
        if let h = s.header { return h }
        var previous = s.offset
        while true {
            let b = try next(&s, from: previous + 1)
            if b.offset >= s.size {
                s.header = (s.size, 1 + s.scanner.lineFeeds)
                break
            }
            if !(try isBlank(&s, previous..<b.offset)) {
                s.header = (b.offset, b.line)
                break
            }
            previous = b.offset
        }
        return s.header!
    }

    private func isBlank(_ s: inout Scan, _ line: Swift.Range<Int>) throws(ReadError) -> Bool {
        guard line.count <= 2 else { return false }
        var bytes = [UInt8](repeating: 0, count: line.count)
        guard pread(s.fd, &bytes, line.count, off_t(line.lowerBound)) == line.count else { return false }
        return bytes == [10] || bytes == [13, 10]
    }
}

/// The bytes a reader of one range of a file sees: the file's header (`0..<headerEnd`, when the
/// range is not the first) followed by the range, read with `pread`.
final class RangeSource: ByteSource {
    private let fd: Int32
    private var pieces: [(offset: Int, end: Int)]

    init(path: String, range: FileRanges.Range) throws(ReadError) {
        fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw ReadError(line: nil, "cannot open: \(String(cString: strerror(errno)))") }
        pieces = range.start == 0 ? [] : [(0, range.headerEnd)]
        pieces.append((range.start, range.end))
    }

    deinit { close(fd) }

    /// The bytes this source hands out in all.
    var totalBytes: Int { pieces.reduce(0) { $0 + $1.end - $1.offset } }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws(ReadError) -> Int {
        while let first = pieces.first {
            guard first.offset < first.end else {
                pieces.removeFirst()
                continue
            }
            let n = pread(fd, buffer.baseAddress, min(buffer.count, first.end - first.offset), off_t(first.offset))
            if n < 0 {
                if errno == EINTR { continue }
                throw ReadError(line: nil, "read failed: \(String(cString: strerror(errno)))")
            }
            if n == 0 { throw ReadError(line: nil, "the file became shorter while it was read") }
            pieces[0].offset += n
            return n
        }
        return 0
    }
}
