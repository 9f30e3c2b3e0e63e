#!/usr/bin/env python3
"""Single-cell bench: Quern's `rank_genes` on a generated sparse .h5ad against the anndata + numpy
peer (peer_rank_genes.py), at 1x and 4x the cells, in one run on one machine.

    make bench [H5AD_CELLS=200000]            # the h5ad part runs after bench.py
    bench/bench_h5ad.py [--cells 200000] [--genes 20000] [--density 0.05] [--top 2000] [--scale 4]

Generates DATA/cells_<n>.h5ad once (gen_h5ad.py, in chunks: bounded memory) for n = CELLS and
SCALE x CELLS; runs each tool as a fresh process after `sync` (wall clock, peak RSS of the process
tree from wait4); checks that Quern's tokens_train.npy equals the peer's tokens; prints one table
(cells/s, peak RSS) and the flatness ratio, peak RSS at SCALE x / at 1x (target: at most 1.3).
The generator and the peer need numpy, h5py and anndata: the first of $QUERN_PYTHON, this Python
and /usr/bin/python3 that imports them runs them. The machine is shared and noisy: only the
ratios measured in one run mean anything.
"""
import argparse, os, subprocess, sys, time

CONFIG = """paths: {{input: {input}, intermediate: {work}/mid, output: {work}/out, logs: {work}/logs}}
input: {{format: h5ad}}
batch: {{codec: "lz4", files_per_batch: 1, rows_per_batch: {rows}}}
extractor:
  name: rank_genes
  top_genes: {top}
  normalize_total: true
  target_sum: 10000
merge: {{strategy: concat}}
split: {{fractions: [1.0, 0.0, 0.0], by: row}}
"""


def science_python():
    for p in [os.environ.get("QUERN_PYTHON"), sys.executable, "/usr/bin/python3"]:
        if p and subprocess.run([p, "-c", "import numpy, h5py, anndata"], capture_output=True).returncode == 0:
            return p
    sys.exit("no Python with numpy, h5py and anndata: install python3-anndata (Debian) or set QUERN_PYTHON")


def run(cmd, label):
    """Runs cmd after a sync; returns (wall seconds, peak RSS MiB of the process tree)."""
    os.sync()
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    err = proc.stderr.read().decode(errors="replace")
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"{label} failed:\n{err[-2000:]}")
    return wall, usage.ru_maxrss / 1024


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cells", type=int, default=200_000)
    ap.add_argument("--genes", type=int, default=20_000)
    ap.add_argument("--density", type=float, default=0.05)
    ap.add_argument("--top", type=int, default=2000)
    ap.add_argument("--scale", type=int, default=4)
    ap.add_argument("--rows-per-batch", type=int, default=5_000, help="cells per batch file (Quern's memory follows it)")
    ap.add_argument("--data", default="/tmp/quern-bench-h5ad")
    ap.add_argument("--quern", default=os.path.join(here, "..", ".build", "release", "quern"))
    a = ap.parse_args()
    py = science_python()
    if not os.path.exists(a.quern):
        sys.exit(f"{a.quern}: no quern binary: run `make build` first")
    results = {}
    for n in (a.cells, a.cells * a.scale):
        folder = os.path.join(a.data, f"cells_{n}_{a.genes}_{a.density}")
        data = os.path.join(folder, "in", "cells.h5ad")
        if not os.path.exists(data):
            os.makedirs(os.path.dirname(data), exist_ok=True)
            print(f"generating {data} ...", file=sys.stderr)
            subprocess.run([py, os.path.join(here, "gen_h5ad.py"), data + ".part", "--cells", str(n),
                            "--genes", str(a.genes), "--density", str(a.density)], check=True)
            os.rename(data + ".part", data)
        work = os.path.join(folder, "quern")
        subprocess.run(["rm", "-rf", work], check=True)
        os.makedirs(work)
        config = os.path.join(work, "quern.yaml")
        with open(config, "w") as f:
            f.write(CONFIG.format(input=os.path.dirname(data), work=work, rows=a.rows_per_batch, top=a.top))
        results[("quern", n)] = run([a.quern, "run", "--config", config, "-q"], f"quern on {n} cells")
        peer_out = os.path.join(folder, "peer_tokens.npy")
        results[("anndata+numpy", n)] = run(
            [py, os.path.join(here, "peer_rank_genes.py"), data, peer_out, "--top", str(a.top)], f"peer on {n} cells")
        same = subprocess.run([py, "-c", "import numpy as np, sys; a = np.load(sys.argv[1], mmap_mode='r'); "
                               "b = np.load(sys.argv[2], mmap_mode='r'); sys.exit(0 if a.shape == b.shape and "
                               "all(np.array_equal(a[i:i + 50000], b[i:i + 50000]) for i in range(0, len(a), 50000)) else 1)",
                               os.path.join(work, "out", "tokens_train.npy"), peer_out]).returncode == 0
        results[("equal", n)] = same
    print(f"\nrank_genes on a sparse .h5ad: {a.genes} genes, density {a.density}, top {a.top} "
          f"(one run; the machine may be loaded, so compare the ratios)")
    print(f"{'tool':<15}{'cells':>10}{'wall s':>10}{'cells/s':>12}{'peak RSS MiB':>15}")
    for tool in ("quern", "anndata+numpy"):
        for n in (a.cells, a.cells * a.scale):
            wall, rss = results[(tool, n)]
            print(f"{tool:<15}{n:>10}{wall:>10.1f}{n / wall:>12.0f}{rss:>15.0f}")
    for tool in ("quern", "anndata+numpy"):
        ratio = results[(tool, a.cells * a.scale)][1] / results[(tool, a.cells)][1]
        verdict = "flat" if ratio <= 1.3 else "NOT flat"
        print(f"{tool}: peak RSS at {a.scale}x / 1x = {ratio:.2f} ({verdict}; target <= 1.3)")
    for n in (a.cells, a.cells * a.scale):
        print(f"tokens equal to the peer's on {n} cells: {'yes' if results[('equal', n)] else 'NO'}")
    q = results[("quern", a.cells * a.scale)]
    p = results[("anndata+numpy", a.cells * a.scale)]
    print(f"quern / peer at {a.scale}x: speed {p[0] / q[0]:.2f}x, memory {q[1] / p[1]:.2f}x")
    if not all(results[("equal", n)] for n in (a.cells, a.cells * a.scale)):
        sys.exit(1)


if __name__ == "__main__":
    main()
