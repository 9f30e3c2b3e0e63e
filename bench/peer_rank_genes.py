#!/usr/bin/env python3
"""The Python peer of Quern's `rank_genes` on an .h5ad: anndata in backed mode (the matrix read a
block of cells at a time, never whole), numpy per cell. Same computation as docs/single-cell.md:
value = count / cell total * TARGET (float64, the total added in gene order), genes above 0
ranked by value descending then gene id ascending, the first TOP ids, padded with -1. Writes the
tokens as int32 [cells, TOP] to OUT.npy a block at a time (plain writes: a memmap's dirty pages
would count in the peak RSS as the file grows, which Quern's writes do not).

    peer_rank_genes.py IN.h5ad OUT.npy [--top 2000] [--target 10000] [--block 10000]
"""
import argparse

import anndata
import numpy as np


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("input")
    ap.add_argument("out")
    ap.add_argument("--top", type=int, default=2000)
    ap.add_argument("--target", type=float, default=10000)
    ap.add_argument("--block", type=int, default=10000)
    a = ap.parse_args()
    adata = anndata.read_h5ad(a.input, backed="r")
    n = adata.n_obs
    out = open(a.out, "wb")
    np.lib.format.write_array_header_1_0(
        out, {"descr": np.lib.format.dtype_to_descr(np.dtype(np.int32)), "fortran_order": False, "shape": (n, a.top)})
    for start in range(0, n, a.block):
        m = adata.X[start:min(n, start + a.block)]  # scipy CSR of this block only
        m.sort_indices()
        tokens = np.full((m.shape[0], a.top), -1, dtype=np.int32)
        for i in range(m.shape[0]):
            lo, hi = m.indptr[i], m.indptr[i + 1]
            x = m.data[lo:hi].astype(np.float64)
            ids = m.indices[lo:hi]
            total = np.cumsum(x)[-1] if hi > lo else 0.0
            keep = x > 0
            ids, v = ids[keep], x[keep] / total * a.target
            order = ids[np.lexsort((ids, -v))][: a.top]
            tokens[i, : len(order)] = order
        out.write(tokens.tobytes())
    out.close()
    print(f"{a.out}: {n} cells")


if __name__ == "__main__":
    main()
