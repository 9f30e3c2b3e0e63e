#!/bin/sh
# Fetches the real single-cell file the end-to-end test reads (Tests/IntegrationTests/
# ScanpyDatasetTests.swift): scanpy's datasets/10x_pbmc68k_reduced.h5ad (700 cells x 765 genes,
# 10x Genomics PBMC data, as scanpy ships it in its wheel), into DIR (default data/test-data).
# `pip download` only fetches the wheel from PyPI (nothing is installed, so Debian's "externally
# managed" Python is fine); the file is taken out of it with Python's zipfile and checked by
# its SHA-256. Does nothing when the checked file is already there.
set -eu
DIR=${1:-data/test-data}
PY=${TEST_PYTHON:-/usr/bin/python3}
VERSION=1.10.3
NAME=10x_pbmc68k_reduced.h5ad
SHA256=e71d41e737c941559b7c57c9243bdb3d2c889c2adfdf00e3422ac6b46783676f

check() { [ -f "$DIR/$NAME" ] && echo "$SHA256  $DIR/$NAME" | sha256sum -c --status; }
check && exit 0
mkdir -p "$DIR/wheel"
"$PY" -m pip download --quiet --no-deps --only-binary=:all: --dest "$DIR/wheel" "scanpy==$VERSION"
"$PY" - "$DIR/wheel/scanpy-$VERSION-py3-none-any.whl" "$DIR/$NAME" <<'PYTHON'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z, open(sys.argv[2], "wb") as out:
    out.write(z.read("scanpy/datasets/10x_pbmc68k_reduced.h5ad"))
PYTHON
rm -rf "$DIR/wheel"
check || { echo "fetch-test-data: $DIR/$NAME does not have the expected SHA-256 ($SHA256)" >&2; exit 1; }
echo "fetched $DIR/$NAME (scanpy $VERSION)"
