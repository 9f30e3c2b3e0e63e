import QuernKit

/// The command extractor bound to one worker's program: one exchange per record (send the record,
/// wait for its line), with the restarts, timeouts and retries the options say.
struct BoundCommand: BoundExtractor {
    let extractor: CommandExtractor
    let lease: ProgramLease
    let columns: [String]
    let sent: [Int]
    let schema: FeatureSchema
    private(set) var notes: [String: Int] = [:]
    private(set) var spent = 0.0
    /// The line of the last record, to tell a new file (lines only grow within a file; the host
    /// reuses a bound extractor for the next file with the same columns).
    private var lastLine = 0
    /// Where the program died in the current file, if it did: it is started again once per file.
    private var diedAt: Int? = nil

    init(extractor: CommandExtractor, lease: ProgramLease, columns: [String], sent: [Int], schema: FeatureSchema) {
        self.extractor = extractor
        self.lease = lease
        self.columns = columns
        self.sent = sent
        self.schema = schema
    }

    /// What one send and wait gave.
    private enum Exchange {
        case reply([UInt8])
        /// The program is gone: how it ended and its last stderr lines.
        case died(String)
        case timedOut
        case tooLong
    }

    private func exchange(_ request: [UInt8]) throws(RowError) -> Exchange {
        let program = try running()
        let process = program.process
        guard process.send(request) else { return .died(ending(process)) }
        switch process.readLine(timeout: extractor.timeout) {
        case .line(let bytes): return .reply(bytes)
        case .ended: return .died(ending(process))
        case .timedOut: return .timedOut
        case .tooLong: return .tooLong
        }
    }

    private func ending(_ process: LineProcess) -> String {
        let tail = Program.tailText(process)
        let how = process.ending() ?? "closed its stdout"
        return "\(how)\(tail)"
    }

    /// The program, started again when the last one was ended.
    private func running() throws(RowError) -> Program {
        if let p = lease.program { return p }
        do {
            let p = try Program.start(
                extractor.argv, columns: extractor.columns ?? columns, timeout: extractor.pool.startupTimeout)
            guard p.schema == schema else {
                p.process.kill()
                throw RowError(
                    column: nil, "the command's program, started again, declares another schema than the run's")
            }
            lease.program = p
            return p
        } catch let e as RowError {
            throw e
        } catch {
            throw RowError(column: nil, "\(error)")
        }
    }

    /// Ends the program; the next record starts a new one.
    private func endProgram() {
        lease.program?.process.kill()
        lease.program = nil
    }

    mutating func extract(_ record: Record, into batch: inout RowBatch) throws(RowError) -> RowOutcome {
        let request = CommandProtocol.request(record, columns: columns, sent: sent)
        if record.line <= lastLine { diedAt = nil }
        lastLine = record.line
        var retried = 0
        while true {
            extractor.limiter?.wait()
            switch try exchange(request) {
            case .reply(let line):
                let (reply, cost) = CommandReply.parse(line, record: record.line, schema: schema)
                spent += cost
                switch reply {
                case .row(let features, let labels, let masks, let group, let result):
                    features.withUnsafeBufferPointer { f in
                        labels.withUnsafeBufferPointer { l in
                            group.withUnsafeBufferPointer { g in
                                batch.append(features: f, labels: l, masks: masks, group: g, line: record.line)
                            }
                        }
                    }
                    batch.results.append(result)
                    return .kept
                case .skip(let why):
                    return .skipped(why)
                case .outOfStep(let why):
                    // A stray line on stdout (a print) would shift every later reply onto the
                    // wrong record: a new program starts in step.
                    endProgram()
                    notes["programs restarted out of step"] = (notes["programs restarted out of step"] ?? 0) + 1
                    return .failed("\(why); the program was ended and started again (write logs to stderr, not stdout)")
                case .error(let why, let retry):
                    guard retry else { return .failed(why) }
                    guard retried < extractor.retries else {
                        return .failed("\(why) (still asking to retry after \(extractor.retries) retries)")
                    }
                    kitSleep(extractor.backoff * Double(1 << min(retried, 20)))
                    retried += 1
                    notes["records retried"] = (notes["records retried"] ?? 0) + 1
                }
            case .timedOut:
                endProgram()
                notes["programs restarted after a timeout"] = (notes["programs restarted after a timeout"] ?? 0) + 1
                return .failed(
                    "no reply within \(extractor.timeout) seconds (timeout); the program was ended and started again")
            case .tooLong:
                endProgram()
                return .failed("the program's reply is longer than 64 MiB; the program was ended and started again")
            case .died(let how):
                endProgram()
                // Once a file: a new program takes the file on from this record, sent again (the
                // records answered before it are not). Twice: the file fails rather than kill
                // programs forever; the next file gets a new program.
                if let first = diedAt {
                    let again = first == record.line ? "again on the same record" : "again, on line \(record.line)"
                    throw RowError(
                        column: nil,
                        "the command's program \(how); it had ended on line \(first) of this file and was started again, and ended \(again), so none of this file's rows are kept. Fix the program (see its stderr); to redo the file, delete its batch's files (failed.jsonl gives the batch number) and run again: only that batch is made again"
                    )
                }
                diedAt = record.line
                notes["programs restarted after they ended"] = (notes["programs restarted after they ended"] ?? 0) + 1
            }
        }
    }
}
