#!/usr/bin/env python3
"""An independent reference for Quern's `trmph` format and `hex` extractor (docs/hex.md).

    hex_reference.py generate OUT --files F --games G [--size S] [--mixed] [--bad B] [--seed N]
        writes F files of G random games each (OUT/games_000.trmph, ...); with --bad, the first
        B files also get invalid games (off the board, a cell twice, a bad winner, not a game).
    hex_reference.py check INPUT_DIR INTERMEDIATE_DIR [--positions all|final|penultimate]
                           [--max-per-game M] [--size S]
        encodes every game itself (regular expressions and numpy, no code shared with Quern) and
        checks that the batches in INTERMEDIATE_DIR hold exactly those rows (features, policy,
        value, group key, source file and line), and that failed.jsonl lists exactly the
        invalid games by file and line. Prints "rows=<n> failed=<k>".
"""
import argparse
import glob
import json
import os
import random
import re
import sys

import numpy as np

GAME = re.compile(r"^(?:.*#)?(\d{1,2}),([^ \t]*)(?:[ \t]+(\S+))?$")
MOVE = re.compile(r"([a-z])(\d{1,2})")


def fnv1a64(data: bytes) -> int:
    h = 0xCBF29CE484222325
    for b in data:
        h = ((h ^ b) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return h


def read_game(text, run_size):
    """(size, cells, winner, key) or ('invalid', reason) or ('skip', reason)."""
    m = GAME.match(text)
    if not m:
        return ("invalid", "not a game")
    size_text, moves_text, winner_text = m.group(1), m.group(2), m.group(3)
    size = int(size_text)
    if not 1 <= size <= 19:
        return ("invalid", "size")
    pairs = MOVE.findall(moves_text)
    if "".join(c + r for c, r in pairs) != moves_text:
        return ("invalid", "moves text")
    cells = []
    for c, r in pairs:
        col, row = ord(c) - ord("a"), int(r)
        if col >= size or not 1 <= row <= size:
            return ("invalid", "off the board")
        cell = (row - 1) * size + col
        if cell in cells:
            return ("invalid", "a cell twice")
        cells.append(cell)
    if winner_text is not None and winner_text not in ("1", "2"):
        return ("invalid", "winner")
    if size != run_size:
        return ("invalid", "another size")
    if winner_text is None:
        return ("skip", "no winner")
    key = "%016x" % fnv1a64(f"{size_text},{moves_text}".encode())
    return (size, cells, int(winner_text), key)


def positions(n, mode, max_per_game):
    if mode == "all":
        return list(range(max(0, n - (max_per_game or n)), n))
    if mode == "final":
        return [n - 1] if n >= 1 else []
    return [n - 2] if n >= 2 else []


def encode(size, cells, winner, k):
    planes = np.zeros((3, size, size), dtype=np.float32)
    for i, cell in enumerate(cells[:k]):
        planes[i % 2, cell // size, cell % size] = 1.0
    mover = 1 if k % 2 == 0 else 2
    if mover == 1:
        planes[2, :, :] = 1.0
    return planes.reshape(-1), cells[k], 1 if mover == winner else 0


def check(args):
    files = sorted(os.path.basename(p) for p in glob.glob(os.path.join(args.input, "*.trmph")))
    run_size = args.size
    X, policy, value, keys, sources, lines, invalid = [], [], [], [], [], [], set()
    for name in files:
        with open(os.path.join(args.input, name), encoding="utf-8") as f:
            for number, raw in enumerate(f.read().split("\n"), start=1):
                text = raw.strip(" \t\r\v\f")
                if not text:
                    continue
                if run_size is None:
                    m = GAME.match(text)
                    run_size = int(m.group(1)) if m else None
                game = read_game(text, run_size)
                if game[0] == "invalid":
                    invalid.add((name, number))
                    continue
                if game[0] == "skip":
                    continue
                size, cells, winner, key = game
                for k in positions(len(cells), args.positions, args.max_per_game):
                    x, p, v = encode(size, cells, winner, k)
                    X.append(x), policy.append(p), value.append(v), keys.append(key)
                    sources.append(name), lines.append(number)
    got = {"X": [], "policy": [], "value": [], "keys": [], "sources": [], "lines": []}
    for path in sorted(glob.glob(os.path.join(args.intermediate, "batch_*.npz"))):
        b = np.load(path)
        got["X"].append(b["X"])
        got["policy"].append(b["label_policy"])
        got["value"].append(b["label_value"])
        got["keys"] += [k.decode() for k in b["groups"][b["group_index"]]]
        got["sources"] += [s.decode() for s in b["sources"][b["source_index"]]]
        got["lines"] += b["source_row"].tolist()
    gx = np.concatenate(got["X"])
    assert gx.dtype == np.float32 and gx.shape == (len(X), 3 * run_size * run_size), (gx.shape, len(X))
    assert (gx == np.array(X, dtype=np.float32)).all(), "planes differ"
    gp, gv = np.concatenate(got["policy"]), np.concatenate(got["value"])
    assert gp.dtype == np.int32 and (gp == np.array(policy)).all(), "policy differs"
    assert gv.dtype == np.int32 and (gv == np.array(value)).all(), "value differs"
    assert got["keys"] == keys, "group keys differ"
    assert got["sources"] == sources and got["lines"] == lines, "source files or lines differ"
    failed = set()
    failed_path = os.path.join(args.intermediate, "failed.jsonl")
    if os.path.exists(failed_path):
        for line in open(failed_path, encoding="utf-8"):
            entry = json.loads(line)
            failed.add((entry["file"], entry["line"]))
    assert failed == invalid, ("failed.jsonl differs", sorted(failed ^ invalid)[:10])
    print(f"rows={len(X)} failed={len(invalid)}")


def random_game(rng, size, url):
    cells = [(r, c) for r in range(1, size + 1) for c in range(size)]
    rng.shuffle(cells)
    moves = "".join(chr(ord("a") + c) + str(r) for r, c in cells[: rng.randint(1, min(40, size * size))])
    winner = rng.choice([" 1", " 2", " 1", " 2", ""])
    prefix = "http://www.trmph.com/hex/board#" if url else rng.choice(["#", ""])
    return f"{prefix}{size},{moves}{winner}"


def generate(args):
    rng = random.Random(args.seed)
    os.makedirs(args.out, exist_ok=True)
    for f in range(args.files):
        size = args.size if not args.mixed or f == 0 else rng.choice([args.size, 11])
        games = [random_game(rng, size, rng.random() < 0.5) for _ in range(args.games)]
        if f < args.bad:
            s = size
            off = chr(ord("a") + s)
            games.insert(1, f"#{s},a1{off}2 1")  # a column past the board
            games.insert(3, f"#{s},a1b2a1 2")  # a cell played twice
            games.insert(4, f"#{s},a1b2 draw")  # an unknown winner token
            games.insert(5, "")  # a blank line is no game
            games.insert(6, "this is not a game")
        with open(os.path.join(args.out, f"games_{f:03d}.trmph"), "w", encoding="utf-8") as out:
            out.write("\n".join(games) + "\n")


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="command", required=True)
    g = sub.add_parser("generate")
    g.add_argument("out")
    g.add_argument("--files", type=int, default=4)
    g.add_argument("--games", type=int, default=20)
    g.add_argument("--size", type=int, default=13)
    g.add_argument("--mixed", action="store_true")
    g.add_argument("--bad", type=int, default=0)
    g.add_argument("--seed", type=int, default=1)
    c = sub.add_parser("check")
    c.add_argument("input")
    c.add_argument("intermediate")
    c.add_argument("--positions", default="all", choices=["all", "final", "penultimate"])
    c.add_argument("--max-per-game", type=int, default=None)
    c.add_argument("--size", type=int, default=None)
    args = p.parse_args()
    generate(args) if args.command == "generate" else check(args)


if __name__ == "__main__":
    main()
