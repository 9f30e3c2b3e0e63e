import Foundation

/// What a merge says when planned batches are missing from the journals: which shards they belong
/// to, what each of those shards last reported (never started, running, failed and why, where and
/// under which Slurm job), and the exact command that redoes only that shard.
public struct ShardCheck: Sendable {
    public struct Report: Sendable {
        public var shard: Shard
        public var missing: [Int]
        public var progress: ProgressFile?
    }

    public let dir: String
    public let totalBatches: Int
    public let reports: [Report]

    /// Groups `missing` batches by the shard that owns them. The shard count comes from the shard
    /// files in `dir` (journals and progress files are created when a shard starts); the most
    /// recent progress file wins if runs with different counts left files behind.
    public init(dir: String, missing: [Int], totalBatches: Int) {
        self.dir = dir
        self.totalBatches = totalBatches
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
        var progress: [String: (ProgressFile, Date)] = [:]
        var counts: [(count: Int, date: Date)] = []
        for name in names {
            guard let shard = Self.shard(inFileName: name) else { continue }
            let date =
                ((try? FileManager.default.attributesOfItem(atPath: "\(dir)/\(name)"))?[.modificationDate] as? Date)
                ?? .distantPast
            counts.append((shard.count, date))
            if IntermediateFolderLayout.isShardProgress(name),
                let data = FileManager.default.contents(atPath: "\(dir)/\(name)"),
                let p = try? JSONDecoder().decode(ProgressFile.self, from: data)
            {
                progress[shard.description] = (p, date)
            }
        }
        if let p = FileManager.default.contents(atPath: "\(dir)/\(IntermediateFolderLayout.progressWhole)").flatMap({
            try? JSONDecoder().decode(ProgressFile.self, from: $0)
        }) {
            progress[Shard.whole.description] = (p, .distantPast)
        }
        let n = counts.max { $0.date < $1.date }?.count ?? 1
        var byShard: [Int: [Int]] = [:]
        for b in missing { byShard[b % n, default: []].append(b) }
        reports = byShard.keys.sorted().map { k in
            let shard = Shard(index: k, count: n)
            return Report(shard: shard, missing: byShard[k]!.sorted(), progress: progress[shard.description]?.0)
        }
    }

    /// `journal.shard-K-of-N.jsonl`, `progress.shard-K-of-N.json` -> K/N.
    static func shard(inFileName name: String) -> Shard? {
        IntermediateFolderLayout.shard(inFileName: name).map { Shard(index: $0.index, count: $0.count) }
    }

    /// Any launch record in the folder, to build the command of a shard that never started.
    private var anyLaunch: ShardLaunch? { reports.compactMap { $0.progress?.launch }.first ?? siblingLaunch }
    private var siblingLaunch: ShardLaunch? {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
        for name in names.sorted() where IntermediateFolderLayout.isProgress(name) {
            if let data = FileManager.default.contents(atPath: "\(dir)/\(name)"),
                let p = try? JSONDecoder().decode(ProgressFile.self, from: data),
                let l = p.launch
            {
                return l
            }
        }
        return nil
    }

    public var description: String {
        let missing = reports.reduce(0) { $0 + $1.missing.count }
        let sharded = reports.first.map { $0.shard.count > 1 } ?? false
        var lines: [String] = []
        if sharded {
            let names = reports.map { $0.shard.description }.joined(separator: ", ")
            lines.append(
                "the extract of \(dir) is not complete: \(missing) of \(totalBatches) planned batches are missing, from shard\(reports.count == 1 ? "" : "s") \(names). Nothing was merged."
            )
        } else {
            lines.append(
                "the extract of \(dir) is not complete: \(missing) of \(totalBatches) planned batches are missing. Nothing was merged."
            )
        }
        let template = anyLaunch
        for r in reports {
            let list =
                r.missing.prefix(10).map(String.init).joined(separator: ", ") + (r.missing.count > 10 ? ", ..." : "")
            var state = "it never started here (no progress file)"
            if let p = r.progress {
                let whereText =
                    p.launch.map { l in " on \(l.host) (pid \(l.pid)\(l.slurmJob.map { ", Slurm job \($0)" } ?? ""))" }
                    ?? ""
                switch p.state {
                case "failed": state = "it failed\(whereText) at \(p.updatedAt): \(p.error ?? "no reason recorded")"
                case "done": state = "it finished\(whereText) at \(p.updatedAt), before these batches were planned"
                default:
                    state =
                        "it was last seen running\(whereText) at \(p.updatedAt): if it still runs, wait for it; if it died, redo it"
                }
            }
            lines.append("  shard \(r.shard): batch\(r.missing.count == 1 ? "" : "es") \(list) missing; \(state).")
            let launch = r.progress?.launch ?? template
            if let launch {
                lines.append("    redo only this shard:  \(launch.command(for: r.shard))")
                if let script = launch.slurmScript {
                    lines.append(
                        "    or, under Slurm:       sbatch --array=\(r.shard.index) \(ShellQuote.quote(script))")
                }
            } else {
                lines.append(
                    "    redo only this shard:  quern extract --intermediate-dir \(ShellQuote.quote(dir)) --shard \(r.shard) (with the config and flags of the first run)"
                )
            }
        }
        lines.append("A re-run resumes: complete batches are kept. Then run the merge again.")
        return lines.joined(separator: "\n")
    }
}
