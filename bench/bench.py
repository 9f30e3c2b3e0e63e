#!/usr/bin/env python3
"""Quern against the Python peers on three shapes of the `games` workload, in one run, on one machine.

    make bench [PEERS=DIR] [SHAPES=large,onefile,wide] [SCALE=4] [SAVE=FILE] [STRICT=1]

Peers: pandas, polars, pyarrow and duckdb from ../shared/bench (or PEERS). pandas and polars run
with the Python that runs this script when it has numpy, pandas and polars (else with a venv of
them that the bench makes); pyarrow and duckdb with a venv of their own (pyarrow installed
beside pandas slows the pandas peer's reads), made once under ~/.cache/quern-bench (BENCH_CACHE).

Shapes (data made once under /tmp/quern-bench, again when its generator changes):
  large    20,000 files of 75 rows (gen_games.py), 538 MB
  onefile  the same 1.5M rows as one CSV file (one header), 533 MB
  wide     600 files of 75 rows with 1,400 float columns (bench/gen_wide.py), about 470 MB
  small    2,000 files (for a quick look; not in the default set)
The peers run unchanged, through bench/peers/run_peer.py, which gives them the wide feature list
or, for one file, the reader options an Arrow or DuckDB user would pick for one big file.

Every command runs as a fresh process on a warm page cache with nothing left to write back (sync
before each); its wall time, CPU time (user + system of it and its children, from wait4) and peak
RSS (the largest process) are printed with MB/s of CSV and rows/s, and each Quern row with the
ratios peer time / Quern time. The commands the targets compare (quern run, quern extract, the
polars and pyarrow peers) run --rounds times (default 2), interleaved, each from empty folders,
and keep their best time; pandas and duckdb run once. On `large` the merge steps alone run
--repeat times, interleaved, and keep their best time. Every output is checked against the pandas peer's with
compare_outputs.py. Then the targets of issue 18 are printed, met or not, and, with --scale N
(default 4; 1 skips it), `quern run` on N times the data of each shape: its peak may be at most
1.3x the peak at 1x. SAVE writes everything as JSON. The exit status is 1 when an output is not
SAME or a command failed, and with STRICT=1 also when a target is not met.
The machine is shared and noisy: only the ratios measured here, in this run, mean anything.
"""
import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time

ROWS = 75
SHAPES = {
    "small": {"kind": "games", "files": 2000},
    "large": {"kind": "games", "files": 20000},
    "onefile": {"kind": "onefile", "files": 20000},
    "wide": {"kind": "wide", "files": 600, "columns": 1400},
}
FAILED = float("nan")


def run(cmd, cwd=None, env=None):
    """Runs cmd; returns {wall_s, cpu_s, peak_rss_mib} or {error}.

    The page cache is flushed to disk first (sync; it stays warm): otherwise a command would pay
    for the writeback of the outputs the command before it left dirty."""
    os.sync()
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    err = proc.stderr.read()  # until it exits: a full pipe must not stall it
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    if code not in (0, 3):
        return {"error": f"exit {code}: {err.decode(errors='replace')[-1500:]}"}
    return {"wall_s": wall, "cpu_s": usage.ru_utime + usage.ru_stime, "peak_rss_mib": usage.ru_maxrss / 1024}


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


def has_modules(python, modules):
    return subprocess.run([python, "-c", f"import {', '.join(modules)}"], capture_output=True).returncode == 0


def venv_python(cache, name, packages, base):
    """The Python of a venv under cache with packages installed (made once)."""
    folder = os.path.join(cache, name)
    python = os.path.join(folder, "bin", "python")
    modules = [p for p in packages if p != "pyarrow"] + (["pyarrow"] if "pyarrow" in packages else [])
    if os.path.exists(python) and has_modules(python, modules):
        return python
    print(f"making {folder} (pip install {' '.join(packages)}) ...", file=sys.stderr)
    shutil.rmtree(folder, ignore_errors=True)
    made = subprocess.run([base, "-m", "venv", folder], capture_output=True, text=True)
    if made.returncode != 0:
        sys.exit(f"cannot make a venv with {base} -m venv:\n{made.stderr.strip()}\n"
                 "On Debian install python3-venv (`make bench` does), or run the bench with a Python that has venv.")
    subprocess.run([python, "-m", "pip", "install", "-q", *packages], check=True)
    return python


