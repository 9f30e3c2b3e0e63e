"""The ZIP container of Quern's batch files and `.npz` outputs (docs/formats.md, "Batch files").

Quern writes plain ZIP files (no ZIP64, no data descriptors), so reading the central directory and
each member's local header is enough. Every offset and size is checked against the file, so a cut
or damaged file raises a `QuernFormatError` naming it instead of reading past its end.
"""

import struct
from dataclasses import dataclass

from .errors import QuernFormatError

STORED, DEFLATE, ZSTD, LZ4 = 0, 8, 93, 0x4C34
METHOD_NAMES = {STORED: "none", DEFLATE: "zlib", ZSTD: "zstd", LZ4: "lz4"}


@dataclass(frozen=True)
class Member:
    """One member: its name, ZIP method, recorded CRC-32, and where its (compressed) bytes are."""

    name: str
    method: int
    crc32: int
    offset: int
    compressed_size: int
    uncompressed_size: int


def members(data, path):
    """The members of the ZIP file held in `data` (bytes or a memory map), in directory order."""
    size = len(data)

    def bad(why):
        return QuernFormatError(f"{path}: {why}")

    if size < 22:
        raise bad(f"{size} bytes is too short for a ZIP file (truncated or empty)")
    eocd = -1
    for i in range(size - 22, max(0, size - 22 - 65535) - 1, -1):
        if data[i:i + 4] == b"PK\x05\x06":
            eocd = i
            break
    if eocd < 0:
        raise bad("no ZIP end record (truncated, or not a file quern wrote)")
    count, cd_size, cd_offset = struct.unpack_from("<HII", data, eocd + 10)
    if cd_offset + cd_size > eocd:
        raise bad("the ZIP directory points past its end (truncated?)")
    out = []
    p = cd_offset
    for _ in range(count):
        if p + 46 > eocd or data[p:p + 4] != b"PK\x01\x02":
            raise bad("damaged ZIP directory entry")
        method, = struct.unpack_from("<H", data, p + 10)
        crc, csize, usize, n, m, k = struct.unpack_from("<IIIHHH", data, p + 16)
        local, = struct.unpack_from("<I", data, p + 42)
        name = bytes(data[p + 46:p + 46 + n]).decode("utf-8", "replace")
        p += 46 + n + m + k
        if local + 30 > cd_offset or data[local:local + 4] != b"PK\x03\x04":
            raise bad(f"member {name}: damaged local header")
        ln, lm = struct.unpack_from("<HH", data, local + 26)
        start = local + 30 + ln + lm
        if start + csize > cd_offset:
            raise bad(f"member {name} runs past the end of the data (truncated?)")
        out.append(Member(name, method, crc, start, csize, usize))
    return out
