"""Decompressing batch members by their ZIP method. zstandard and lz4 are imported only when a
member needs them, so reading outputs or `none`/`zlib` batches works with numpy alone."""

import zlib

from ._zip import DEFLATE, LZ4, METHOD_NAMES, STORED, ZSTD
from .errors import QuernFormatError


def _require(module, package, codec):
    try:
        return __import__(module, fromlist=["_"])
    except ImportError:
        raise ImportError(
            f"reading {codec} batch files needs the Python package '{package}': "
            f"pip install {package} (or, on Debian/Ubuntu, apt-get install python3-{package}); "
            f"or rewrite the batches with `quern export --codec zlib`") from None


def decompress(member, stored, where):
    """The uncompressed bytes of `member`, whose stored bytes are `stored`."""
    if member.method == STORED:
        return bytes(stored)
    try:
        if member.method == DEFLATE:
            return zlib.decompress(bytes(stored), -15)
        if member.method == ZSTD:
            zstandard = _require("zstandard", "zstandard", "zstd")
            return zstandard.ZstdDecompressor().decompress(bytes(stored), max_output_size=member.uncompressed_size)
        if member.method == LZ4:
            frame = _require("lz4.frame", "lz4", "lz4")
            return frame.decompress(bytes(stored))
    except ImportError:
        raise
    except Exception as e:  # each library raises its own type for damaged input
        raise QuernFormatError(f"{where}: member {member.name} ({METHOD_NAMES[member.method]}) does not decompress: {e}") from None
    raise QuernFormatError(f"{where}: member {member.name} uses ZIP method {member.method}, which is not a codec quern writes")
