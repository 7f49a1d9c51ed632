"""Fused CUDA kernels for the hot paths on a real GPU (CuPy ElementwiseKernels).

Layer 0, beside the backend: each function returns False when it does not
apply (NumPy arrays, the CPU stand-in, an unsupported dtype), and the caller
then runs its ordinary array code, which stays the reference; the device tests
compare the two on a GPU. A kernel is compiled once, on first use.
"""
from __future__ import annotations

from . import backend

_cache: dict = {}


def _kernel(name, in_params, out_params, body):
    k = _cache.get(name)
    if k is None:
        cp = backend._get_cupy()
        k = _cache[name] = cp.ElementwiseKernel(in_params, out_params, body, f"ember_{name}")
    return k


def _usable(*arrays) -> bool:
    a = arrays[0]
    return (backend.is_device_array(a) and not backend.is_standin()
            and a.dtype.kind == "f" and all(x.dtype == a.dtype for x in arrays))


def adam(p, g, m, v, b1, b2, step_size, bc2_sqrt, eps) -> bool:
    """One Adam update of ``p``, ``m``, ``v`` in place, in one pass (no temporaries).

    The same arithmetic, in the same order, as the array code in ``ember.optim``:
    m += (g - m)(1 - b1); v = v b2 + g g (1 - b2); p -= lr_t m / (sqrt(v) / bc2 + eps).
    """
    if not _usable(p, g, m, v):
        return False
    k = _kernel("adam", "T g, float64 b1, float64 b2, float64 lr, float64 bc2, float64 eps",
                "T p, T m, T v",
                "m += (g - m) * (T)(1.0 - b1);"
                "v = v * (T)b2 + g * g * (T)(1.0 - b2);"
                "p -= (T)lr * (m / (sqrt(v) / (T)bc2 + (T)eps));")
    k(g, b1, b2, step_size, bc2_sqrt, eps, p, m, v)
    return True
