"""Storages: the block of memory a tensor's array views, as PyTorch's ``UntypedStorage``.

An ember tensor holds one strided array; views of it (reshape, transpose, slices,
``as_strided``) are arrays whose ``base`` chain leads back to the array that owns (or
wraps) the memory. That root array's bytes are the storage: tensors share a storage when
their arrays lead to the same root, a tensor's ``storage_offset`` is its first element's
distance from the root's first byte, and a new geometry over the same memory
(``as_strided``, ``set_``, ``resize_``) is a strided view built from those bytes. Works on
the arrays of any array module (NumPy, CuPy, the CUDA stand-in).
"""
from __future__ import annotations

import warnings

import numpy as np

from . import backend

__all__ = ["is_storage", "UntypedStorage", "TypedStorage", "ByteStorage", "CharStorage", "ShortStorage",
           "IntStorage", "LongStorage", "HalfStorage", "FloatStorage", "DoubleStorage",
           "BFloat16Storage", "BoolStorage"]


# ---------------------------------------------------------------------------- raw arrays


def data_ptr(arr) -> int:
    """The address of ``arr``'s first element."""
    if isinstance(arr, np.ndarray):
        return arr.__array_interface__["data"][0]
    return int(arr.data.ptr)


def root(arr):
    """The NumPy array at the end of ``arr``'s chain of views: the one over the whole memory."""
    r = arr
    b = r.base
    while b is not None:
        if isinstance(b, np.ndarray):
            r = b
        elif not hasattr(b, "__array_interface__"):  # a bytes/mmap/memoryview: r wraps it
            break
        b = getattr(b, "base", None)
    return r


def _span_of(r):
    """(address, bytes) of the memory NumPy root array ``r`` covers."""
    if r.size == 0:
        return data_ptr(r), 0
    last = sum((n - 1) * s for n, s in zip(r.shape, r.strides))
    return data_ptr(r), last + r.itemsize


def block(arr):
    """(start address, bytes) of the memory ``arr`` lives in: the root array's on the CPU, the
    allocation's on a device (CuPy's memory pool rounds allocations up, to 512 bytes)."""
    if isinstance(arr, np.ndarray):
        return _span_of(root(arr))
    mem = arr.data.mem
    return int(mem.ptr), int(mem.size)


def byte_view(arr):
    """The whole memory ``arr`` lives in, as a 1-D uint8 array (no copy)."""
    if isinstance(arr, np.ndarray):
        r = root(arr)
        _, nbytes = _span_of(r)
        first = r[(slice(0, 1),) * r.ndim].reshape(-1).view(np.uint8)
        return np.lib.stride_tricks.as_strided(first, (nbytes,), (1,))
    xp = backend.xp(arr)
    mem = arr.data.mem
    return xp.ndarray((int(mem.size),), dtype=xp.uint8, memptr=xp.cuda.MemoryPointer(mem, 0))


def storage_offset(arr) -> int:
    """How many elements of ``arr``'s dtype lie between its storage's start and its first
    element."""
    return (data_ptr(arr) - block(arr)[0]) // arr.itemsize


def geometry_error(shape, strides, offset, itemsize, nbytes):
    need = (1 + offset + sum((n - 1) * s for n, s in zip(shape, strides))) * itemsize \
        if 0 not in shape else 0
    return RuntimeError(f"setStorage: sizes {list(shape)}, strides {list(strides)}, storage "
                        f"offset {offset}, and itemsize {itemsize} requiring a storage size of "
                        f"{need} are out of bounds for storage of size {nbytes}")


def check_geometry(shape, strides, offset, itemsize, nbytes) -> None:
    """PyTorch's errors for a geometry that does not fit a storage of ``nbytes``."""
    if len(shape) != len(strides):
        raise RuntimeError("mismatch in length of strides and shape")
    if offset < 0:
        raise RuntimeError(f"Tensor: invalid storage offset {offset}")
    if any(s < 0 for s in strides):
        raise RuntimeError(f"as_strided: Negative strides are not supported at the moment, got "
                           f"strides: {list(strides)}")
    if any(n < 0 for n in shape):
        raise RuntimeError(f"Trying to create tensor with negative dimension "
                           f"{min(shape)}: {list(shape)}")
    if 0 not in shape:
        need = (1 + offset + sum((n - 1) * s for n, s in zip(shape, strides))) * itemsize
        if need > nbytes:
            raise geometry_error(shape, strides, offset, itemsize, nbytes)


def view_of(raw_bytes, offset, shape, strides, dtype):
    """An array of ``dtype`` over the uint8 array ``raw_bytes`` at element ``offset`` with this
    shape and these element strides (the geometry must fit; see :func:`check_geometry`)."""
    xp = backend.xp(raw_bytes)
    dt = np.dtype(dtype)
    start = offset * dt.itemsize
    first = raw_bytes[start:start + (dt.itemsize if 0 not in shape else 0)].view(dt)
    return xp.lib.stride_tricks.as_strided(first, tuple(shape),
                                           tuple(s * dt.itemsize for s in strides))


