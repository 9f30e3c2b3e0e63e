import CHDF5
import Glibc

/// The one lock around every libhdf5 call in the process.
///
/// libhdf5 built without `--enable-threadsafe` (the default of a source build, and of several
/// distributions' serial packages) corrupts its global state (id tables, metadata cache) when
/// two threads are inside it; extract reads files on several worker threads, so every HDF5 call
/// goes through ``HDF5Lock/run(_:)``. Debian 12's `libhdf5-dev` 1.10.8 happens to be built
/// thread-safe (`H5_HAVE_THREADSAFE`: one lock inside the library), so there this lock costs
/// nothing more: HDF5 serializes its calls either way. The readers read large blocks of cells
/// per call (megabytes, not one cell), so time under the lock moves bytes, and the workers'
/// extraction runs outside it.
///
/// The lock is recursive: a handle closed while a block of reads holds the lock (an error path)
/// takes it again. Each time it is taken it silences HDF5's error stack printing
/// (`H5Eset_auto`, which a thread-safe build keeps per thread): a bad file is reported as a
/// ``ReadError`` naming what is missing, never as a stack dump on stderr.
final class HDF5Lock: @unchecked Sendable {
    static let shared = HDF5Lock()

    private let mutex: UnsafeMutablePointer<pthread_mutex_t>

    private init() {
        mutex = .allocate(capacity: 1)
        var attr = pthread_mutexattr_t()
        pthread_mutexattr_init(&attr)
        pthread_mutexattr_settype(&attr, Int32(PTHREAD_MUTEX_RECURSIVE))
        pthread_mutex_init(mutex, &attr)
        pthread_mutexattr_destroy(&attr)
        pthread_mutex_lock(mutex)
        H5open()
        H5Eset_auto2(cq_h5e_default(), nil, nil)
        pthread_mutex_unlock(mutex)
    }

    /// Set in a child forked by ``HDF5Probe`` (one thread, forked holding the lock): the mutex's
    /// owner there is a thread id the child does not have, so taking it again would never return.
    nonisolated(unsafe) static var inProbeChild = false

    /// Runs `body` holding the lock.
    func run<T, E: Error>(_ body: () throws(E) -> T) throws(E) -> T {
        if Self.inProbeChild {
            H5Eset_auto2(cq_h5e_default(), nil, nil)
            return try body()
        }
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        H5Eset_auto2(cq_h5e_default(), nil, nil)
        return try body()
    }
}
