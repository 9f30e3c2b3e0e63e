#!/usr/bin/env python3
"""Quern against the Python peers on the `games` workload, in one run, on one machine.

    make bench [PEERS=DIR] [SAVE=FILE] [SIZES=small,large]

Finds the peers (gen_games.py, peer_pandas.py, peer_polars.py, peer_merge.py,
compare_outputs.py) in ../shared/bench or PEERS; generates games/small (2,000 files) and
games/large (20,000 files, 75 rows each) once under /tmp/quern-bench; times every command as a
fresh process (wall clock, peak RSS of the process from wait4) on a warm page cache with nothing
left to write back (sync before each), the merge steps alone best of three, interleaved
(--repeat); checks each
Quern output against the pandas peer with compare_outputs.py; prints one table with the ratios
Quern/peer and the targets of docs/performance.md; SAVE writes the results as JSON.
The machine is shared and noisy: only the ratios measured here, in this run, mean anything.
"""
import argparse, json, os, shutil, subprocess, sys, time

ROWS = 75
SIZES = {"small": 2000, "large": 20000}


def run(cmd, label, cwd=None):
    """Runs cmd; returns (wall seconds, peak RSS MiB). Exits with its stderr if it fails.

    The page cache is flushed to disk first (sync; it stays warm): otherwise a command would pay
    for the writeback of the outputs the command before it left dirty."""
    os.sync()
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    err = proc.stderr.read().decode(errors="replace")
    code = os.waitstatus_to_exitcode(status)
    if code not in (0, 3):
        sys.exit(f"{label} failed ({code}):\n{err[-2000:]}")
    return wall, usage.ru_maxrss / 1024