def regeometry(arr, offset, shape, strides):
    """A view of ``arr``'s storage with a new geometry (offset in elements of its dtype)."""
    raw = byte_view(arr)
    check_geometry(shape, strides, offset, arr.itemsize, raw.shape[0])
    return view_of(raw, offset, shape, strides, arr.dtype)


# ---------------------------------------------------------------------------- storages


class UntypedStorage:
    """The bytes behind one or more tensors (``tensor.untyped_storage()``).

    ``UntypedStorage(n)`` allocates ``n`` uninitialised bytes on the CPU. Two tensors that
    share memory have storages with the same ``data_ptr()``.
    """

    def __init__(self, size: int = 0, *, device=None):
        dev = backend.as_device(device)
        self._ref = backend.module_for(dev).empty((int(size),), dtype=np.uint8)

    @classmethod
    def _of(cls, arr):
        s = object.__new__(cls)
        s._ref = arr  # any array on the memory
        return s

    def _bytes(self):
        return byte_view(self._ref)

    def data_ptr(self) -> int:
        return 0 if self.nbytes() == 0 else block(self._ref)[0]

    def nbytes(self) -> int:
        return block(self._ref)[1]

    def size(self) -> int:
        return self.nbytes()

    def __len__(self):
        return self.nbytes()

    def element_size(self) -> int:
        return 1

    @property
    def device(self):
        return backend.device_of(self._ref)

    @property
    def is_cuda(self) -> bool:
        return self.device.type == "cuda"

    def tolist(self):
        return backend.to_host(self._bytes()).tolist()

    def _index(self, idx):
        if isinstance(idx, bool) or not isinstance(idx, (int, np.integer)):
            raise TypeError(f"can't index a {type(self).__name__} with {type(idx).__name__}")
        n = len(self)
        if not -n <= idx < n:
            raise IndexError(f"index {idx} out of range for storage of size {n}")
        return int(idx) % n

    def __getitem__(self, idx):
        return int(self._bytes()[self._index(idx)])

    def __setitem__(self, idx, value):
        self._bytes()[self._index(idx)] = value

    def fill_(self, value):
        self._bytes()[...] = value
        return self

    def __iter__(self):
        return iter(self.tolist())

    def __repr__(self):
        body = "\n".join(f" {v}" for v in self.tolist())
        return (f"{body}\n[ember.{type(self).__name__}(device={self.device}) of size "
                f"{len(self)}]").lstrip("\n")


_warned = [False]


def _warn_typed():
    if not _warned[0]:
        _warned[0] = True
        warnings.warn("TypedStorage is deprecated. It will be removed in the future and "
                      "UntypedStorage will be the only storage class. This should only matter "
                      "to you if you are using storages directly.  To access UntypedStorage "
                      "directly, use tensor.untyped_storage() instead of tensor.storage()",
                      UserWarning, stacklevel=3)