def generator_stamp(path, args):
    with open(path, "rb") as f:
        return hashlib.sha1(f.read()).hexdigest()[:16] + " " + " ".join(args)


def made(folder, stamp):
    mark = os.path.join(folder, ".complete")
    return os.path.exists(mark) and open(mark).read() == stamp


def games_data(py, peers, root, files):
    """games_<files>: gen_games.py's files (the first 20,000 of 80,000 are those of 20,000)."""
    folder = os.path.join(root, f"games_{files}")
    args = ["--files", str(files), "--rows", str(ROWS), "--seed", "1"]
    stamp = generator_stamp(os.path.join(peers, "gen_games.py"), args)
    if not made(folder, stamp):
        shutil.rmtree(folder, ignore_errors=True)
        print(f"generating {folder} ...", file=sys.stderr)
        subprocess.run([py, os.path.join(peers, "gen_games.py"), *args, "--out", folder], check=True)
        open(os.path.join(folder, ".complete"), "w").write(stamp)
    return folder


def one_file_data(py, peers, root, files):
    """onefile_<files>/games.csv: the files of games_<files> in name order, one header kept."""
    source = games_data(py, peers, root, files)
    folder = os.path.join(root, f"onefile_{files}")
    stamp = open(os.path.join(source, ".complete")).read()
    if not made(folder, stamp):
        shutil.rmtree(folder, ignore_errors=True)
        os.makedirs(folder)
        print(f"concatenating {source} into {folder}/games.csv ...", file=sys.stderr)
        with open(os.path.join(folder, "games.csv"), "wb") as out:
            for i, name in enumerate(sorted(f for f in os.listdir(source) if f.endswith(".csv"))):
                with open(os.path.join(source, name), "rb") as f:
                    head = f.readline()
                    if i == 0:
                        out.write(head)
                    shutil.copyfileobj(f, out)
        open(os.path.join(folder, ".complete"), "w").write(stamp)
    return folder


def wide_data(py, here, root, files, columns):
    folder = os.path.join(root, f"wide_{files}_{columns}")
    gen = os.path.join(here, "gen_wide.py")
    args = ["--files", str(files), "--rows", str(ROWS), "--columns", str(columns), "--seed", "1"]
    stamp = generator_stamp(gen, args)
    if not made(folder, stamp):
        shutil.rmtree(folder, ignore_errors=True)
        print(f"generating {folder} ...", file=sys.stderr)
        subprocess.run([py, gen, *args, "--out", folder], check=True)
        open(os.path.join(folder, ".complete"), "w").write(stamp)
    return folder


def data_for(shape, scale, ctx):
    s = SHAPES[shape]
    files = s["files"] * scale
    if s["kind"] == "games":
        return games_data(ctx["py"], ctx["peers"], ctx["root"], files)
    if s["kind"] == "onefile":
        return one_file_data(ctx["py"], ctx["peers"], ctx["root"], files)
    return wide_data(ctx["py"], ctx["here"], ctx["root"], files, s["columns"])


def csv_bytes(folder):
    return sum(os.path.getsize(os.path.join(folder, f)) for f in os.listdir(folder) if f.endswith(".csv"))


def warm(folder):
    for f in os.listdir(folder):
        if f.endswith(".csv"):
            with open(os.path.join(folder, f), "rb") as h:
                while h.read(1 << 24):
                    pass


def peer_cmd(ctx, peer, shape, *args):
    """The command that runs a peer of ../shared/bench on a shape (bench/peers/run_peer.py)."""
    python = ctx["arrow_py"] if peer in ("pyarrow", "duckdb") else ctx["py"]
    cmd = [python, os.path.join(ctx["here"], "peers", "run_peer.py"), "--peers", ctx["peers"], "--peer", peer]
    if SHAPES[shape]["kind"] == "wide":
        cmd += ["--wide", str(SHAPES[shape]["columns"])]
    if SHAPES[shape]["kind"] == "onefile":
        cmd += ["--one-file"]
    return cmd + ["--", *args]


