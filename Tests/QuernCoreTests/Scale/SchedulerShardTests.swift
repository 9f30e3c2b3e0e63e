import Foundation
import QuernCore
import QuernKit
import Testing

@Suite("--shard auto: the shard from the scheduler's environment")
struct SchedulerShardTests {
    func shard(_ env: [String: String], count: Int? = nil) throws -> Shard {
        try SchedulerShard.resolve(environment: env, count: count)
    }

    @Test func slurmArrayFromZero() throws {
        let env = [
            "SLURM_ARRAY_TASK_ID": "2", "SLURM_ARRAY_TASK_MIN": "0", "SLURM_ARRAY_TASK_MAX": "3",
            "SLURM_ARRAY_TASK_COUNT": "4",
        ]
        #expect(try shard(env) == Shard(index: 2, count: 4))
    }

    @Test func slurmArrayWithNonZeroStartAndStep() throws {
        // --array=1-8: task 1 is shard 0, task 8 is shard 7.
        var env = [
            "SLURM_ARRAY_TASK_ID": "1", "SLURM_ARRAY_TASK_MIN": "1", "SLURM_ARRAY_TASK_MAX": "8",
            "SLURM_ARRAY_TASK_COUNT": "8",
        ]
        #expect(try shard(env) == Shard(index: 0, count: 8))
        env["SLURM_ARRAY_TASK_ID"] = "8"
        #expect(try shard(env) == Shard(index: 7, count: 8))
        // --array=10-16:2 (10, 12, 14, 16); no COUNT: derived from MAX.
        let stepped = [
            "SLURM_ARRAY_TASK_ID": "14", "SLURM_ARRAY_TASK_MIN": "10", "SLURM_ARRAY_TASK_MAX": "16",
            "SLURM_ARRAY_TASK_STEP": "2",
        ]
        #expect(try shard(stepped) == Shard(index: 2, count: 4))
        var off = stepped
        off["SLURM_ARRAY_TASK_ID"] = "13"
        #expect(throws: ShardError.self) { try shard(off) }
    }

    @Test func anExplicitCountMakesTheArrayIndexTheShard() throws {
        // `sbatch --array=2 extract.sbatch` to redo shard 2 of 4: Slurm says MIN=2, COUNT=1.
        let rerun = [
            "SLURM_ARRAY_TASK_ID": "2", "SLURM_ARRAY_TASK_MIN": "2", "SLURM_ARRAY_TASK_MAX": "2",
            "SLURM_ARRAY_TASK_COUNT": "1",
        ]
        #expect(try shard(rerun, count: 4) == Shard(index: 2, count: 4))
        #expect(try shard(rerun.merging(["QUERN_SHARD_COUNT": "4"]) { $1 }) == Shard(index: 2, count: 4))
        // Without the count it would be shard 0 of 1: that is why quern slurm's script gives it.
        #expect(try shard(rerun) == Shard(index: 0, count: 1))
        let error = #expect(throws: ShardError.self) { try shard(["SLURM_ARRAY_TASK_ID": "4"], count: 4) }
        #expect(error?.description.contains("--array=0-3") == true)
    }

    @Test func kubernetesIndexedJob() throws {
        #expect(try shard(["JOB_COMPLETION_INDEX": "3"], count: 5) == Shard(index: 3, count: 5))
        #expect(try shard(["JOB_COMPLETION_INDEX": "0", "QUERN_SHARD_COUNT": "2"]) == Shard(index: 0, count: 2))
        let noCount = #expect(throws: ShardError.self) { try shard(["JOB_COMPLETION_INDEX": "3"]) }
        #expect(noCount?.description.contains("--shard-count") == true)
        #expect(throws: ShardError.self) { try shard(["JOB_COMPLETION_INDEX": "5"], count: 5) }
    }

    @Test func withoutASchedulerItSaysWhichVariablesItLookedFor() throws {
        let error = #expect(throws: ShardError.self) { try shard(["HOME": "/root"]) }
        for name in ["SLURM_ARRAY_TASK_ID", "SLURM_ARRAY_TASK_COUNT", "JOB_COMPLETION_INDEX"] {
            #expect(error?.description.contains(name) == true)
        }
        #expect(throws: ShardError.self) { try shard(["SLURM_ARRAY_TASK_ID": "x", "SLURM_ARRAY_TASK_COUNT": "2"]) }
    }

    @Test func theConfigKeyResolvesAutoAndRefusesContradictions() throws {
        let auto = YAMLLoaderFixture.config("extract:\n  shard: auto\n  shard_count: 3\n")
        let s = try Resolver.extractSettings(auto, environment: ["JOB_COMPLETION_INDEX": "1"])
        #expect(s.shard == Shard(index: 1, count: 3))
        let contradicting = YAMLLoaderFixture.config("extract:\n  shard: 1/4\n  shard_count: 3\n")
        #expect(throws: ConfigError.self) { try Resolver.extractSettings(contradicting, environment: [:]) }
    }

    @Test func theRedoCommandNamesTheShardExplicitly() {
        let launch = ShardLaunch(
            host: "n1", pid: 1, startedAt: "",
            command: [
                "/opt/quern", "extract", "--config", "/s/q.yaml", "--shard", "auto", "--shard-count", "4", "--workers",
                "2",
            ],
            directory: FileManager.default.currentDirectoryPath, slurmJob: "7_2", slurmScript: "/s/extract.sbatch")
        #expect(
            launch.command(for: Shard(index: 2, count: 4))
                == "/opt/quern extract --config /s/q.yaml --shard 2/4 --workers 2")
        let plain = ShardLaunch(
            host: "n1", pid: 1, startedAt: "", command: ["quern", "extract", "--input-dir", "my data"],
            directory: "/elsewhere", slurmJob: nil, slurmScript: nil
        )
        #expect(
            plain.command(for: Shard(index: 1, count: 2))
                == "cd /elsewhere && quern extract --input-dir 'my data' --shard 1/2")
    }
}

enum YAMLLoaderFixture {
    static func config(_ text: String) -> ConfigValue {
        (try? YAMLLoader.parse(text, path: "test.yaml")) ?? ConfigValue(.map([]))
    }
}
