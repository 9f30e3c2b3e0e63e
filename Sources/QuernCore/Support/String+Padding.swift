/// Zero-padded numbers in file names and hex checksums (`batch_000042.npz`, `0000beef`).
extension String {
    func leftPadded(to width: Int, with pad: Character = "0") -> String {
        count >= width ? self : String(repeating: pad, count: width - count) + self
    }
}
