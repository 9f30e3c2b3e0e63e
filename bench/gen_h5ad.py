#!/usr/bin/env python3
"""Writes a sparse (CSR) .h5ad of random counts in chunks, so memory stays bounded whatever the
size: CELLS x GENES at DENSITY, integer counts 1..30 stored as float32 (many ties), obs `donor`
(categorical, 200 donors) and `age` (categorical), var names GENE00000..., in anndata 0.8's layout
(anndata reads it back; h5py writes it).

    gen_h5ad.py OUT.h5ad --cells 200000 --genes 20000 --density 0.05 [--seed 1]
"""
import argparse

import h5py
import numpy as np

CHUNK = 2000


def string_array(group, name, values):
    d = group.create_dataset(name, data=np.array(values, dtype=object), dtype=h5py.string_dtype())
    d.attrs["encoding-type"] = "string-array"
    d.attrs["encoding-version"] = "0.2.0"


def categorical(group, name, codes, categories):
    g = group.create_group(name)
    g.attrs["encoding-type"] = "categorical"
    g.attrs["encoding-version"] = "0.2.0"
    g.attrs["ordered"] = False
    g.create_dataset("codes", data=codes)
    string_array(g, "categories", categories)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out")
    ap.add_argument("--cells", type=int, default=200_000)
    ap.add_argument("--genes", type=int, default=20_000)
    ap.add_argument("--density", type=float, default=0.05)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    rng = np.random.default_rng(a.seed)
    with h5py.File(a.out, "w") as f:
        f.attrs["encoding-type"] = "anndata"
        f.attrs["encoding-version"] = "0.1.0"
        x = f.create_group("X")
        x.attrs["encoding-type"] = "csr_matrix"
        x.attrs["encoding-version"] = "0.1.0"
        x.attrs["shape"] = (a.cells, a.genes)
        data = x.create_dataset("data", shape=(0,), maxshape=(None,), dtype=np.float32, chunks=(1 << 20,))
        indices = x.create_dataset("indices", shape=(0,), maxshape=(None,), dtype=np.int32, chunks=(1 << 20,))
        indptr = np.zeros(a.cells + 1, dtype=np.int64)
        nnz = 0
        for start in range(0, a.cells, CHUNK):
            n = min(CHUNK, a.cells - start)
            mask = rng.random((n, a.genes), dtype=np.float32) < a.density
            rows, cols = np.nonzero(mask)  # row-major: each row's columns ascending
            del mask
            vals = rng.integers(1, 31, size=len(cols)).astype(np.float32)
            data.resize((nnz + len(cols),))
            indices.resize((nnz + len(cols),))
            data[nnz:] = vals
            indices[nnz:] = cols.astype(np.int32)
            counts = np.bincount(rows, minlength=n)
            indptr[start + 1:start + n + 1] = nnz + np.cumsum(counts)
            nnz += len(cols)
        x.create_dataset("indptr", data=indptr)
        obs = f.create_group("obs")
        obs.attrs["encoding-type"] = "dataframe"
        obs.attrs["encoding-version"] = "0.2.0"
        obs.attrs["_index"] = "_index"
        obs.attrs["column-order"] = np.array(["donor", "age"], dtype=object).astype(h5py.string_dtype())
        string_array(obs, "_index", [f"cell{i}" for i in range(a.cells)])
        categorical(obs, "donor", (np.arange(a.cells) % 200).astype(np.int16), [f"donor{k}" for k in range(200)])
        categorical(obs, "age", (np.arange(a.cells) % 3).astype(np.int8), ["3m", "18m", "24m"])
        var = f.create_group("var")
        var.attrs["encoding-type"] = "dataframe"
        var.attrs["encoding-version"] = "0.2.0"
        var.attrs["_index"] = "_index"
        var.attrs["column-order"] = np.array([], dtype=object).astype(h5py.string_dtype())
        string_array(var, "_index", [f"GENE{j:05d}" for j in range(a.genes)])
        for empty in ("obsm", "varm", "obsp", "varp", "layers", "uns"):
            g = f.create_group(empty)
            g.attrs["encoding-type"] = "dict"
            g.attrs["encoding-version"] = "0.1.0"
    print(f"{a.out}: {a.cells} cells x {a.genes} genes, {nnz} non-zero values")


if __name__ == "__main__":
    main()