def comparable(folder):
    """The workload's result files of a Quern output folder, as links in a folder of their own.

    Quern also publishes its own metadata beside the arrays (.quern-outputs.json, checksums.json,
    transform.json, quern_config.yaml: docs/formats.md); compare_outputs.py counts any extra .json
    as a difference, so it is given the arrays and preprocessing_stats.json, which it compares."""
    view = folder.rstrip("/") + ".compared"
    shutil.rmtree(view, ignore_errors=True)
    os.makedirs(view)
    for name in os.listdir(folder):
        if name.startswith(("X_", "labels_", "masks_")) or name == "preprocessing_stats.json":
            os.symlink(os.path.join(os.path.abspath(folder), name), os.path.join(view, name))
    return view


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--peers", default=os.environ.get("PEERS") or os.path.join(here, "..", "..", "shared", "bench"))
    ap.add_argument("--quern", default=os.path.join(here, "..", ".build", "release", "quern"))
    ap.add_argument("--data", default="/tmp/quern-bench")
    ap.add_argument("--sizes", default="small,large")
    ap.add_argument("--save")
    ap.add_argument("--repeat", type=int, default=3, help="runs of each merge step alone; the best wall time counts")
    a = ap.parse_args()
    peers = os.path.abspath(a.peers)
    need = ["gen_games.py", "peer_pandas.py", "peer_polars.py", "peer_merge.py", "compare_outputs.py"]
    missing = [f for f in need if not os.path.exists(os.path.join(peers, f))]
    if missing:
        sys.exit(f"the peers are not in {peers} (missing {', '.join(missing)}): pass PEERS=DIR, the folder with the "
                 f"`games` workload's gen_games.py and the pandas and polars peers.")
    try:
        import numpy, pandas, polars  # noqa: F401
    except ImportError:
        print("installing numpy, pandas, polars for the peers ...", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "numpy", "pandas", "polars"], check=True)
    quern = os.path.abspath(a.quern)
    config = os.path.join(here, "..", "docs", "examples", "games.yaml")
    py = sys.executable
    results = {"machine": {"cores": os.cpu_count()}, "sizes": {}}
    for size in a.sizes.split(","):
        files = SIZES[size]
        data = os.path.join(a.data, f"games_{size}")
        stamp = f"--files {files} --rows {ROWS} --seed 1"
        if not os.path.exists(os.path.join(data, ".complete")) or open(os.path.join(data, ".complete")).read() != stamp:
            shutil.rmtree(data, ignore_errors=True)
            print(f"generating games/{size} ({files} files) ...", file=sys.stderr)
            subprocess.run([py, os.path.join(peers, "gen_games.py"), "--files", str(files), "--rows", str(ROWS), "--seed", "1", "--out", data], check=True)
            open(os.path.join(data, ".complete"), "w").write(stamp)
        csv_bytes = sum(os.path.getsize(os.path.join(data, f)) for f in os.listdir(data) if f.endswith(".csv"))
        rows = files * ROWS
        subprocess.run(f"cat {data}/*.csv > /dev/null", shell=True)  # a warm page cache for everyone
        work = os.path.join(a.data, f"work_{size}")
        shutil.rmtree(work, ignore_errors=True)
        os.makedirs(work)
        w = lambda *p: os.path.join(work, *p)
        m = {}
        print(f"games/{size}: timing ...", file=sys.stderr)
        q = [quern, "run", "--config", config, "--input-dir", data, "--no-hooks", "-q"]
        m["quern run"] = run(q + ["--intermediate-dir", w("q", "i"), "--output-dir", w("q", "o")], "quern run")
        m["quern run --codec zlib"] = run(q + ["--intermediate-dir", w("qz", "i"), "--output-dir", w("qz", "o"), "--codec", "zlib"], "quern run zlib")
        m["quern run --workers 1"] = run(q + ["--intermediate-dir", w("q1", "i"), "--output-dir", w("q1", "o"), "--workers", "1"], "quern run workers 1")
        for workers in (1, 2):
            m[f"quern extract --workers {workers}"] = run(
                [quern, "extract", "--config", config, "--input-dir", data, "--no-hooks", "-q", "--workers", str(workers),
                 "--intermediate-dir", w(f"qw{workers}", "i")], f"quern extract workers {workers}")
        pa = [py, os.path.join(peers, "peer_pandas.py"), "--input", data]
        m["pandas, 1 process"] = run(pa + ["--intermediate", w("pd1", "i"), "--output", w("pd1", "o")], "pandas")
        m["pandas, 2 processes"] = run(pa + ["--intermediate", w("pd2", "i"), "--output", w("pd2", "o"), "--workers", "2"], "pandas 2")
        m["polars"] = run([py, os.path.join(peers, "peer_polars.py"), "--input", data, "--intermediate", w("pl", "i"), "--output", w("pl", "o")], "polars")
        # The merge steps take seconds, so each is run --repeat times, interleaved, and keeps its
        # best wall time (and its highest peak): the same treatment for every side, and a noisy
        # neighbour on the shared machine hurts less than in a single run.
        merges = {"quern merge alone": [], "pandas merge step alone": [], "polars merge step alone": []}
        # Every side starts from an empty output folder (removing the previous run's 500 MB is not
        # part of a merge, and the peers' folders are removed too).
        for _ in range(a.repeat):
            shutil.rmtree(w("qm", "o"), ignore_errors=True)
            merges["quern merge alone"].append(run([quern, "merge", "--config", config, "--no-hooks", "-q", "--intermediate-dir", w("q", "i"),
                                                    "--output-dir", w("qm", "o")], "quern merge"))
            for peer, folder in (("pandas", "pd1"), ("polars", "pl")):
                shutil.rmtree(w(folder, "m"), ignore_errors=True)
                merges[f"{peer} merge step alone"].append(
                    run([py, os.path.join(peers, "peer_merge.py"), "--intermediate", w(folder, "i"), "--output", w(folder, "m")], f"{peer} merge"))
        for name, runs in merges.items():
            m[name] = (min(r[0] for r in runs), max(r[1] for r in runs))
        verdicts = {}
        for name, out in (("quern run", "q"), ("quern run --codec zlib", "qz"), ("quern run --workers 1", "q1"), ("quern merge alone", "qm")):
            r = subprocess.run([py, os.path.join(peers, "compare_outputs.py"), comparable(w(out, "o")), w("pd1", "o")],
                               capture_output=True, text=True)
            verdicts[name] = r.stdout.strip()
        stats = json.load(open(w("q", "o", "preprocessing_stats.json")))
        results["sizes"][size] = {"files": files, "rows": rows, "csv_bytes": csv_bytes,
                                  "runs": {k: {"wall_s": v[0], "peak_rss_mib": v[1]} for k, v in m.items()},
                                  "quern_merge_stages_s": stats["timings_seconds"], "verdicts": verdicts}
        print(f"\ngames/{size}: {files} files, {rows:,} rows, {csv_bytes / 1e6:.1f} MB of CSV; {os.cpu_count()} cores")
        print(f"{'what':34} {'wall s':>8} {'MB/s':>8} {'rows/s':>11} {'RSS MiB':>8} {'vs polars':>10} {'vs pandas2':>11}")
        for k, (wall, rss) in m.items():
            ref_polars = m["polars merge step alone"][0] if "merge" in k else m["polars"][0]
            ref_pandas = m["pandas merge step alone"][0] if "merge" in k else m["pandas, 2 processes"][0]
            ratios = f"{ref_polars / wall:9.1f}x {ref_pandas / wall:10.1f}x" if k.startswith("quern") else ""
            print(f"{k:34} {wall:8.2f} {csv_bytes / 1e6 / wall:8.1f} {rows / wall:11,.0f} {rss:8.0f} {ratios}")
        print("quern merge stages (s): " + ", ".join(f"{k} {v:.2f}" for k, v in stats["timings_seconds"].items()))
        for k, v in verdicts.items():
            print(f"{k}: {v}")
    if "large" in results["sizes"]:
        L = results["sizes"]["large"]["runs"]
        t = lambda k: L[k]["wall_s"]
        targets = [
            ("run (default codec) >= 4x faster than polars", t("polars") / t("quern run"), 4),
            ("run (default codec) >= 7x faster than pandas, 2 processes", t("pandas, 2 processes") / t("quern run"), 7),
            ("run --codec zlib >= 5x faster than pandas, 2 processes", t("pandas, 2 processes") / t("quern run --codec zlib"), 5),
            ("merge alone >= 3x faster than the polars merge step", t("polars merge step alone") / t("quern merge alone"), 3),
            ("extract: 2 workers >= 1.7x faster than 1", t("quern extract --workers 1") / t("quern extract --workers 2"), 1.7),
        ]
        peak = max(L[k]["peak_rss_mib"] for k in L if k.startswith("quern"))
        print("\ntargets on games/large:")
        for name, ratio, goal in targets:
            print(f"  {'PASS' if ratio >= goal else 'MISS'}  {name}: {ratio:.2f}x")
        print(f"  {'PASS' if peak <= 256 else 'MISS'}  peak RSS <= 256 MiB: {peak:.0f} MiB")
        if "small" in results["sizes"]:
            S = results["sizes"]["small"]["runs"]
            small_peak = max(S[k]["peak_rss_mib"] for k in S if k.startswith("quern"))
            print(f"  {'PASS' if peak <= 1.3 * small_peak else 'MISS'}  peak on large <= 1.3x peak on small: {peak / small_peak:.2f}x")
        results["targets"] = [{"name": n, "ratio": r, "goal": g, "met": r >= g} for n, r, g in targets]
    if a.save:
        with open(a.save, "w") as f:
            json.dump(results, f, indent=2)
        print(f"saved {a.save}")


if __name__ == "__main__":
    main()