class TypedStorage:
    """A storage seen as elements of one dtype (``tensor.storage()``; deprecated in PyTorch
    in favour of :class:`UntypedStorage`, with its warning)."""

    def __init__(self, *args, dtype=None, device=None):
        _warn_typed()
        dt = backend.to_dtype(dtype) if dtype is not None else getattr(
            type(self), "_dtype", None) or backend.get_default_dtype()
        n = int(args[0]) if args else 0
        if len(args) > 1:
            raise TypeError(f"{type(self).__name__}(): expected at most one size argument")
        self._init(UntypedStorage(n * dt.itemsize, device=device), dt)

    def _init(self, untyped, dt):
        self._untyped_storage = untyped
        self.dtype = dt

    @classmethod
    def _of(cls, untyped, dt):
        s = object.__new__(cls)
        s._init(untyped, dt)
        return s

    def untyped(self) -> UntypedStorage:
        return self._untyped_storage

    def _elements(self):
        raw = self._untyped_storage._bytes()
        n = raw.shape[0] // self.dtype.itemsize
        return view_of(raw, 0, (n,), (1,), self.dtype.np)

    def size(self) -> int:
        return self._untyped_storage.nbytes() // self.dtype.itemsize

    def __len__(self):
        return self.size()

    def nbytes(self) -> int:
        return self._untyped_storage.nbytes()

    def element_size(self) -> int:
        return self.dtype.itemsize

    def data_ptr(self) -> int:
        return self._untyped_storage.data_ptr()

    @property
    def device(self):
        return self._untyped_storage.device

    @property
    def is_cuda(self) -> bool:
        return self.device.type == "cuda"

    def tolist(self):
        return backend.to_host(self._elements()).tolist()

    def __getitem__(self, idx):
        n = self.size()
        if isinstance(idx, bool) or not isinstance(idx, (int, np.integer)):
            raise TypeError(f"can't index a {type(self).__name__} with {type(idx).__name__}")
        if not -n <= idx < n:
            raise IndexError(f"index {idx} out of range for storage of size {n}")
        return self._elements()[int(idx) % n].item()

    def __setitem__(self, idx, value):
        n = self.size()
        if not -n <= idx < n:
            raise IndexError(f"index {idx} out of range for storage of size {n}")
        self._elements()[int(idx) % n] = value

    def fill_(self, value):
        self._elements()[...] = value
        return self

    def __iter__(self):
        return iter(self.tolist())

    def __repr__(self):
        body = "\n".join(f" {v}" for v in self.tolist())
        return (f"{body}\n[ember.TypedStorage(dtype={self.dtype}, device={self.device}) of size "
                f"{len(self)}]").lstrip("\n")

    @classmethod
    def from_buffer(cls, buffer, byte_order=None, count: int = -1, offset: int = 0, *,
                    dtype=None):
        """A new storage holding a copy of ``buffer``'s bytes read as elements of the class's
        dtype (``ByteStorage.from_buffer(img.tobytes())``); ``byte_order`` (``'native'``,
        ``'little'`` or ``'big'``) is required for elements wider than a byte."""
        _warn_typed()
        dt = getattr(cls, "_dtype", None) or (backend.to_dtype(dtype) if dtype is not None
                                              else None)
        if dt is None:
            raise RuntimeError("from_buffer: only the typed storages (ByteStorage, "
                               "FloatStorage...) or a dtype say how to read the bytes")
        if dt.itemsize > 1 and byte_order is None:
            raise RuntimeError("function missing required argument 'byte_order' (pos 2)")
        if byte_order not in (None, "native", "little", "big"):
            raise ValueError(f"invalid byte_order '{byte_order}' (expected 'native', 'little' "
                             "or 'big')")
        raw = np.frombuffer(buffer, dtype=np.uint8, offset=int(offset))
        n = raw.shape[0] // dt.itemsize if count < 0 else int(count)
        if n * dt.itemsize > raw.shape[0]:
            raise RuntimeError(f"from_buffer: {n} elements of {dt.itemsize} bytes need "
                               f"{n * dt.itemsize} bytes, the buffer has {raw.shape[0]}")
        elems = raw[:n * dt.itemsize].copy()
        if dt.itemsize > 1 and byte_order not in ("native", None):
            order = "<" if byte_order == "little" else ">"
            elems = elems.view(dt.np.newbyteorder(order)).astype(dt.np).view(np.uint8)
        s = object.__new__(cls)
        s._init(UntypedStorage._of(elems), dt)
        return s


def _legacy(name, dt):
    cls = type(name, (TypedStorage,), {"_dtype": dt, "__doc__": f"A {dt} storage on the CPU "
                                       "(PyTorch's legacy typed storage)."})
    cls.__module__ = "ember"  # where users reach it, as torch.FloatStorage
    return cls


ByteStorage = _legacy("ByteStorage", backend.uint8)
CharStorage = _legacy("CharStorage", backend.int8)
ShortStorage = _legacy("ShortStorage", backend.int16)
IntStorage = _legacy("IntStorage", backend.int32)
LongStorage = _legacy("LongStorage", backend.int64)
HalfStorage = _legacy("HalfStorage", backend.float16)
FloatStorage = _legacy("FloatStorage", backend.float32)
DoubleStorage = _legacy("DoubleStorage", backend.float64)
BFloat16Storage = _legacy("BFloat16Storage", backend.bfloat16)
BoolStorage = _legacy("BoolStorage", backend.bool_)
_LEGACY = (ByteStorage, CharStorage, ShortStorage, IntStorage, LongStorage, HalfStorage,
           FloatStorage, DoubleStorage, BFloat16Storage, BoolStorage)


def legacy_class(dt):
    """The legacy typed storage class of ember dtype ``dt``."""
    return next(c for c in _LEGACY if c._dtype is dt)


def typed_view(storage, dt):
    """The 1-D array of ``dt`` over a storage (for ``Tensor(storage)`` and ``set_``)."""
    if isinstance(storage, TypedStorage):
        if storage.dtype is not dt:
            raise RuntimeError(f"Expected a Storage of type {dt} or an UntypedStorage, but got "
                               f"type {storage.dtype} for argument 1 'storage'")
        storage = storage.untyped()
    raw = storage._bytes()
    n = raw.shape[0] // dt.itemsize
    return view_of(raw, 0, (n,), (1,), dt.np)


def untyped_of(storage) -> UntypedStorage:
    return storage.untyped() if isinstance(storage, TypedStorage) else storage


def is_storage(obj) -> bool:
    """True for a storage (``UntypedStorage`` or ``TypedStorage``)."""
    return isinstance(obj, (UntypedStorage, TypedStorage))
