"""quern.normalize against `quern transform`: the Python normalization of the raw rows equals the
X.npy that quern writes for the same files, bit for bit, for a batch and for single rows."""

import os
import shutil
import subprocess

import numpy as np
import pytest

import quern.normalize

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def quern_binary():
    for candidate in (os.environ.get("QUERN_BIN"), os.path.join(REPO, ".build", "debug", "quern"), shutil.which("quern")):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    pytest.skip("no quern binary: build it (swift build) or set QUERN_BIN")


def run_quern(cwd, *args):
    r = subprocess.run([quern_binary(), *args], cwd=cwd, capture_output=True, text=True)
    assert r.returncode == 0, f"quern {' '.join(args)}: {r.stderr}"
    return r


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """A run on generated files: raw rows (normalize none) and a standard and a minmax run, each
    transformed back over the same files."""
    d = tmp_path_factory.mktemp("quern-normalize")
    run_quern(d, "generate", "--files", "8", "--rows", "25", "--out", str(d / "in"))
    config = os.path.join(REPO, "docs", "examples", "games.yaml")
    run_quern(d, "extract", "--config", config, "--input-dir", "in", "-q")
    run_quern(d, "merge", "--config", config, "--split", "1,0,0", "--normalize", "none", "--output-dir", "raw", "-q")
    for method in ("standard", "minmax"):
        run_quern(d, "merge", "--config", config, "--normalize", method, "--output-dir", method, "-q")
        run_quern(d, "transform", method, "--input-dir", "in", "--output-dir", f"tx-{method}", "-q")
    return d


@pytest.mark.parametrize("method", ["standard", "minmax"])
def test_batch_equals_quern_transform_bit_for_bit(run, method):
    norm = quern.normalize.load(str(run / method))
    assert norm.method == method and norm.input_dim == 62 and 0 < norm.columns.size < 62
    raw = np.load(run / "raw" / "X_train.npy")
    want = np.load(run / f"tx-{method}" / "X.npy")
    got = norm.apply(raw)
    assert got.dtype == np.float32 and got.shape == want.shape
    assert got.tobytes() == want.tobytes()
    # The input is not changed in place.
    assert raw.tobytes() == np.load(run / "raw" / "X_train.npy").tobytes()


def test_single_rows_and_other_dtypes_give_the_same_values(run):
    norm = quern.normalize.load(str(run / "standard" / "transform.json"))
    raw = np.load(run / "raw" / "X_train.npy")
    want = np.load(run / "tx-standard" / "X.npy")
    for i in (0, 7, len(raw) - 1):
        assert norm.apply(raw[i]).tobytes() == want[i].tobytes()
        assert norm.apply(raw[i].astype(np.float64).tolist()).tobytes() == want[i].tobytes()
    back = norm.inverse(want)
    assert np.allclose(back, raw, rtol=1e-5, atol=1e-4)


def test_wrong_width_and_missing_file_are_explained(run, tmp_path):
    norm = quern.normalize.load(str(run / "standard"))
    with pytest.raises(ValueError, match="62 features"):
        norm.apply(np.zeros((3, 61), dtype=np.float32))
    with pytest.raises(FileNotFoundError, match="quern merge"):
        quern.normalize.load(str(tmp_path))
