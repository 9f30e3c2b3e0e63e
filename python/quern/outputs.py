"""An output folder of Quern (docs/formats.md, "Outputs") as memory-mapped arrays.

`numpy.load` ignores `mmap_mode` for `.npz` files and reads them whole. Quern stores the members
of `labels_<split>.npz` and `masks_<split>.npz` uncompressed (ZIP method 0), so each array is a
plain `.npy` image at an offset in its file: mapping it there gives an `np.memmap` that reads
only the rows a loop touches.
"""

# File names here (X_<split>.npy, labels_<split>.npz, masks_<split>.npz, <array>_<split>.npy, preprocessing_stats.json, ...) are the
# ones Quern writes; their one owner on the Swift side is Sources/QuernCore/Storage/OutputFolderLayout.swift:
# change both.

import json
import mmap
import os

import numpy as np

from . import _npy, _zip
from .errors import QuernFormatError

SPLITS = ("train", "val", "test")


def _memmap(path, dtype, shape, offset):
    if int(np.prod(shape, dtype=np.int64)) == 0:
        # mmap cannot map zero bytes; an empty split is still an np.memmap of the right shape.
        return np.empty(shape, dtype=dtype).view(np.memmap)
    return np.memmap(path, dtype=dtype, mode="r", offset=offset, shape=shape, order="C")


def open_npy(path):
    """An `.npy` file as a read-only `np.memmap`."""
    path = os.fspath(path)
    with open(path, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as data:
        dtype, shape, start = _npy.header(data, 0, path)
        size = len(data)
    need = start + dtype.itemsize * int(np.prod(shape, dtype=np.int64))
    if need > size:
        raise QuernFormatError(f"{path}: {size} bytes, its header needs {need} (truncated?)")
    return _memmap(path, dtype, shape, start)


def open_npz(path):
    """The arrays of an uncompressed `.npz` file, by name, each a read-only `np.memmap` at its
    offset in the file. A compressed member raises: it has no bytes to map."""
    path = os.fspath(path)
    out = {}
    with open(path, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as data:
        for m in _zip.members(data, path):
            where = f"{path}: member {m.name}"
            if m.method != _zip.STORED:
                raise QuernFormatError(f"{where} is compressed (ZIP method {m.method}), so it cannot be memory-mapped; load it with numpy.load")
            dtype, shape, start = _npy.header(data, m.offset, where)
            need = dtype.itemsize * int(np.prod(shape, dtype=np.int64))
            if start + need > m.offset + m.compressed_size:
                raise QuernFormatError(f"{where}: its header claims more data than the member holds (damaged)")
            out[m.name[:-4] if m.name.endswith(".npy") else m.name] = (dtype, shape, start)
    return {k: _memmap(path, *v) for k, v in out.items()}


class Outputs:
    """An output folder opened: per split, `X[split]` (float32 [n, d]), `labels[split][head]`
    (int32 [n]), `masks[split][head]` (int8 [n, w]) and `arrays[split][name]` (the extractor's
    output arrays, `<name>_<split>.npy`, e.g. rank_genes' int32 [n, top_genes] `tokens`), all
    `np.memmap`, rows aligned with X; `stats` is `preprocessing_stats.json` (feature names,
    normalization, class counts, the arrays' dtypes and widths...)."""

    def __init__(self, folder):
        self.folder = os.fspath(folder)
        if not os.path.isdir(self.folder):
            raise FileNotFoundError(f"{self.folder}: no such folder (give the output folder, paths.output)")
        self.splits = [s for s in SPLITS if os.path.exists(os.path.join(self.folder, f"X_{s}.npy"))]
        if not self.splits:
            raise QuernFormatError(f"{self.folder}: no X_train.npy, X_val.npy or X_test.npy: not an output folder quern wrote")
        self.X, self.labels, self.masks = {}, {}, {}
        for s in self.splits:
            self.X[s] = open_npy(os.path.join(self.folder, f"X_{s}.npy"))
            for kind, target in (("labels", self.labels), ("masks", self.masks)):
                p = os.path.join(self.folder, f"{kind}_{s}.npz")
                target[s] = open_npz(p) if os.path.exists(p) else {}
        stats = os.path.join(self.folder, "preprocessing_stats.json")
        self.stats = None
        if os.path.exists(stats):
            with open(stats, encoding="utf-8") as f:
                self.stats = json.load(f)
        self.arrays = {s: {} for s in self.splits}
        for spec in (self.stats or {}).get("arrays", []):
            name = spec["name"]
            for s in self.splits:
                a = open_npy(os.path.join(self.folder, f"{name}_{s}.npy"))
                if a.shape != (len(self.X[s]), spec["width"]):
                    raise QuernFormatError(
                        f"{self.folder}: {name}_{s}.npy has shape {a.shape}, expected ({len(self.X[s])}, {spec['width']}) to match X_{s}.npy")
                self.arrays[s][name] = a

    @property
    def feature_names(self):
        """The names of X's columns, in order (from preprocessing_stats.json)."""
        return list(self.stats["feature_names"]) if self.stats else None

    def __repr__(self):
        rows = ", ".join(f"{s}={len(self.X[s])}" for s in self.splits)
        return f"Outputs({self.folder!r}: {rows})"


def open_outputs(folder):
    """Opens the output folder `folder` (paths.output) as memory-mapped arrays; see `Outputs`."""
    return Outputs(folder)
