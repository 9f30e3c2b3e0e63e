"""Reading Quern's batch files (docs/formats.md, "Batch files") and walking an intermediate folder."""

# File names here (batch_NNNNNN[.PPP].npz, journal*.jsonl, plan.jsonl, ...) are the ones Quern writes;
# their one owner on the Swift side is Sources/QuernCore/Stages/IntermediateFolderLayout.swift: change both.

import glob
import json
import os
import struct
import zlib

import numpy as np

from . import _npy, _zip
from ._codecs import decompress
from .errors import ChecksumError, QuernFormatError


class Batch(dict):
    """The arrays of one batch file by name (`X`, `label_<head>`, `mask_<head>`, `array_<name>` for
    an extractor's output arrays, `group_index`, `groups`, `source_index`, `source_row`, `sources`,
    `meta`, and `results` from an extractor that makes results), as `numpy.load` would name them;
    a mask head stored packed (`maskbits_<head>`, with the lz4 and zstd codecs) is given unpacked,
    as `mask_<head>` (int8 0/1).

    `meta` is also parsed: `batch.meta` is the JSON dict (rows, schema, fingerprint, codec...);
    `batch.path` is the file it was read from.
    """

    def __init__(self, arrays, path, meta):
        super().__init__(arrays)
        self.path = path
        self.meta = meta


def read_batch(path, expected=None):
    """Reads the batch file at `path`, of any codec Quern writes, and returns a `Batch` (a dict of
    arrays by name).

    Every member is checked against its ZIP CRC-32 and the whole against the batch's chained
    checksum in `meta`; a mismatch raises `ChecksumError` naming the file and the member.
    `expected`, when given, is a journal part (a dict with `bytes` and `crc32`): the file's size
    and CRC-32 are checked against it first.
    """
    path = os.fspath(path)
    with open(path, "rb") as f:
        data = f.read()
    if expected is not None:
        if len(data) != expected["bytes"]:
            raise ChecksumError(path, None, f"{path}: it is {len(data)} bytes, the journal recorded {expected['bytes']} (cut short, or replaced)")
        crc = f"{zlib.crc32(data):08x}"
        if crc != expected["crc32"]:
            raise ChecksumError(path, None, f"{path}: its CRC-32 {crc} differs from the journal's {expected['crc32']} (changed or damaged after it was written)")
    arrays = {}
    chained = bytearray()
    for m in _zip.members(data, path):
        if not m.name.endswith(".npy"):
            raise QuernFormatError(f"{path}: unexpected member {m.name} (not an .npy array)")
        key = m.name[:-4]
        if key in arrays:
            raise QuernFormatError(f"{path}: member {m.name} appears twice")
        image = decompress(m, data[m.offset:m.offset + m.compressed_size], path)
        if len(image) != m.uncompressed_size or zlib.crc32(image) != m.crc32:
            raise ChecksumError(path, m.name, f"{path}: member {m.name} fails its CRC-32 check (the file is damaged; `quern extract` redoes the batch)")
        arrays[key] = _npy.array(image, f"{path}: member {m.name}")
        if key != "meta":
            chained += struct.pack("<I", m.crc32)
    if "meta" not in arrays:
        raise QuernFormatError(f"{path}: no meta member (not a batch file quern wrote)")
    try:
        meta = json.loads(arrays["meta"].tobytes())
    except ValueError:
        raise QuernFormatError(f"{path}: its meta member is not JSON") from None
    checksum = f"{zlib.crc32(bytes(chained)):08x}"
    if checksum != meta.get("checksum"):
        raise ChecksumError(path, None, f"{path}: checksum {checksum} differs from the recorded {meta.get('checksum')} (a member was replaced)")
    return Batch(_unpacked_masks(arrays, meta, path), path, meta)


def _unpacked_masks(arrays, meta, path):
    """`arrays` with each mask head stored packed (`maskbits_<head>`: eight values to a byte, lowest
    bit first, the format's version 2) given as `mask_<head>`, int8 0/1 [n, width], in its place."""
    widths = {m["name"]: int(m["width"]) for m in meta.get("schema", {}).get("masks", [])}
    out = {}
    for key, value in arrays.items():
        name = key[len("maskbits_"):] if key.startswith("maskbits_") else None
        if name is None or name not in widths:
            out[key] = value
            continue
        width = widths[name]
        if f"mask_{name}" in arrays:
            raise QuernFormatError(f"{path}: mask head {name} is stored twice (mask_ and maskbits_)")
        if value.dtype != np.uint8 or value.ndim != 2 or value.shape[1] != (width + 7) // 8:
            raise QuernFormatError(f"{path}: member {key} has dtype {value.dtype} and shape {value.shape}, expected uint8 [n, {(width + 7) // 8}]")
        bits = np.unpackbits(value, axis=1, bitorder="little")
        if bits[:, width:].any():
            raise QuernFormatError(f"{path}: member {key}: a bit past the mask's width {width} is set")
        out[f"mask_{name}"] = np.ascontiguousarray(bits[:, :width]).view(np.int8)
    return out


def journal(folder):
    """The journal of an intermediate folder: the latest entry per batch number (a dict), from
    `journal.jsonl` and every shard's `journal.shard-K-of-N.jsonl`. A torn last line (a crash
    while appending) is ignored, as quern ignores it."""
    entries = {}
    for name in sorted(glob.glob(os.path.join(glob.escape(os.fspath(folder)), "journal*.jsonl"))):
        with open(name, "rb") as f:
            text = f.read()
        for number, line in enumerate(text.split(b"\n")[:-1], start=1):
            if not line.strip():
                continue
            try:
                e = json.loads(line)
                entries[int(e["batch"])] = e
            except (ValueError, KeyError, TypeError):
                raise QuernFormatError(f"{name}:{number}: not a journal entry; `quern verify --intermediate-dir` says more") from None
    return entries


def iter_batches(folder, verify=True):
    """Yields every batch file of the intermediate `folder` as a `Batch`, in journal order: by
    batch number, then part, as a merge reads them. With `verify` (the default), each file's size
    and CRC-32 are checked against its journal line as well."""
    folder = os.fspath(folder)
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"{folder}: no such folder (give the intermediate folder, paths.intermediate)")
    entries = journal(folder)
    if not entries and not glob.glob(os.path.join(glob.escape(folder), "batch_*.npz")):
        raise QuernFormatError(f"{folder}: no journal and no batch files: not an intermediate folder quern wrote")
    for number in sorted(entries):
        for part in entries[number]["parts"]:
            if not str(part["file"]).startswith("batch_") or "/" in part["file"] or os.sep in part["file"]:
                raise QuernFormatError(f"{folder}: the journal names {part['file']!r} as a part of batch {number}, not a batch file name")
            path = os.path.join(folder, part["file"])
            if not os.path.exists(path):
                raise FileNotFoundError(f"{path}: listed in the journal but missing (deleted by --cleanup?): run `quern extract` to make it again")
            yield read_batch(path, expected=part if verify else None)
