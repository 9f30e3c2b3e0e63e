# Writes cells.h5ad, the h5ad format's conformance sample (Tests/PluginTests/BuiltInExamples.swift
# lists what reading it must give). damaged.h5ad is cells.h5ad with the bytes `cmp -l` shows
# changed: libhdf5 (and h5py) crash reading its structure (Tests/IntegrationTests/H5ADBadFileTests).
# Run with Debian's python3-anndata:
#   /usr/bin/python3 Tests/PluginTests/Fixtures/make_cells_h5ad.py Tests/PluginTests/Fixtures/cells.h5ad
import sys
import anndata as ad
import numpy as np
import pandas as pd
import scipy.sparse as sp

X = sp.csr_matrix(np.array([[0, 1.5, 0], [2, 0, 0], [0, 0, 0], [0.25, 3, 4]], dtype=np.float32))
obs = pd.DataFrame(
    {"age": [31, 45, 52, 60], "donor": pd.Categorical(["d1", "d2", "d1", "d2"]), "note": ["a", "b,c", "", "d"]},
    index=["c1", "c2", "c3", "c4"],
)
ad.AnnData(X=X, obs=obs, var=pd.DataFrame(index=["CD3E", "CD4", "ACTB"])).write_h5ad(sys.argv[1])
