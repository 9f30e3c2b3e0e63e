#!/usr/bin/env python3
"""The tables of docs/performance.md from one `make bench SAVE=FILE` run.

    python3 bench/bench_markdown.py bench.json > tables.md

Prints, per shape, every command's wall and CPU seconds, MB/s, rows/s, peak RSS and the ratios
peer / Quern (wall, and CPU for `quern run`), the SAME verdicts, the 4x runs, and issue 18's
targets with met / not met, as Markdown, so the numbers in the docs come from one run. A command
run several times shows its best and says of how many.
"""
import json
import math
import sys

PEERS = ["pandas", "polars", "pyarrow", "duckdb"]


def fmt(x, spec):
    return "failed" if x is None or (isinstance(x, float) and math.isnan(x)) else format(x, spec)


def shape_table(name, r):
    runs, size, rows = r["runs"], r["csv_bytes"], r["rows"]
    out = [f"`games/{name}`: {r['files']:,} file(s), {rows:,} rows, {size / 1e6:.0f} MB of CSV.", "",
           "| what | wall s | CPU s | MB/s | rows/s | peak MiB | " + " | ".join(f"vs {p}" for p in PEERS) + " |",
           "|---|---|---|---|---|---|" + "---|" * len(PEERS)]
    for what, v in runs.items():
        if "error" in v:
            out.append(f"| {what} | failed | | | | | " + " | " * (len(PEERS) - 1) + " |")
            continue
        cells = []
        for p in PEERS:
            ref = runs.get(f"{p} merge step alone") if "merge" in what else runs.get(p)
            cells.append(f"{ref['wall_s'] / v['wall_s']:.2f}x" if what.startswith("quern") and ref and "error" not in ref
                         else "")
        n = len(v.get("rounds", []))
        out.append(f"| {what}{f' (best of {n})' if n > 1 else ''} | {v['wall_s']:.2f} | {v['cpu_s']:.2f} | {size / 1e6 / v['wall_s']:.1f} | "
                   f"{rows / v['wall_s']:,.0f} | {v['peak_rss_mib']:.0f} | " + " | ".join(cells) + " |")
    q = runs.get("quern run", {})
    if "cpu_s" in q:
        cpu = [f"{p} {runs[p]['cpu_s'] / q['cpu_s']:.2f}x" for p in PEERS if p in runs and "error" not in runs[p]]
        out += ["", "`quern run` in CPU time (peer / Quern): " + ", ".join(cpu) + "."]
    same = [k for k, v in r["verdicts"].items() if v.startswith("SAME")]
    other = [f"{k}: {v}" for k, v in r["verdicts"].items() if not v.startswith("SAME")]
    out += ["", f"SAME as the pandas peer: {', '.join(same)}." + (" Not SAME: " + "; ".join(other) if other else "")]
    for key, v in r.items():
        if key.startswith("quern run x") and isinstance(v, dict):
            if "error" in v:
                out.append(f"`{key}` failed.")
            else:
                out.append(f"`{key}`: {v['wall_s']:.2f} s, CPU {v['cpu_s']:.2f} s, peak {v['peak_rss_mib']:.0f} MiB "
                           f"({v['csv_bytes'] / 1e6:,.0f} MB of CSV).")
    return "\n".join(out)


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__.strip())
    results = json.load(open(sys.argv[1]))
    parts = [shape_table(name, r) for name, r in results["shapes"].items()]
    if results.get("targets"):
        rows = ["| target | measured | CPU-time ratio | |", "|---|---|---|---|"]
        for t in results["targets"]:
            unit = " MiB" if "MiB" in t["target"] else "x"
            measured = fmt(t["measured"], ".0f" if unit == " MiB" else ".2f") + unit
            cpu = fmt(t["cpu_ratio"], ".2f") + "x" if t.get("cpu_ratio") is not None else ""
            rows.append(f"| games/{t['shape']}: {t['target']} | {measured} | {cpu} | {'met' if t['met'] else 'not met'} |")
        parts.append("\n".join(rows))
    print("\n\n".join(parts))


if __name__ == "__main__":
    main()
