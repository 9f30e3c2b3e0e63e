import Foundation
import QuernCore
import QuernTestSupport
import Testing

/// Names and paths that quern writes into a config, a comment or a script reach it escaped by
/// the writer that emits it: a folder name with line breaks, quotes, `$( )` or `;` is data,
/// never YAML, never a command.
@Suite("Names written into configs and scripts", .serialized)
struct NameEscapingTests {
    static let config = ExtractEndToEndTests.config
    /// A folder name that would add a hook command to a config, or run one from a script, if
    /// written raw.
    static let hostile =
        "d \"q\" 'a' $(touch pwned-sub); touch pwned-semi\nhooks:\n  commands:\n    pre-run: [\"touch pwned-hook\"]\n#"

    @Test func aDatasetFolderNameCannotInjectYAMLIntoItsEffectiveConfig() throws {
        let ws = TempWorkspace("quern-escape")
        #expect(
            try QuernProcess.run([
                "generate", "--files", "2", "--rows", "5", "--out", "\(ws.path)/many/\(Self.hostile)",
            ]).status == 0)
        let r = try QuernProcess.run(["run", "--config", Self.config, "--datasets", "many", "--dry-run"], cwd: ws.path)
        #expect(r.status == 0, "\(r.stderr)")
        let logs = try FileManager.default.contentsOfDirectory(atPath: "\(ws.path)/data/logs").filter {
            !$0.hasPrefix(".") && !$0.contains(".")
        }
        let name = try #require(logs.first, "no dataset log folder in \(logs)")
        let path = "\(ws.path)/data/logs/\(name)/config.yaml"
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let tree = try YAMLLoader.parse(text, path: path)
        #expect(tree.value(at: "hooks.commands") == nil, "the folder name added hook commands:\n\(text)")
        #expect(tree.value(at: "paths.input")?.stringValue == "many/\(Self.hostile)", "\(text)")
        // The header comment names the folder on one line, its line breaks escaped.
        let header = text.split(separator: "\n", omittingEmptySubsequences: false).prefix { $0.hasPrefix("#") }
        #expect(header.count == 1 && header[0].contains("\\nhooks:"), "\(text)")
        for leftover in ["pwned-sub", "pwned-semi", "pwned-hook"] {
            #expect(!FileManager.default.fileExists(atPath: "\(ws.path)/\(leftover)"))
        }
    }

    /// Each argument of an `#SBATCH` line as Slurm's sbatch reads it: whitespace ends an argument
    /// unless quoted, `\` escapes the next character, quotes group, an unquoted `#` starts a comment.
    static func sbatchArguments(_ line: Substring) -> [String] {
        var args: [String] = []
        var current: String? = nil
        var quote: Character? = nil
        var escaped = false
        for ch in line {
            if escaped {
                current = (current ?? "") + String(ch)
                escaped = false
            } else if ch == "\\" {
                escaped = true
                current = current ?? ""
            } else if let q = quote {
                if ch == q { quote = nil } else { current = (current ?? "") + String(ch) }
            } else if ch == "\"" || ch == "'" {
                quote = ch
                current = current ?? ""
            } else if ch == "#" {
                break
            } else if ch == " " || ch == "\t" {
                if let c = current { args.append(c) }
                current = nil
            } else {
                current = (current ?? "") + String(ch)
            }
        }
        if let c = current { args.append(c) }
        return args
    }

    @Test func slurmScriptsEscapePathsAndRefuseALineBreakOnAnSBATCHLine() throws {
        let ws = TempWorkspace("quern-escape")
        #expect(try QuernProcess.run(["generate", "--files", "2", "--rows", "5", "--out", "\(ws.path)/g"]).status == 0)
        let base = ["slurm", "--config", Self.config, "--input-dir", "g", "--shards", "2", "--dry-run"]

        // A line break cannot be written on an #SBATCH line: refused, saying why, nothing run.
        for flag in ["--script-dir", "--intermediate-dir"] {
            let r = try QuernProcess.run(base + [flag, Self.hostile], cwd: ws.path)
            #expect(r.status != 0, "\(flag): \(r.stdout)")
            #expect(r.stderr.contains("#SBATCH") && r.stderr.contains("line break"), "\(flag): \(r.stderr)")
            #expect(!r.stderr.contains("\nhooks:"), "the message escapes the name: \(r.stderr)")
        }

        // Quotes, spaces, `$( )`, `;` and `#`: escaped on #SBATCH lines, quoted in commands.
        let odd = "s d \"q\" 'a' $(touch pwned-sub); touch pwned-semi #c"
        let r = try QuernProcess.run(base + ["--script-dir", odd], cwd: ws.path)
        #expect(r.status == 0, "\(r.stderr)")
        var sections: [String: String] = [:]
        var current: String? = nil
        for line in r.stdout.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("# /") && (line.hasSuffix(".sbatch") || line.hasSuffix("quern.yaml")) {
                current = String(line.split(separator: "/").last!)
                sections[current!] = ""
            } else if line.hasPrefix("# --dry-run") {
                current = nil
            } else if let c = current {
                sections[c]! += line + "\n"
            }
        }
        let dir = "\(ws.path)/\(odd)"
        for name in ["extract.sbatch", "merge.sbatch"] {
            let script = try #require(sections[name], "no \(name) in \(r.stdout)")
            let options = script.split(separator: "\n").filter { $0.hasPrefix("#SBATCH ") }.map {
                Self.sbatchArguments($0.dropFirst(8))
            }
            #expect(options.allSatisfy { $0.count == 1 }, "each #SBATCH line is one argument to sbatch: \(options)")
            let output = options.compactMap(\.first).first { $0.hasPrefix("--output=") }
            #expect(output?.hasPrefix("--output=\(dir)/logs/") == true, "\(options)")
            #expect(options.compactMap(\.first).contains("--chdir=\(ws.path)"), "\(options)")
            // Run by bash: only quern runs (and fails, the config was not written); nothing else.
            let file = ws.write(name, script)
            _ = try QuernProcess.shell("bash '\(file)' >/dev/null 2>&1", cwd: ws.path)
        }
        for leftover in ["pwned-sub", "pwned-semi"] {
            #expect(!FileManager.default.fileExists(atPath: "\(ws.path)/\(leftover)"), "\(leftover) was created")
        }
        let yaml = try #require(sections["quern.yaml"])
        #expect(
            try YAMLLoader.parse(yaml, path: "quern.yaml").value(at: "slurm.script_dir")?.stringValue == odd, "\(yaml)")
    }

    /// `quern init` quotes and escapes every name and value it writes: U+0085 and U+2028 (which a
    /// YAML reader folds to a space when left raw), tabs, quotes, indicators and words YAML retypes.
    @Test func initWritesCategoriesThatReadBackIdentical() throws {
        let ws = TempWorkspace("quern-escape")
        let values = [
            "a\u{85}b", "c\u{2028}d", "tab\there", "say \"hi\"", " lead", "k: v", "#hash", "- dash", "yes", "1e3", "~",
        ]
        let column = "odd\u{85}col: #1"
        var csv = "n,\"\(column)\"\n"
        for k in 0..<60 {
            let v = values[k % values.count]
            csv += "\(k % 9),\"\(v.replacingOccurrences(of: "\"", with: "\"\""))\"\n"
        }
        ws.write("in/a.csv", csv)
        let r = try QuernProcess.run(["init", "--input-dir", "in"], cwd: ws.path)
        #expect(r.status == 0, "\(r.stderr)")
        let tree = try YAMLLoader.parse(r.stdout, path: "init.yaml")
        let categorical = try #require(tree.value(at: "extractor.categorical")?.mapValue, "\(r.stdout)")
        #expect(categorical.map(\.0) == [column], "\(r.stdout)")
        #expect(Set(categorical.first?.1.listValue?.compactMap(\.stringValue) ?? []) == Set(values), "\(r.stdout)")
        // The comments stay comments: every line that is not a comment is YAML the loader read.
        #expect(!r.stdout.contains("\u{85}") && !r.stdout.contains("\u{2028}"), "\(r.stdout)")
    }
}
