"""Large float32 matrix products on oneDNN when ember runs more than one thread.

At one thread oneDNN's products measured as fast as NumPy's BLAS (1.0-1.2x), so they stay
on NumPy. With more threads NumPy's BLAS keeps a thread pool of its own beside oneDNN's
OpenMP pool, and its idle threads spin: in a step that mixes the two (a convolution net
with linear layers, a recurrent language model with its output layer) the spinning pool
took the cores the other needed (docs/performance.md). Products large enough for the BLAS
to use its threads (256K multiply-adds or more, OpenBLAS's own threshold) therefore run on
oneDNN there, so that one pool does all multi-threaded work; smaller ones stay on NumPy's
BLAS, which runs them on the calling thread.
"""
from __future__ import annotations

import numpy as np

from . import _flags, _lib
from ._prim import MD, Cache, PrimitiveDesc, Primitive

__all__ = ["matmul", "wanted"]

MIN_MACS = 1 << 18
_plans = Cache(256)
_NO_PLAN = object()


def wanted(m, k, n) -> bool:
    """Whether an (m, k) @ (k, n) product goes to oneDNN (more than one thread, and large
    enough that the BLAS would use its threads)."""
    return m * k * n >= MIN_MACS and _flags.threads() > 1


class MatmulPlan:
    """A matmul primitive for operands of given shapes and (dense) strides."""

    def __init__(self, key):
        m, k, n, sa, sb = key
        self.key = key
        self.a = MD((m, k), strides=sa)
        self.b = MD((k, n), strides=sb)
        self.c = MD((m, n), tag=_lib.TAG_AB)
        eng = _lib.load()["engine"]
        self.pd = PrimitiveDesc(lambda pd, attr: _lib.call(
            "dnnl_matmul_primitive_desc_create", pd, eng, self.a.ptr, self.b.ptr, None,
            self.c.ptr, attr))
        if self.pd.impl().startswith("ref"):
            raise _lib.DnnlError(self.pd.impl(), _lib.UNIMPLEMENTED)
        self.prim = Primitive(self.pd)


def _plan(key):
    if _lib.load() is None:
        return None

    def make():
        try:
            return MatmulPlan(key)
        except _lib.DnnlError:
            return _NO_PLAN
    p = _plans.get(key, make)
    return None if p is _NO_PLAN else p


def _dense(a):
    """(strides in elements, the C-contiguous array that holds a's memory) for a 2-D array:
    a itself when row-major, its transpose (the same memory) when column-major, else a
    row-major copy."""
    if not a.flags.c_contiguous and a.flags.f_contiguous:
        return (1, a.shape[0]), a.T
    a = np.ascontiguousarray(a)
    return (a.shape[1], 1), a


def matmul(a, b):
    """a (m, k) @ b (k, n) for float32 NumPy arrays (transposed views read in place), or None
    where oneDNN does not run it."""
    if a.ndim != 2 or b.ndim != 2 or a.shape[1] != b.shape[0] or 0 in a.shape + b.shape:
        return None
    m, k = a.shape
    n = b.shape[1]
    (sa, a), (sb, b) = _dense(a), _dense(b)
    plan = _plan((m, k, n, sa, sb))
    if plan is None:
        return None
    out = np.empty((m, n), dtype=np.float32)
    plan.prim.execute([(_lib.ARG_SRC, plan.a, a), (_lib.ARG_WEIGHTS, plan.b, b),
                       (_lib.ARG_DST, plan.c, out)])
    return out
