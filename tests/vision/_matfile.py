"""A writer of MATLAB level-5 MAT-files for the tests, from the format's documentation: the
128-byte header, ``miMATRIX`` elements (array flags, dimensions, name, real part), small
data elements for payloads of up to 4 bytes, ``miCOMPRESSED`` (zlib) elements, either byte
order. Numbers may be stored in a narrower type than their class, as MATLAB does."""
from __future__ import annotations

import struct
import zlib

import numpy as np

MI = {np.dtype("i1"): 1, np.dtype("u1"): 2, np.dtype("i2"): 3, np.dtype("u2"): 4,
      np.dtype("i4"): 5, np.dtype("u4"): 6, np.dtype("f4"): 7, np.dtype("f8"): 9,
      np.dtype("i8"): 12, np.dtype("u8"): 13}
CLASS = {np.dtype("f8"): 6, np.dtype("f4"): 7, np.dtype("i1"): 8, np.dtype("u1"): 9,
         np.dtype("i2"): 10, np.dtype("u2"): 11, np.dtype("i4"): 12, np.dtype("u4"): 13,
         np.dtype("i8"): 14, np.dtype("u8"): 15}


def element(kind: int, data: bytes, order: str, small_ok: bool = True) -> bytes:
    if small_ok and len(data) <= 4:
        return struct.pack(order + "I", (len(data) << 16) | kind) + data.ljust(4, b"\0")
    return struct.pack(order + "II", kind, len(data)) + data + b"\0" * (-len(data) % 8)


def matrix(name: str, array: np.ndarray, order: str = "<", stored=None, cls=None,
           complex_flag: bool = False) -> bytes:
    """One miMATRIX element: ``array`` of MATLAB class ``cls`` (default: its dtype's),
    stored as ``stored`` (default: its dtype)."""
    array = np.asarray(array)
    stored = np.dtype(stored or array.dtype)
    cls = CLASS[np.dtype(array.dtype)] if cls is None else cls
    flags = struct.pack(order + "II", cls | (0x0800 if complex_flag else 0), 0)
    dims = np.array(array.shape, dtype=order + "i4").tobytes()
    real = np.asarray(array, dtype=stored.newbyteorder(order)).ravel(order="F").tobytes()
    body = (element(6, flags, order, False) + element(5, dims, order) +
            element(1, name.encode(), order) + element(MI[stored], real, order))
    return element(14, body, order, False)


def mat_file(variables, order: str = "<", compress: bool = True, header: str = None) -> bytes:
    """A MAT-file of ``variables``: a dict of arrays, or (name, array, stored) triples."""
    text = (header or "MATLAB 5.0 MAT-file, written by the ember tests").encode()
    head = text.ljust(116, b" ") + b"\0" * 8 + (b"\x00\x01IM" if order == "<" else b"\x01\x00MI")
    out = [head]
    items = variables.items() if isinstance(variables, dict) else \
        [(n, (a, s)) for n, a, s in variables]
    for name, value in items:
        array, stored = value if isinstance(value, tuple) else (value, None)
        m = matrix(name, array, order, stored)
        if compress:  # a compressed element is not padded
            z = zlib.compress(m)
            m = struct.pack(order + "II", 15, len(z)) + z
        out.append(m)
    return b"".join(out)
