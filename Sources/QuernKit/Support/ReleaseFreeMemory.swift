#if canImport(Glibc)
    import Glibc
#endif

/// Gives the pages malloc holds free back to the system. Memory freed by one thread stays
/// resident in its arena until reused; a pass over the batches (read by loader threads) leaves
/// a few parts' worth, which would add to whatever a strategy holds next. A strategy that makes
/// a second pass (balance counts, then keeps) calls this between the passes, so what it declares
/// in ``MergeStrategy/stateBytes(rows:partRows:schema:)`` is what it holds.
public func releaseFreeMemory() {
    #if canImport(Glibc)
        _ = MallocTrim.function?(0)
    #endif
}

#if canImport(Glibc)
    /// glibc's `malloc_trim`, looked up once: the Glibc module does not export `<malloc.h>`, and the
    /// kit has no C target of its own (a plugin author needs no C toolchain set-up to build on it).
    private enum MallocTrim {
        typealias Function = @convention(c) (Int) -> Int32
        static let function: Function? = dlsym(nil, "malloc_trim").map { unsafeBitCast($0, to: Function.self) }
    }
#endif
