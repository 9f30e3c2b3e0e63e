import Foundation
import QuernCore
import QuernTestSupport
import Testing

/// What stops `quern run` makes `quern validate` fail too; a bad flag value is bad usage (64);
/// sizes from the config are bounded before anything is allocated.
@Suite("validate agrees with run", .serialized)
struct ValidateAgreesWithRunTests {
    static let config = ExtractEndToEndTests.config

    @Test func validateFailsWhereRunWouldRefuseAndNeverPrintsAnEmptyReason() throws {
        let ws = TempWorkspace("quern-agree")
        // A missing input folder.
        let missing = try QuernProcess.run(["validate", "--config", Self.config, "--input-dir", "nope"], cwd: ws.path)
        #expect(missing.status == 1, "\(missing.stdout)\(missing.stderr)")
        #expect(missing.stderr.contains("nope does not exist"), "\(missing.stderr)")
        #expect(!missing.stdout.contains("config ok"), "\(missing.stdout)")
        // --config-only checks the config alone (for another machine): the folder is a warning.
        let only = try QuernProcess.run(
            ["validate", "--config", Self.config, "--input-dir", "nope", "--config-only"], cwd: ws.path)
        #expect(only.status == 0 && only.stderr.contains("warning: [input]"), "\(only.stderr)")

        // A pattern that matches only files of no known format.
        ws.write("in/x.dat", "a,b\n1,2\n")
        ws.write(
            "p.yaml", "paths: {input: in}\ninput: {pattern: \"*.dat\"}\nextractor: {name: tabular, numeric: [a, b]}\n")
        let v = try QuernProcess.run(["validate", "--config", "p.yaml"], cwd: ws.path)
        #expect(v.status == 1, "\(v.stdout)\(v.stderr)")
        #expect(v.stderr.contains("x.dat") && v.stderr.contains("--format"), "\(v.stderr)")
        let r = try QuernProcess.run(["run", "--config", "p.yaml"], cwd: ws.path)
        #expect(r.status == 1)
        #expect(r.stderr.contains("x.dat"), "run says which file and why: \(r.stderr)")
        #expect(
            !r.stderr.contains(":\n  \n") && !r.stderr.hasSuffix(":\n  \n"),
            "an empty reason: \(r.stderr.debugDescription)")
        // With no file to try, the message says so instead of listing nothing.
        #expect(!ExtractError.noHeader([]).description.hasSuffix(":\n  "), "\(ExtractError.noHeader([]))")
    }

    /// A configured column that no input file has: `validate` said "config ok" and `run` then
    /// failed every file and published nothing. Both now refuse before any work, naming the column.
    @Test func aColumnInNoInputFileFailsValidateAsItFailsRun() throws {
        let ws = TempWorkspace("quern-agree")
        ws.write("in/a.csv", "x,w,y\n1,2,0\n3,4,1\n")
        ws.write("in/b.csv", "x,w,y\n5,6,1\n")
        ws.write(
            "c.yaml", "paths: {input: in}\nextractor: {numeric: [x, nope], labels: {y: {column: y, classes: 2}}}\n")
        let v = try QuernProcess.run(["validate", "--config", "c.yaml"], cwd: ws.path)
        #expect(v.status == 1, "\(v.stdout)\(v.stderr)")
        #expect(v.stderr.contains("column 'nope' (numeric) is not in the header"), "\(v.stderr)")
        #expect(!v.stdout.contains("config ok"))
        let r = try QuernProcess.run(["run", "--config", "c.yaml"], cwd: ws.path)
        #expect(r.status == 1)
        #expect(r.stderr.contains("column 'nope' (numeric) is not in the header"), "\(r.stderr)")
        #expect(ws.files(in: "data/intermediate").filter { $0.hasPrefix("batch_") }.isEmpty, "no batch was written")
        // One file that fits is enough: the other fails on its own, in its batch.
        ws.write("in/c.csv", "x,nope,y\n1,2,0\n")
        let some = try QuernProcess.run(["validate", "--config", "c.yaml"], cwd: ws.path)
        #expect(some.status == 0, "\(some.stderr)")
    }

    @Test(arguments: [
        ["--codec", "brotli"], ["--codec", "zstd:99"], ["--merge-strategy", "shufle"], ["--format", "xml"],
        ["--extractor", "nope"],
        ["--normalize", "zscore"], ["--workers", "100000"], ["--files-per-batch", "0"], ["--split", "0.5,0.5,0.5"],
        ["--memory-limit", "lots"],
    ])
    func aBadFlagValueIsBadUsage(_ flag: [String]) throws {
        let ws = TempWorkspace("quern-agree")
        #expect(
            try QuernProcess.run(["generate", "--files", "2", "--rows", "5", "--out", "\(ws.path)/in"]).status == 0)
        let r = try QuernProcess.run(["run", "--config", Self.config, "--input-dir", "in"] + flag, cwd: ws.path)
        #expect(r.status == 64, "\(flag): \(r.status) \(r.stderr)")
        #expect(
            r.stderr.contains(flag[0]) && r.stderr.contains(flag[1]),
            "the message names the flag and the value: \(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: "\(ws.path)/data/intermediate"), "nothing done")
    }

    @Test(arguments: [["--files=-1"], ["--rows=-3"], ["--rows", "0"], ["--bad=-2"]])
    func generateRefusesBadCountsAsBadUsage(_ flag: [String]) throws {
        let ws = TempWorkspace("quern-agree")
        let r = try QuernProcess.run(["generate", "--files", "1", "--out", "\(ws.path)/g"] + flag)
        #expect(r.status == 64 && r.signal == nil, "\(flag): \(r.status) \(r.stderr)")
        #expect(r.stderr.contains(flag[0].split(separator: "=")[0]), "\(r.stderr)")
    }

    @Test func hugeSizesInTheConfigAreRefusedBeforeAnyWork() throws {
        let ws = TempWorkspace("quern-agree")
        #expect(
            try QuernProcess.run(["generate", "--files", "2", "--rows", "5", "--out", "\(ws.path)/in"]).status == 0)
        let base = try String(contentsOfFile: Self.config, encoding: .utf8)
        // 2e9 classes: per-class arrays would take tens of GB.
        ws.write("classes.yaml", base.replacingOccurrences(of: "classes: 84", with: "classes: 2000000000"))
        // Near Int.max: pre-flight arithmetic would overflow.
        ws.write(
            "files.yaml",
            base.replacingOccurrences(of: "files_per_batch: 500", with: "files_per_batch: 9223372036854775806"))
        for (file, key) in [("classes.yaml", "classes"), ("files.yaml", "files_per_batch")] {
            let v = try QuernProcess.run(["validate", "--config", file, "--input-dir", "in"], cwd: ws.path)
            #expect(v.status == 1 && v.signal == nil, "\(file): \(v.status) \(v.stderr)")
            #expect(v.stderr.contains(key) && v.stderr.contains(" to "), "\(file): \(v.stderr)")
        }
        // A size within bounds whose memory passes the limit is refused by pre-flight too.
        ws.write(
            "wide.yaml",
            base.replacingOccurrences(of: "classes: 84", with: "classes: 1000000")
                .replacingOccurrences(
                    of: "  rows_per_batch: 1000000", with: "  rows_per_batch: 1000000\n  memory_limit: 32MiB"))
        let wide = try QuernProcess.run(["validate", "--config", "wide.yaml", "--input-dir", "in"], cwd: ws.path)
        #expect(wide.status == 1, "\(wide.stderr)")
        #expect(wide.stderr.contains("classes") && wide.stderr.contains("memory limit"), "\(wide.stderr)")
    }
}
