import shutil
import struct
import sys
import zlib

import numpy as np
import pytest

import quern
from conftest import run_quern


def parts(folder):
    return sorted(folder.glob("batch_*.npz"), key=lambda p: (p.name[:12], len(p.name), p.name))  # batch, then part


def test_zstd_and_lz4_batches_equal_the_arrays_numpy_reads_from_the_uncompressed_ones(workspace):
    reference = list(quern.iter_batches(workspace / "mid_none"))
    assert len(reference) == 6  # three batches of two parts each
    for codec in ("zstd", "lz4"):
        batches = list(quern.iter_batches(workspace / f"mid_{codec}"))
        assert [b.meta["codec"].split(":")[0] for b in batches] == [codec] * 6
        for ref, got in zip(reference, batches):
            npz = np.load(ref.path)  # numpy's own reader on the codec-none file
            assert sorted(npz.files) == sorted(got.keys())
            for name in npz.files:
                if name == "meta":
                    continue
                assert got[name].dtype == npz[name].dtype, name
                assert np.array_equal(got[name], npz[name]), f"{codec} {got.path} {name}"


def test_lz4_and_zstd_batches_store_the_mask_packed_as_numpy_packbits_little(workspace):
    # docs/formats.md: with lz4 and zstd a mask head is the member maskbits_<head>, uint8
    # [n, ceil(w/8)], numpy.packbits(mask, axis=1, bitorder="little") of the 0/1 mask (format
    # version 2); read_batch gives it back unpacked as mask_<head>.
    plain = quern.read_batch(parts(workspace / "mid_none")[0])
    assert plain.meta["version"] == 1 and plain["mask_legal"].dtype == np.dtype("i1")
    for codec in ("zstd", "lz4"):
        path = parts(workspace / f"mid_{codec}")[0]
        data = path.read_bytes()
        names = [m.name for m in quern._zip.members(data, str(path))]
        assert "maskbits_legal.npy" in names and "mask_legal.npy" not in names, names
        member = next(m for m in quern._zip.members(data, str(path)) if m.name == "maskbits_legal.npy")
        stored = quern._npy.array(quern._codecs.decompress(member, data[member.offset:member.offset + member.compressed_size], str(path)), "maskbits")
        assert stored.dtype == np.uint8 and stored.shape == (plain.meta["rows"], 11)
        assert np.array_equal(stored, np.packbits(plain["mask_legal"].astype(np.uint8), axis=1, bitorder="little"))
        got = quern.read_batch(path)
        assert got.meta["version"] == 2 and "maskbits_legal" not in got
        assert np.array_equal(got["mask_legal"], plain["mask_legal"])


def test_iter_batches_follows_the_journal_batch_then_part(workspace):
    batches = list(quern.iter_batches(workspace / "mid_zstd"))
    order = [(b.meta["batch"], b.meta["part"]) for b in batches]
    assert order == [(0, 0), (0, 1), (1, 0), (1, 1), (2, 0), (2, 1)]
    assert sum(b.meta["rows"] for b in batches) == 120
    assert all(len(b["X"]) == b.meta["rows"] for b in batches)


def test_read_batch_returns_each_array_with_its_documented_dtype(workspace):
    b = quern.read_batch(parts(workspace / "mid_lz4")[0])
    assert b["X"].dtype == np.dtype("<f4") and b["X"].shape == (b.meta["rows"], 62)
    assert b["label_action"].dtype == np.dtype("<i4")
    assert b["mask_legal"].dtype == np.dtype("i1") and b["mask_legal"].shape[1] == 84
    assert b["source_row"].dtype == np.dtype("<i8")
    assert b.meta["format"] == "quern-batch"


def test_a_flipped_byte_in_a_member_fails_its_crc_naming_file_and_member(workspace, tmp_path):
    src = parts(workspace / "mid_none")[0]
    damaged = tmp_path / src.name
    data = bytearray(src.read_bytes())
    entry = next(m for m in quern._zip.members(bytes(data), str(src)) if m.name == "X.npy")
    data[entry.offset + entry.compressed_size - 5] ^= 0x40
    damaged.write_bytes(bytes(data))
    with pytest.raises(quern.ChecksumError) as e:
        quern.read_batch(damaged)
    assert e.value.member == "X.npy" and str(damaged) in str(e.value) and "X.npy" in str(e.value)


def test_a_member_rewritten_with_matching_zip_crcs_fails_the_batch_checksum(workspace, tmp_path):
    src = parts(workspace / "mid_none")[0]
    data = bytearray(src.read_bytes())
    entry = next(m for m in quern._zip.members(bytes(data), str(src)) if m.name == "label_action.npy")
    data[entry.offset + entry.compressed_size - 1] ^= 0x01
    crc = zlib.crc32(bytes(data[entry.offset:entry.offset + entry.compressed_size]))
    # Fix the member's CRC in its local header and in the directory, as a careless rewrite would.
    old = struct.pack("<I", entry.crc32)
    assert data.count(old) == 2
    data = bytearray(bytes(data).replace(old, struct.pack("<I", crc)))
    damaged = tmp_path / src.name
    damaged.write_bytes(bytes(data))
    with pytest.raises(quern.ChecksumError, match="checksum .* differs from the recorded"):
        quern.read_batch(damaged)


def test_iter_batches_refuses_a_file_that_differs_from_its_journal_line(workspace, tmp_path):
    folder = tmp_path / "mid"
    shutil.copytree(workspace / "mid_zstd", folder)
    victim = parts(folder)[2]
    data = bytearray(victim.read_bytes())
    data[len(data) // 2] ^= 0xFF
    victim.write_bytes(bytes(data))
    with pytest.raises(quern.ChecksumError, match=victim.name):
        list(quern.iter_batches(folder))


def test_a_missing_codec_package_is_named_with_how_to_install_it(workspace, monkeypatch):
    monkeypatch.setitem(sys.modules, "zstandard", None)  # import zstandard now raises ImportError
    with pytest.raises(ImportError, match="pip install zstandard"):
        quern.read_batch(parts(workspace / "mid_zstd")[0])
    # none batches and outputs need numpy only
    assert "X" in quern.read_batch(parts(workspace / "mid_none")[0])



def test_export_to_zlib_gives_files_numpy_reads_equal_to_the_zstd_batches(workspace, quern_bin, tmp_path):
    run_quern(quern_bin, "export", str(workspace / "mid_zstd"), "--to", str(tmp_path / "exp"), "--codec", "zlib", cwd=tmp_path)
    exported = list(quern.iter_batches(tmp_path / "exp"))  # the export has its own journal
    originals = list(quern.iter_batches(workspace / "mid_zstd"))
    assert [b.path.rsplit("/", 1)[1] for b in exported] == [
        b.path.rsplit("/", 1)[1] for b in originals]
    for batch, original in zip(exported, originals):
        path = batch.path
        npz = np.load(path)  # numpy reads zlib members by itself
        for name in npz.files:
            if name != "meta":
                assert np.array_equal(npz[name], original[name]), f"{path} {name}"
        assert quern.read_batch(path).meta["codec"].startswith("zlib")