def measure_shape(shape, ctx, repeat, rounds):
    """Times Quern and the peers on one shape; returns its results (runs, verdicts)."""
    data = data_for(shape, 1, ctx)
    kind = SHAPES[shape]["kind"]
    files = SHAPES[shape]["files"]
    size = csv_bytes(data)
    warm(data)  # a warm page cache for everyone
    work = os.path.join(ctx["root"], f"work_{shape}")
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    w = lambda *p: os.path.join(work, *p)
    quern, config = ctx["quern"], ctx["config"]
    m, outputs = {}, {}
    print(f"games/{shape}: timing ...", file=sys.stderr)

    def timed(name, cmd, out=None, folder=None):
        """Runs cmd once more into an empty folder; m[name] keeps its best wall time (and lowest
        CPU time, highest peak) over the rounds, and every round's numbers under "rounds"."""
        print(f"  {name}", file=sys.stderr)
        if folder:
            shutil.rmtree(folder, ignore_errors=True)  # a second `quern run` must not resume the first
        r = run(cmd)
        if "error" in r:
            print(f"  {name} FAILED: {r['error']}", file=sys.stderr)
        done = m.get(name, {}).get("rounds", []) + [r]
        m[name] = best(done)
        m[name]["rounds"] = done
        if out and "error" not in m[name]:
            outputs[name] = out

    q = [quern, "run", "--config", config, "--input-dir", data, "--no-hooks", "-q"]
    # The commands the targets compare run `rounds` times, interleaved, and keep their best wall
    # time: on this kind of host the first command after a shape's data is read swings by up to
    # 1.5x (fresh pages from the hypervisor), and the same treatment for every side is the only
    # fair answer. pandas and duckdb are in no target and run once.
    for round_ in range(rounds):
        timed("quern run", q + ["--intermediate-dir", w("q", "i"), "--output-dir", w("q", "o")],
              comparable_later(w("q", "o")), w("q"))
        for workers in (1, 2):
            timed(f"quern extract --workers {workers}",
                  [quern, "extract", "--config", config, "--input-dir", data, "--no-hooks", "-q", "--workers",
                   str(workers), "--intermediate-dir", w(f"qw{workers}", "i")], folder=w(f"qw{workers}"))
        for peer in ("pandas", "polars", "pyarrow", "duckdb"):
            if round_ > 0 and peer in ("pandas", "duckdb"):
                continue
            timed(peer, peer_cmd(ctx, peer, shape, "--input", data, "--intermediate", w(peer, "i"), "--output",
                                 w(peer, "o")), w(peer, "o"), w(peer))
    if kind == "games":
        timed("pandas, 2 processes", peer_cmd(ctx, "pandas", shape, "--input", data, "--intermediate", w("pd2", "i"),
                                              "--output", w("pd2", "o"), "--workers", "2"), w("pd2", "o"))
        # The merge steps take seconds, so each is run --repeat times, interleaved, and keeps its
        # best wall time (and its highest peak): the same treatment for every side. Every side
        # starts from an empty output folder.
        merges = {"quern merge alone": [], "pandas merge step alone": [], "polars merge step alone": []}
        for _ in range(repeat):
            shutil.rmtree(w("qm", "o"), ignore_errors=True)
            merges["quern merge alone"].append(run([quern, "merge", "--config", config, "--no-hooks", "-q",
                                                    "--intermediate-dir", w("q", "i"), "--output-dir", w("qm", "o")]))
            for peer in ("pandas", "polars"):
                shutil.rmtree(w(peer, "m"), ignore_errors=True)
                merges[f"{peer} merge step alone"].append(run(peer_cmd(
                    ctx, "merge", shape, "--intermediate", w(peer, "i"), "--output", w(peer, "m"))))
        for name, runs in merges.items():
            m[name] = best(runs)
            m[name]["rounds"] = runs
        outputs["quern merge alone"] = comparable_later(w("qm", "o"))
        outputs["pandas merge step alone"] = w("pandas", "m")
        outputs["polars merge step alone"] = w("polars", "m")
    verdicts = {}
    reference = w("pandas", "o")
    for name, out in outputs.items():
        if name == "pandas" or "error" in m.get(name, {}):
            continue
        if "error" in m["pandas"]:
            verdicts[name] = "not checked: the pandas peer failed"
            continue
        folder = out() if callable(out) else out
        r = subprocess.run([ctx["py"], os.path.join(ctx["peers"], "compare_outputs.py"), folder, reference],
                           capture_output=True, text=True)
        verdicts[name] = (r.stdout.strip() or r.stderr.strip())[:300]
    stages = {}
    stats = w("q", "o", "preprocessing_stats.json")
    if os.path.exists(stats):
        stages = json.load(open(stats)).get("timings_seconds", {})
    result = {"files": files * 1 if kind != "onefile" else 1, "rows": files * ROWS, "csv_bytes": size,
              "runs": m, "verdicts": verdicts, "quern_merge_stages_s": stages}
    shutil.rmtree(work, ignore_errors=True)  # GBs of outputs: not kept
    return result


