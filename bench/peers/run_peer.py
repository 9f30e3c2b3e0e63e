#!/usr/bin/env python3
"""Runs one of the `games` peers of ../shared/bench unchanged, on another shape of the data.

    run_peer.py --peers DIR --peer pandas|polars|pyarrow|duckdb|merge [--wide C] [--one-file] -- ARGS...

The peers are not copied: their code runs as written, with the workload's constants or one
reader option changed before their main() runs, so a fix to a peer in ../shared reaches the
bench at once.

--wide C: the `games/wide` shape (bench/gen_wide.py): C float columns f0000 .. f{C-1} in place
  of f00 .. f39. Every peer takes the header, the numeric columns, the feature names and their
  counts from games_common; those are replaced (the job, the split, the normalization and the
  outputs stay those of WORKLOAD.md, with 1 + C numeric features).
--one-file: the `games/onefile` shape (all rows in one CSV file). The pyarrow peer reads each
  file on one thread because the workload's files are far smaller than a read block; with one
  533 MB file, an Arrow user reads it with `use_threads=True`, as done here. The DuckDB peer gives
  each batch a single-threaded connection (one per core); with one file, one batch, its
  connection gets every core. pandas (single-threaded parser) and polars (multithreaded
  already) are unchanged.
"""
import argparse
import importlib
import multiprocessing
import os
import sys

MODULES = {"pandas": "peer_pandas", "polars": "peer_polars", "pyarrow": "peer_pyarrow", "duckdb": "peer_duckdb",
           "merge": "peer_merge"}


def widen(common, columns):
    """games_common's constants for C float columns named f0000, f0001, ..."""
    floats = [f"f{i:04d}" for i in range(columns)]
    common.HEADER = ["game_id", "turn", "current_player", "num_players"] + floats + [
        "phase", "action_type", "color", "action", "legal"]
    common.NUMERIC = floats + ["turn"]
    common.FEATURE_NAMES = common.NUMERIC + [f"{c}={v}" for c, vals in common.ONE_HOT for v in vals]
    common.N_FEATURES = len(common.FEATURE_NAMES)
    common.N_NUMERIC = len(common.NUMERIC)


class EveryCoreDuckDB:
    """The duckdb module, but each connection gets every core (for one big file)."""

    def __init__(self, real):
        self.real = real

    def __getattr__(self, name):
        return getattr(self.real, name)

    def connect(self, *args, config=None, **kwargs):
        return self.real.connect(*args, config={**(config or {}), "threads": os.cpu_count()}, **kwargs)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--peers", required=True, help="the folder of games_common.py and the peer_*.py scripts")
    ap.add_argument("--peer", required=True, choices=sorted(MODULES))
    ap.add_argument("--wide", type=int, default=0, metavar="C")
    ap.add_argument("--one-file", action="store_true")
    ap.add_argument("args", nargs=argparse.REMAINDER)
    a = ap.parse_args()
    sys.path.insert(0, os.path.abspath(a.peers))
    # The pandas peer's worker processes must see the changed constants: fork them.
    multiprocessing.set_start_method("fork", force=True)
    common = importlib.import_module("games_common")
    if a.wide:
        widen(common, a.wide)
    peer = importlib.import_module(MODULES[a.peer])
    if a.one_file and a.peer == "pyarrow":
        peer.READ = peer.pcsv.ReadOptions(use_threads=True)
    if a.one_file and a.peer == "duckdb":
        peer.duckdb = EveryCoreDuckDB(peer.duckdb)
    sys.argv = [peer.__file__] + [x for x in a.args if x != "--"]
    peer.main()


if __name__ == "__main__":
    main()
