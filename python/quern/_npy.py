"""The header of an `.npy` array (NumPy format 1.0 to 3.0): its dtype, shape and data offset."""

import ast
import struct

import numpy as np

from .errors import QuernFormatError

MAGIC = b"\x93NUMPY"


def header(data, offset, where):
    """(dtype, shape, data_start) of the `.npy` image at `offset` in `data`; `where` names it in errors."""
    if bytes(data[offset:offset + 6]) != MAGIC or len(data) < offset + 10:
        raise QuernFormatError(f"{where}: not an .npy array (bad magic)")
    major = data[offset + 6]
    if major == 1:
        length, = struct.unpack_from("<H", data, offset + 8)
        start = offset + 10
    elif major in (2, 3) and len(data) >= offset + 12:
        length, = struct.unpack_from("<I", data, offset + 8)
        start = offset + 12
    else:
        raise QuernFormatError(f"{where}: unsupported .npy version {major}")
    if start + length > len(data):
        raise QuernFormatError(f"{where}: the .npy header runs past the end (truncated?)")
    text = bytes(data[start:start + length]).decode("latin-1")
    try:
        d = ast.literal_eval(text)
        dtype = np.dtype(d["descr"])
        shape = tuple(int(s) for s in d["shape"])
        fortran = bool(d["fortran_order"])
    except (ValueError, SyntaxError, KeyError, TypeError) as e:
        raise QuernFormatError(f"{where}: damaged .npy header ({e})") from None
    if fortran:
        raise QuernFormatError(f"{where}: a Fortran-ordered array (quern writes C order only)")
    return dtype, shape, start + length


def array(image, where):
    """The array of a whole `.npy` image (bytes), its length checked against its header."""
    dtype, shape, start = header(image, 0, where)
    need = dtype.itemsize * int(np.prod(shape, dtype=np.int64))
    if len(image) - start != need:
        raise QuernFormatError(f"{where}: data is {len(image) - start} bytes, shape {shape} of {dtype.str} needs {need}")
    return np.frombuffer(image, dtype=dtype, offset=start).reshape(shape)
