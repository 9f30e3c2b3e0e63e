import pickle

import numpy as np
import pytest

import quern


def test_x_labels_and_masks_open_as_memmaps_equal_to_what_numpy_loads(workspace):
    out = quern.open_outputs(workspace / "out")
    assert out.splits == ["train", "val", "test"]
    for split in out.splits:
        x = out.X[split]
        assert isinstance(x, np.memmap) and x.dtype == np.float32
        assert np.array_equal(x, np.load(workspace / "out" / f"X_{split}.npy"))
        labels = np.load(workspace / "out" / f"labels_{split}.npz")
        masks = np.load(workspace / "out" / f"masks_{split}.npz")
        assert sorted(out.labels[split]) == ["action"] and sorted(out.masks[split]) == ["legal"]
        assert isinstance(out.labels[split]["action"], np.memmap)
        assert isinstance(out.masks[split]["legal"], np.memmap)
        assert np.array_equal(out.labels[split]["action"], labels["action"])
        assert np.array_equal(out.masks[split]["legal"], masks["legal"])
        assert len(out.labels[split]["action"]) == len(x) == len(out.masks[split]["legal"])
    assert sum(len(out.X[s]) for s in out.splits) == out.stats["total_samples"]
    assert len(out.feature_names) == out.X["train"].shape[1]


def test_the_memmaps_are_read_only_views_of_the_files(workspace):
    out = quern.open_outputs(workspace / "out")
    a = out.labels["train"]["action"]
    assert a.filename is not None and a.filename.endswith("labels_train.npz")
    with pytest.raises(ValueError):
        a[0] = 1


def test_a_compressed_npz_is_refused_with_the_member_named(tmp_path):
    np.savez_compressed(tmp_path / "labels_train.npz", action=np.arange(5, dtype=np.int32))
    with pytest.raises(quern.QuernFormatError, match="action.npy is compressed"):
        quern.open_npz(tmp_path / "labels_train.npz")


def test_dataset_rows_match_the_outputs(workspace):
    out = quern.open_outputs(workspace / "out")
    ds = quern.QuernDataset(out, "train")
    assert len(ds) == len(out.X["train"]) > 0
    x, labels, masks = ds[len(ds) - 1]
    assert np.array_equal(x, out.X["train"][-1]) and x.flags.writeable
    assert labels["action"] == out.labels["train"]["action"][-1]
    assert np.array_equal(masks["legal"], out.masks["train"]["legal"][-1])
    assert masks["legal"][labels["action"]] == 1  # the mask marks the label as legal
    with pytest.raises(IndexError, match="out of range"):
        ds[len(ds)]
    with pytest.raises(KeyError, match="no split 'dev'"):
        quern.QuernDataset(workspace / "out", "dev")


def test_a_pickled_dataset_carries_its_folder_not_its_arrays(workspace):
    ds = quern.QuernDataset(workspace / "out", "train")
    blob = pickle.dumps(ds)
    assert len(blob) < 1000 < ds.X.nbytes  # the worker maps the files again
    again = pickle.loads(blob)
    assert isinstance(again.X, np.memmap) and len(again) == len(ds)
    assert np.array_equal(again[3][0], ds[3][0])
