"""CPU arrays in memory shared with child processes (``Tensor.share_memory_``).

An array is copied into an anonymous shared mapping (``mmap`` with ``MAP_SHARED``): processes
forked afterwards map the same pages, so a write by one is seen by all. GPU arrays are not
touched (PyTorch's ``share_memory_`` leaves CUDA tensors as they are too).
"""
from __future__ import annotations

import mmap

import numpy as np

__all__ = ["share", "is_shared"]


def share(arr):
    """``arr`` itself when it is already shared or not a NumPy array, else a copy of it in a
    new shared mapping."""
    if not isinstance(arr, np.ndarray) or is_shared(arr):
        return arr
    buf = mmap.mmap(-1, max(arr.nbytes, 1))
    out = np.frombuffer(buf, dtype=arr.dtype, count=arr.size).reshape(arr.shape)
    out[...] = arr
    return out


def is_shared(arr) -> bool:
    """Whether ``arr`` lives in a mapping made by :func:`share` (True for non-NumPy arrays)."""
    if not isinstance(arr, np.ndarray):
        return True
    while isinstance(arr, np.ndarray):
        arr = arr.base
    return isinstance(arr, memoryview) and isinstance(arr.obj, mmap.mmap)
