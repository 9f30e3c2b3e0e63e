"""The normalization a quern run fitted on its train rows, for serving code (numpy only).

A run's output folder holds ``transform.json`` (written by ``quern merge``): the schema and, per
normalized feature, the shift and scale that ``quern merge`` and ``quern transform`` apply::

    x' = float32((float64(x) - shift) * (1 / scale))

Features the extractor does not normalize (one-hot, hashed) pass through unchanged. Applied to the
float32 rows quern extracts, the result equals quern's own arrays bit for bit, so serving code
needs no quern binary::

    import quern
    norm = quern.normalize.load("data/processed")
    x = norm.apply(raw_features)          # one row (d,) or a batch (n, d), in X's column order

The format of ``transform.json`` is in docs/formats.md.
"""

import json
import os

import numpy as np

__all__ = ["Normalization", "load"]

# The one owner of output file names on the Swift side: Sources/QuernCore/Storage/OutputFolderLayout.swift.
FILE_NAME = "transform.json"


class Normalization:
    """A fitted normalization: which columns of X, and their shift and scale."""

    def __init__(self, spec, source="transform.json"):
        if spec.get("format") != "quern-transform" or spec.get("version") != 1:
            raise ValueError(f"{source} is not a quern transform file of version 1 (format {spec.get('format')!r}, version {spec.get('version')!r})")
        schema = spec["schema"]
        norm = spec["normalization"]
        self.source = source
        self.fingerprint = spec["fingerprint"]
        self.method = norm["method"]
        self.feature_names = [f["name"] for f in schema["features"]]
        self.input_dim = int(spec["input_dim"])
        if self.input_dim != len(self.feature_names):
            raise ValueError(f"{source}: input_dim {self.input_dim} but the schema has {len(self.feature_names)} features")
        features = norm["features"]
        self.names = [f["name"] for f in features]
        self.columns = np.array([int(f["column"]) for f in features], dtype=np.int64)
        self.shift = np.array([float(f["shift"]) for f in features], dtype=np.float64)
        self.scale = np.array([float(f["scale"]) for f in features], dtype=np.float64)
        if np.any((self.columns < 0) | (self.columns >= self.input_dim)):
            raise ValueError(f"{source}: a normalized feature's column is outside 0..{self.input_dim - 1}")
        # The reciprocal once, as quern computes it: multiplying by it is what quern does.
        self._inverse = 1.0 / self.scale

    def _check(self, x):
        x = np.asarray(x)
        if x.ndim not in (1, 2) or x.shape[-1] != self.input_dim:
            raise ValueError(
                f"expected one row of {self.input_dim} features or a batch of shape (n, {self.input_dim}) "
                f"({', '.join(self.feature_names[:5])}{', ...' if self.input_dim > 5 else ''}), got shape {x.shape}")
        return x

    def apply(self, x):
        """Normalizes one row (shape ``(d,)``) or a batch (``(n, d)``); returns a new float32 array.

        ``x`` is converted to float32 first, as quern holds features, so the result is what quern
        writes into X for the same values."""
        x = self._check(x)
        out = np.array(x, dtype=np.float32, copy=True)
        if self.method == "none" or self.columns.size == 0:
            return out
        cols = out[..., self.columns].astype(np.float64)
        out[..., self.columns] = ((cols - self.shift) * self._inverse).astype(np.float32)
        return out

    def inverse(self, x):
        """Undoes :meth:`apply` (up to float32 rounding): raw feature values back from normalized ones."""
        x = self._check(x)
        out = np.array(x, dtype=np.float32, copy=True)
        if self.method == "none" or self.columns.size == 0:
            return out
        cols = out[..., self.columns].astype(np.float64)
        out[..., self.columns] = (cols * self.scale + self.shift).astype(np.float32)
        return out

    def __repr__(self):
        return f"Normalization({self.method}, {self.columns.size} of {self.input_dim} features, fingerprint {self.fingerprint})"


def load(folder):
    """The normalization fitted by the run whose output folder is ``folder`` (or the path of its
    ``transform.json``)."""
    path = folder if os.path.isfile(folder) else os.path.join(folder, FILE_NAME)
    if not os.path.exists(path):
        raise FileNotFoundError(
            f"{path} does not exist: the outputs were made by a quern older than transform.json "
            "(or the folder is not a run's output folder). Run `quern merge` again, then load it.")
    with open(path, encoding="utf-8") as f:
        spec = json.load(f)
    return Normalization(spec, source=path)