def best(runs):
    """The best of several runs of one command: its least wall time and CPU time, its highest peak.
    A failed round fails the command (an error is never hidden behind a good round)."""
    failed = [r for r in runs if "error" in r]
    if failed:
        return dict(failed[0])
    return {"wall_s": min(r["wall_s"] for r in runs), "cpu_s": min(r["cpu_s"] for r in runs),
            "peak_rss_mib": max(r["peak_rss_mib"] for r in runs)}


def comparable_later(folder):
    return lambda: comparable(folder)


def ratio(peer, quern, key="wall_s"):
    if "error" in peer or "error" in quern:
        return FAILED
    return peer[key] / quern[key]


def print_shape(shape, r):
    m, size, rows = r["runs"], r["csv_bytes"], r["rows"]
    print(f"\ngames/{shape}: {r['files']:,} file(s), {rows:,} rows, {size / 1e6:.1f} MB of CSV; {os.cpu_count()} cores")
    peers = ["pandas", "polars", "pyarrow", "duckdb"]
    print(f"{'what':40} {'wall s':>7} {'CPU s':>7} {'MB/s':>7} {'rows/s':>10} {'peak MiB':>8}  "
          + " ".join(f"{'vs ' + p:>10}" for p in peers))
    for name, v in m.items():
        if "error" in v:
            print(f"{name:40} FAILED ({v['error'].splitlines()[0][:80]})")
            continue
        cells = ""
        if name.startswith("quern"):
            if "merge" in name:
                refs = {"pandas": m.get("pandas merge step alone"), "polars": m.get("polars merge step alone")}
            else:
                refs = {p: m.get(p) for p in peers}
            cells = " ".join(f"{ratio(refs[p], v):9.2f}x" if refs.get(p) else f"{'':10}" for p in peers)
        wall = v["wall_s"]
        n = len(v.get("rounds", []))
        label = f"{name} (best of {n})" if n > 1 else name
        print(f"{label:40} {wall:7.2f} {v['cpu_s']:7.2f} {size / 1e6 / wall:7.1f} {rows / wall:10,.0f} "
              f"{v['peak_rss_mib']:8.0f}  {cells}")
    q = m.get("quern run", {"error": "-"})
    if "error" not in q:
        cpu = [f"{p} {m[p]['cpu_s'] / q['cpu_s']:.2f}x" for p in peers if p in m and "error" not in m[p]]
        print("quern run's CPU time against each peer's (peer / quern): " + ", ".join(cpu))
    if r["quern_merge_stages_s"]:
        print("quern run's merge stages (s): " + ", ".join(f"{k} {v:.2f}" for k, v in r["quern_merge_stages_s"].items()))
    for name, verdict in r["verdicts"].items():
        print(f"{name}: {verdict}")


