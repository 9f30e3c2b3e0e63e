import Foundation

/// Runs blocking work (file I/O, a child process, a long CPU loop that reads files) on a thread
/// of its own and awaits it. Swift's cooperative pool has one thread per core; work that blocks
/// in `read`, `write`, `fsync` or `waitpid` on it starves every other task, including the one
/// that journals finished batches and runs hooks. docs/architecture.md, "Threads", says which
/// work runs where.
enum OffPool {
    static func run<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread { continuation.resume(with: Result { try work() }) }
        }
    }

    static func run<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            Thread.detachNewThread { continuation.resume(returning: work()) }
        }
    }
}
