#!/usr/bin/env python3
"""Generate `games/wide`: the `games` workload (../shared/bench/WORKLOAD.md) with wide rows.

    gen_wide.py --files N --rows R --columns C --seed S --out DIR

The game team's real rows carry about 1,400 features, not 40: this writes DIR/game_000000.csv
... with the columns of `games` (game_id, turn, current_player, num_players, then the features,
then phase, action_type, color, action, legal) but C float columns named f0000, f0001, ...
(default 1,400), so the same Quern config (`numeric: ["f*", turn]`) reads both shapes and the
peers only need the wider feature list (bench/peers/run_peer.py --wide C).

Deterministic: the same arguments give byte-identical files, and a file's bytes depend only on
(seed, rows, columns, its number), so `--files 600` writes the first 600 files of `--files 2400`.
The values follow gen_games.py: the float columns cycle through a count that grows over the game
(written as an integer), gaussian, exponential and uniform [0, 1) values, at most 6 decimals with
trailing zeros dropped (engineered features print more digits than raw ones), 2% of the cells
empty. Cells are laid out in fixed-width byte slots
padded with NUL bytes, then the NULs are dropped (numpy, a few seconds for 600 files).
"""
import argparse
import os

import numpy as np

PHASES = ["early", "mid", "late"]
ACTION_TYPES = ["take3", "take2", "reserve", "buy", "pass"]
COLORS = ["white", "blue", "green", "red", "black", "gold"]
N_ACTIONS = 84
CHUNK = 50  # games drawn together; fixed, so that a file does not depend on --files
ACTION_WEIGHTS = (np.arange(N_ACTIONS) + 1.0) ** -0.8
ACTION_WEIGHTS /= ACTION_WEIGHTS.sum()


def header(columns):
    return (["game_id", "turn", "current_player", "num_players"] + [f"f{i:04d}" for i in range(columns)]
            + ["phase", "action_type", "color", "action", "legal"])


def words(values):
    """Strings -> [k, width] uint8, NUL-padded."""
    return np.array([v.encode() for v in values], dtype="S").view(np.uint8).reshape(len(values), -1)


def digits(v, width):
    """Non-negative ints (any shape) -> [..., width] ASCII digits, leading zeros blanked to NUL."""
    p = 10 ** np.arange(width - 1, -1, -1, dtype=np.int64)
    out = (v[..., None] // p % 10 + 48).astype(np.uint8)
    out[(v[..., None] < p) & (p > 1)] = 0
    return out


def decimals(x, missing):
    """Floats [n, c] -> [n, c, w] bytes, each cell followed by a comma: sign, integer part, '.',
    up to 6 decimals without trailing zeros (an integral value has no '.'); a missing cell is
    only its comma."""
    q = np.rint(np.abs(x) * 1e6).astype(np.int64)
    whole, frac = q // 1000000, q % 1000000
    sign = np.where((x < 0) & (q > 0), ord("-"), 0).astype(np.uint8)[..., None]
    dot = np.where(frac > 0, ord("."), 0).astype(np.uint8)[..., None]
    p = np.array([100000, 10000, 1000, 100, 10, 1])
    dec = (frac[..., None] // p % 10 + 48).astype(np.uint8)
    dec[frac[..., None] % (p * 10) == 0] = 0
    out = np.concatenate([sign, digits(whole, len(str(whole.max())) if whole.size else 1), dot, dec], axis=-1)
    out[missing] = 0
    return np.concatenate([out, np.full(x.shape + (1,), ord(","), np.uint8)], axis=-1)


def games(rng, first, rows, columns):
    """CSV bodies (bytes, no header) of CHUNK games numbered first, first+1, ..."""
    n = CHUNK * rows
    ids = [f"g{first + i:06d}-{h:04x}" for i, h in enumerate(rng.integers(0, 1 << 16, CHUNK))]
    players = rng.choice([2, 3, 4], CHUNK, p=[0.5, 0.25, 0.25]).repeat(rows)
    turn = np.tile(np.arange(rows), CHUNK)
    progress = (turn / max(rows - 1, 1))[:, None]
    scale = rng.uniform(0.5, 3.0, (CHUNK, columns)).repeat(rows, axis=0)
    kind = np.arange(columns) % 4
    x = np.where(kind == 0, np.floor(progress * 10 * scale + rng.random((n, columns)) * 3),
                 np.where(kind == 1, rng.normal(0.0, 1.0, (n, columns)) * scale,
                          np.where(kind == 2, rng.exponential(1.0, (n, columns)) * scale, rng.random((n, columns)))))
    features = decimals(x, rng.random((n, columns)) < 0.02).reshape(n, -1)
    comma, newline = np.full((n, 1), ord(","), np.uint8), np.full((n, 1), ord("\n"), np.uint8)
    phase = np.where(progress[:, 0] < 0.33, 0, np.where(progress[:, 0] < 0.75, 1, 2))
    action = rng.choice(N_ACTIONS, n, p=ACTION_WEIGHTS)
    legal = rng.random((n, N_ACTIONS)) < 0.3
    legal[np.arange(n), action] = True
    head = [words(ids).repeat(rows, axis=0), digits(turn, len(str(max(rows - 1, 0)))),
            digits(turn % players, 1), digits(players, 1)]
    tail = [words(PHASES)[phase], words(ACTION_TYPES)[rng.choice(5, n, p=[0.40, 0.15, 0.15, 0.25, 0.05])],
            words(COLORS)[rng.choice(6, n, p=[0.20, 0.20, 0.20, 0.20, 0.15, 0.05])],
            digits(action, 2), legal.astype(np.uint8) + ord("0")]
    parts = [p for c in head for p in (c, comma)] + [features] + [p for c in tail for p in (c, comma)][:-1]
    table = np.hstack(parts + [newline])
    text = table[table != 0]  # row-major, so rows stay whole and in order
    ends = np.flatnonzero(text == ord("\n"))[rows - 1::rows] + 1
    return [text[s:e].tobytes() for s, e in zip(np.r_[0, ends[:-1]], ends)]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--files", type=int, required=True)
    ap.add_argument("--rows", type=int, default=75)
    ap.add_argument("--columns", type=int, default=1400, help="float feature columns (default 1,400)")
    ap.add_argument("--seed", type=int, default=0, help="a non-negative integer")
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    if a.rows < 1 or a.columns < 1:
        ap.error("--rows and --columns must be at least 1")
    os.makedirs(a.out, exist_ok=True)
    head = (",".join(header(a.columns)) + "\n").encode()
    for c in range(-(-a.files // CHUNK)):
        bodies = games(np.random.default_rng([a.seed, a.columns, c]), c * CHUNK, a.rows, a.columns)
        for n, body in enumerate(bodies, start=c * CHUNK):
            if n < a.files:
                with open(os.path.join(a.out, f"game_{n:06d}.csv"), "wb") as f:
                    f.write(head + body)


if __name__ == "__main__":
    main()