def quern_peak(r):
    return max((v["peak_rss_mib"] for k, v in r["runs"].items() if k.startswith("quern") and "error" not in v),
               default=FAILED)


def targets(results):
    """Issue 18's targets for the shapes measured: (shape, what, (measured, CPU-time ratio or None), goal, unit).
    The targets are on wall time; the CPU-time ratio is printed beside it because on a shared
    machine a neighbour's load lengthens a wall time far more than it changes CPU time."""
    out = []
    def wall(shape, a, b):
        runs = results[shape]["runs"]
        quern, peer = runs.get(a, {"error": "-"}), runs.get(b, {"error": "-"})
        return ratio(peer, quern), ratio(peer, quern, "cpu_s")
    if "large" in results:
        out += [("large", "run at least 8x faster than polars", wall("large", "quern run", "polars"), 8, "x"),
                ("large", "run at least 3x faster than pyarrow", wall("large", "quern run", "pyarrow"), 3, "x"),
                ("large", "merge alone at least 5x faster than the polars merge step",
                 wall("large", "quern merge alone", "polars merge step alone"), 5, "x"),
                ("large", "peak RSS at most 128 MiB", (quern_peak(results["large"]), None), 128, "MiB")]
    if "onefile" in results:
        out += [("onefile", "run at least 4x faster than polars", wall("onefile", "quern run", "polars"), 4, "x"),
                ("onefile", "run at least 2x faster than pyarrow", wall("onefile", "quern run", "pyarrow"), 2, "x"),
                ("onefile", "extract with 2 workers at least 1.7x faster than with 1",
                 wall("onefile", "quern extract --workers 2", "quern extract --workers 1"), 1.7, "x"),
                ("onefile", "peak RSS at most 160 MiB", (quern_peak(results["onefile"]), None), 160, "MiB")]
    if "wide" in results:
        out += [("wide", "run at least 4x faster than polars", wall("wide", "quern run", "polars"), 4, "x"),
                ("wide", "run at least 2x faster than pyarrow", wall("wide", "quern run", "pyarrow"), 2, "x"),
                ("wide", "peak RSS at most 256 MiB", (quern_peak(results["wide"]), None), 256, "MiB")]
    return out


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--peers", default=os.environ.get("PEERS") or os.path.join(here, "..", "..", "shared", "bench"))
    ap.add_argument("--quern", default=os.path.join(here, "..", ".build", "release", "quern"))
    ap.add_argument("--data", default="/tmp/quern-bench")
    ap.add_argument("--shapes", default="large,onefile,wide", help="any of " + ", ".join(SHAPES))
    ap.add_argument("--scale", type=int, default=4, help="also run quern on N times the data of each shape (1: not)")
    ap.add_argument("--save")
    ap.add_argument("--strict", action="store_true", help="exit 1 when a target is not met (else only a difference or a failure does)")
    ap.add_argument("--repeat", type=int, default=3, help="runs of each merge step alone; the best wall time counts")
    ap.add_argument("--rounds", type=int, default=2,
                    help="runs of quern run, quern extract and the polars and pyarrow peers, interleaved; the best counts")
    a = ap.parse_args()
    shapes = [s.strip() for s in a.shapes.split(",") if s.strip()]
    unknown = [s for s in shapes if s not in SHAPES]
    if unknown:
        sys.exit(f"unknown shape {', '.join(unknown)}: pick from {', '.join(SHAPES)} (SHAPES=large,onefile,wide)")
    peers = os.path.abspath(a.peers)
    need = ["gen_games.py", "games_common.py", "peer_pandas.py", "peer_polars.py", "peer_pyarrow.py", "peer_duckdb.py",
            "peer_merge.py", "compare_outputs.py"]
    missing = [f for f in need if not os.path.exists(os.path.join(peers, f))]
    if missing:
        sys.exit(f"the peers are not in {peers} (missing {', '.join(missing)}): pass PEERS=DIR, the folder with the "
                 f"`games` workload's gen_games.py and the pandas, polars, pyarrow and duckdb peers.")
    quern = os.path.abspath(a.quern)
    if not os.access(quern, os.X_OK):
        sys.exit(f"no quern at {quern}: build it first (`make bench` builds it in release mode) or pass --quern PATH")
    cache = os.environ.get("BENCH_CACHE") or os.path.join(os.path.expanduser("~"), ".cache", "quern-bench")
    py = sys.executable
    if not has_modules(py, ["numpy", "pandas", "polars"]):
        py = venv_python(cache, "pandas-polars", ["numpy", "pandas", "polars"], sys.executable)
    ctx = {"here": here, "peers": peers, "root": a.data, "quern": quern, "py": py,
           "config": os.path.join(here, "..", "docs", "examples", "games.yaml"),
           "arrow_py": venv_python(cache, "pyarrow-duckdb", ["numpy", "pyarrow", "duckdb"], sys.executable)}
    os.makedirs(a.data, exist_ok=True)
    results = {"machine": {"cores": os.cpu_count()}, "shapes": {}}
    for shape in shapes:
        results["shapes"][shape] = measure_shape(shape, ctx, a.repeat, a.rounds)
        print_shape(shape, results["shapes"][shape])
        sys.stdout.flush()
    flat = []
    if a.scale > 1:
        for shape in shapes:
            one = results["shapes"][shape]["runs"]["quern run"]
            data = data_for(shape, a.scale, ctx)
            warm(data)
            work = os.path.join(a.data, f"work_{shape}_x{a.scale}")
            shutil.rmtree(work, ignore_errors=True)
            print(f"games/{shape} x{a.scale}: quern run ...", file=sys.stderr)
            big = run([quern, "run", "--config", ctx["config"], "--input-dir", data, "--no-hooks", "-q",
                       "--intermediate-dir", os.path.join(work, "i"), "--output-dir", os.path.join(work, "o")])
            shutil.rmtree(work, ignore_errors=True)
            big["csv_bytes"] = csv_bytes(data)
            results["shapes"][shape][f"quern run x{a.scale}"] = big
            growth = FAILED if "error" in big or "error" in one else big["peak_rss_mib"] / one["peak_rss_mib"]
            flat.append((shape, f"quern run's peak at {a.scale}x the data at most 1.3x its peak at 1x", (growth, None),
                         1.3, "x-at-most"))
            if "error" in big:
                print(f"games/{shape} x{a.scale}: quern run FAILED: {big['error']}")
            else:
                print(f"games/{shape} x{a.scale}: quern run {big['wall_s']:.2f} s, CPU {big['cpu_s']:.2f} s, "
                      f"{big['csv_bytes'] / 1e6 / big['wall_s']:.1f} MB/s, peak {big['peak_rss_mib']:.0f} MiB "
                      f"(at 1x: {one.get('peak_rss_mib', FAILED):.0f} MiB)")
    goals = targets(results["shapes"])
    print("\ntargets (issue 18):")
    rows = []
    for shape, name, (value, cpu), goal, unit in goals + flat:
        ok = value <= goal if unit in ("MiB", "x-at-most") else value >= goal
        shown = f"{value:.0f} MiB" if unit == "MiB" else f"{value:.2f}x"
        if cpu is not None:
            shown += f" (in CPU time: {cpu:.2f}x)"
        print(f"  {'met    ' if ok else 'NOT MET'}  games/{shape}: {name}: {shown}")
        rows.append({"shape": shape, "target": name, "measured": value, "cpu_ratio": cpu, "goal": goal, "met": bool(ok)})
    results["targets"] = rows
    different = [(s, k, v) for s, r in results["shapes"].items() for k, v in r["verdicts"].items() if not v.startswith("SAME")]
    failed = [(s, k) for s, r in results["shapes"].items() for k, v in r["runs"].items() if "error" in v]
    for s, k, v in different:
        print(f"  NOT SAME  games/{s}: {k}: {v}")
    if a.save:
        with open(a.save, "w") as f:
            json.dump(results, f, indent=2, default=str)
        print(f"saved {a.save}")
    if different or failed or (a.strict and not all(t["met"] for t in rows)):
        sys.exit(1)


if __name__ == "__main__":
    main()
