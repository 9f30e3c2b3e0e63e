"""A map-style dataset over one split of an output folder, for training loops. numpy only: it
imports no framework, and PyTorch's `DataLoader` takes it as it is (README, "Python")."""

import numpy as np

from .outputs import Outputs


class QuernDataset:
    """Rows of one split: `dataset[i]` is `(x, labels, masks)`, `x` a float32 [d] array,
    `labels` a dict head -> int32 scalar (np.int32), `masks` a dict head -> int8 [w] array.

    Each item is a fresh copy of one row, read from the memory-mapped files, so a loop over a
    split larger than memory works and the arrays handed out are writable.
    """

    def __init__(self, outputs, split="train"):
        self.outputs = outputs if isinstance(outputs, Outputs) else Outputs(outputs)
        if split not in self.outputs.splits:
            raise KeyError(f"{self.outputs.folder}: no split {split!r}; it has {', '.join(self.outputs.splits)}")
        self.split = split
        self.X = self.outputs.X[split]
        self.labels = self.outputs.labels[split]
        self.masks = self.outputs.masks[split]

    # A DataLoader with workers pickles the dataset into each of them; a pickled np.memmap
    # carries a copy of its whole array, so only the folder and split travel, and each worker
    # maps the files again.
    def __getstate__(self):
        return {"folder": self.outputs.folder, "split": self.split}

    def __setstate__(self, state):
        self.__init__(state["folder"], state["split"])

    def __len__(self):
        return len(self.X)

    def __getitem__(self, i):
        n = len(self.X)
        i = int(i)
        if not -n <= i < n:
            raise IndexError(f"row {i} is out of range: split {self.split!r} has {n} rows")
        x = np.array(self.X[i])
        labels = {h: np.int32(a[i]) for h, a in self.labels.items()}
        masks = {h: np.array(a[i]) for h, a in self.masks.items()}
        return x, labels, masks
