"""Fixtures: real files written by the real `quern` binary (QUERN_BIN, set by `make test`)."""

import os
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
# The package under test is this checkout's, installed or not.
sys.path.insert(0, os.path.dirname(HERE))

CONFIG = os.path.join(REPO, "docs", "examples", "games.yaml")


@pytest.fixture(scope="session")
def quern_bin():
    path = os.environ.get("QUERN_BIN")
    if not path or not os.access(path, os.X_OK):
        pytest.fail(f"QUERN_BIN={path!r} is not an executable quern: build it (swift build) and set QUERN_BIN, as `make test` does")
    return path


def run_quern(quern_bin, *args, cwd):
    r = subprocess.run([quern_bin, *args], cwd=cwd, capture_output=True, text=True)
    assert r.returncode == 0, f"quern {' '.join(args)} exited {r.returncode}:\n{r.stderr}"
    return r


@pytest.fixture(scope="session")
def workspace(quern_bin, tmp_path_factory):
    """Six generated game files, extracted three times (codecs none, zstd, lz4; two files per
    batch and 30 rows per part, so batches have two parts) and run once into outputs."""
    root = tmp_path_factory.mktemp("quern")
    run_quern(quern_bin, "generate", "--files", "6", "--rows", "20", "--seed", "3", "--out", "in", cwd=root)
    for codec in ("none", "zstd", "lz4"):
        run_quern(quern_bin, "extract", "--config", CONFIG, "--input-dir", "in", "--intermediate-dir", f"mid_{codec}",
                  "--codec", codec, "--files-per-batch", "2", "--rows-per-batch", "30", "--log-dir", "logs", cwd=root)
    run_quern(quern_bin, "run", "--config", CONFIG, "--input-dir", "in", "--intermediate-dir", "mid_run",
              "--output-dir", "out", "--log-dir", "logs", cwd=root)
    return root
