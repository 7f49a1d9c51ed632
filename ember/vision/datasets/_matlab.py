"""Numeric arrays from MATLAB level-5 MAT-files (what ``scipy.io.loadmat`` reads for SVHN),
without SciPy.

The subset read: the 128-byte header (either byte order), top-level ``miMATRIX`` elements,
plain or ``miCOMPRESSED`` (zlib), holding real, full numeric arrays of any MATLAB numeric
class, whose data may be stored in a narrower type than the class (MATLAB does that: a
double array of small integers is written as ``miUINT8``); small data elements. Arrays come
back in MATLAB's shape and column-major order, with the class's NumPy dtype. Cell arrays,
structs, sparse, complex and character arrays, and the HDF5-based 7.3 format, are refused
with an error naming the file and what was found.
"""
from __future__ import annotations

import zlib

import numpy as np

__all__ = ["read_mat"]

_MI = {1: "i1", 2: "u1", 3: "i2", 4: "u2", 5: "i4", 6: "u4", 7: "f4", 9: "f8", 12: "i8",
       13: "u8"}
_MI_MATRIX, _MI_COMPRESSED = 14, 15
_CLASSES = {6: "f8", 7: "f4", 8: "i1", 9: "u1", 10: "i2", 11: "u2", 12: "i4", 13: "u4",
            14: "i8", 15: "u8"}
_CLASS_NAMES = {1: "cell", 2: "struct", 3: "object", 4: "char", 5: "sparse"}


class _Reader:
    def __init__(self, data: bytes, order: str, path: str):
        self.data, self.order, self.path, self.pos = data, order, path, 0

    def fail(self, what):
        raise RuntimeError(f"{self.path}: {what}; the MAT-file is corrupt, truncated or not a "
                           "numeric-array file")

    def element(self):
        """``(type, payload bytes)`` of the data element at the current position."""
        if self.pos + 8 > len(self.data):
            self.fail(f"truncated element tag at byte {self.pos}")
        first, second = np.frombuffer(self.data, self.order + "u4", 2, self.pos)
        first, second = int(first), int(second)
        if first >> 16:  # small data element: type and size packed into 4 bytes
            kind, size = first & 0xFFFF, first >> 16
            if size > 4:
                self.fail(f"small data element of {size} bytes")
            payload = self.data[self.pos + 4:self.pos + 4 + size]
            self.pos += 8
            return kind, payload
        kind, size = first, second
        start = self.pos + 8
        if start + size > len(self.data):
            self.fail(f"element of {size} bytes at byte {self.pos} runs past the end")
        self.pos = start + size
        if kind != _MI_COMPRESSED:
            self.pos += -size % 8  # padding to a multiple of 8 bytes
        return kind, self.data[start:start + size]


def _numeric(kind, payload, order, reader):
    if kind not in _MI:
        reader.fail(f"data type {kind} where numbers were expected")
    dt = np.dtype(order + _MI[kind]) if _MI[kind] not in ("i1", "u1") else np.dtype(_MI[kind])
    if len(payload) % dt.itemsize:
        reader.fail(f"{len(payload)} bytes is not a whole number of {dt} values")
    return np.frombuffer(payload, dt)


def _matrix(payload: bytes, order: str, path: str):
    """``(name, array)`` of one ``miMATRIX`` element's payload."""
    r = _Reader(payload, order, path)
    kind, flags = r.element()
    if kind != 6 or len(flags) < 8:
        r.fail("array flags missing")
    word = int(np.frombuffer(flags, order + "u4", 1)[0])
    cls, complex_ = word & 0xFF, bool(word & 0x0800)
    kind, dims = r.element()
    shape = tuple(int(d) for d in _numeric(kind, dims, order, r))
    kind, name = r.element()
    name = bytes(name).decode("ascii", "replace")
    if cls not in _CLASSES:
        what = _CLASS_NAMES.get(cls, f"class {cls}")
        raise NotImplementedError(f"{path}: variable {name!r} is a {what} array; ember reads "
                                  "only numeric MAT-file arrays")
    if complex_:
        raise NotImplementedError(f"{path}: variable {name!r} is complex; ember reads only "
                                  "real MAT-file arrays")
    kind, real = r.element()
    values = _numeric(kind, real, order, r)
    count = int(np.prod(shape, dtype=np.int64))
    if values.size != count:
        r.fail(f"variable {name!r} has {values.size} values for shape {list(shape)}")
    out = values.astype(np.dtype(_CLASSES[cls]).newbyteorder("="), copy=True)
    return name, out.reshape(shape, order="F")


def read_mat(path: str) -> dict:
    """The numeric variables of a level-5 MAT-file, as ``{name: array}``."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 128:
        raise RuntimeError(f"{path}: {len(data)} bytes is too short for a MAT-file header")
    text = data[:116].decode("latin-1")
    if text.startswith("MATLAB 7.3"):
        raise NotImplementedError(f"{path}: a MATLAB 7.3 (HDF5) file; ember reads level-5 "
                                  "MAT-files (save with -v7 or -v6)")
    marker = data[126:128]
    if marker == b"IM":
        order = "<"
    elif marker == b"MI":
        order = ">"
    else:
        raise RuntimeError(f"{path}: not a MATLAB level-5 MAT-file (no endian indicator in the "
                           "header)")
    top = _Reader(data, order, path)
    top.pos = 128
    out = {}
    while top.pos < len(data):
        kind, payload = top.element()
        if kind == _MI_COMPRESSED:
            try:
                payload = zlib.decompress(payload)
            except zlib.error as exc:
                top.fail(f"compressed element does not inflate ({exc})")
            inner = _Reader(payload, order, path)
            kind, payload = inner.element()
        if kind != _MI_MATRIX:
            top.fail(f"top-level element of type {kind} (expected a matrix)")
        if not payload:  # an empty matrix element
            continue
        name, array = _matrix(payload, order, path)
        out[name] = array
    return out
