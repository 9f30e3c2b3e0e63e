import QuernKit

/// One running copy of the command's program, past its header.
final class Program {
    let process: LineProcess
    let schema: FeatureSchema

    private init(process: LineProcess, schema: FeatureSchema) {
        self.process = process
        self.schema = schema
    }

    /// Starts `argv`, sends quern's header and reads the program's (within `timeout` seconds).
    static func start(_ argv: [String], columns: [String], timeout: Double) throws -> Program {
        let shown = OneLine.escape(argv.joined(separator: " "))
        let process: LineProcess
        do { process = try LineProcess(argv) } catch { throw PluginError.badData("command extractor: \(error)") }
        guard process.send(CommandProtocol.hostHeader(columns: columns)) else {
            let how = process.ending() ?? "stopped reading"
            throw PluginError.badData(
                "the command's program (\(shown)) \(how) before reading quern's header line\(tailText(process)).")
        }
        switch process.readLine(timeout: timeout) {
        case .line(let line):
            do {
                return Program(process: process, schema: try CommandProtocol.schema(fromHeader: line, program: shown))
            } catch {
                process.kill()
                throw error
            }
        case .ended:
            let how = process.ending() ?? "closed its stdout"
            let tail = tailText(process)
            process.kill()
            throw PluginError.badData(
                "the command's program (\(shown)) \(how) before writing its header line\(tail). Run it by hand with a header line on its stdin to see why (docs/api-jobs.md)."
            )
        case .timedOut:
            let tail = tailText(process)
            process.kill()
            throw PluginError.badData(
                "the command's program (\(shown)) wrote no header line within \(timeout) seconds\(tail); it was ended. It must answer quern's header line with its own first (docs/api-jobs.md), or raise startup_timeout."
            )
        case .tooLong:
            process.kill()
            throw PluginError.badData("the command's program (\(shown)) wrote a header line of more than 64 MiB.")
        }
    }

    /// The program's last stderr lines, for a message (empty when it wrote none).
    static func tailText(_ process: LineProcess) -> String {
        let tail = process.stderrTail.split(separator: "\n").suffix(5).joined(separator: " | ")
        return tail.isEmpty ? "" : "; its stderr ended with: \(OneLine.escape(tail))"
    }
}

/// The programs of one extractor value, shared by its workers: a worker binding a file takes an
/// idle one (or starts one), and gives it back when its bound extractor is done, so a run has as
/// many programs as workers at most, each started once unless it dies or times out.
final class ProgramPool: @unchecked Sendable {
    let argv: [String]
    let startupTimeout: Double
    private let lock = KitLock()
    private var idle: [Program] = []
    /// The first header's schema, and the first failure to start (given again without a retry).
    private var schema: FeatureSchema? = nil
    private var startFailure: String? = nil

    init(argv: [String], startupTimeout: Double) {
        self.argv = argv
        self.startupTimeout = startupTimeout
    }

    deinit { for p in idle { p.process.finish() } }

    /// The schema the program declares (starting one the first time).
    func schema(columns: [String]) throws -> FeatureSchema {
        if let known = lock.withLock({ schema }) { return known }
        let p = try take(columns: columns)
        give(p)
        return p.schema
    }

    /// An idle program, or a new one.
    func take(columns: [String]) throws -> Program {
        if let p = lock.withLock({ idle.popLast() }) { return p }
        if let failed = lock.withLock({ startFailure }) { throw PluginError.badData(failed) }
        do {
            let p = try Program.start(argv, columns: columns, timeout: startupTimeout)
            lock.withLock { if schema == nil { schema = p.schema } }
            return p
        } catch {
            lock.withLock { startFailure = startFailure ?? "\(error)" }
            throw error
        }
    }

    func give(_ p: Program) { lock.withLock { idle.append(p) } }
}

/// A program lent to one bound extractor, given back to the pool when it is done with.
final class ProgramLease {
    let pool: ProgramPool
    var program: Program?

    init(pool: ProgramPool, program: Program) {
        self.pool = pool
        self.program = program
    }

    deinit { if let program { pool.give(program) } }
}
