// libFuzzer's entry point, built by fuzz/run.sh with `swiftc -sanitize=fuzzer`: the target is
// chosen by QUERN_FUZZ_TARGET (csv, jsonl, batch), the work is QuernTestSupport's FuzzTargets.
import QuernTestSupport

#if canImport(Glibc)
import Glibc
#endif

let target: String = getenv("QUERN_FUZZ_TARGET").map { String(cString: $0) } ?? "csv"

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    FuzzTargets.run(target, Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
}
