"""The switches (``enabled`` and PyTorch's other flags), the gate every kernel call passes,
and one thread count for NumPy's BLAS and oneDNN's OpenMP."""
from __future__ import annotations

import contextlib
import os
import sys
import threading

import numpy as np

from . import _lib

_F32 = np.dtype(np.float32)
_PRECISIONS = ("none", "ieee")


def _pkg():
    return sys.modules[__package__]


def initial_enabled() -> bool:
    """On unless the environment says ``EMBER_ONEDNN=0`` (or off/false/no)."""
    return os.environ.get("EMBER_ONEDNN", "1").strip().lower() not in ("0", "off", "false",
                                                                        "no")


def is_available() -> bool:
    """Whether oneDNN loads on this machine (the ``onednn-cpu-gomp`` wheel, Linux x86-64)."""
    return _lib.load() is not None


def version():
    """oneDNN's version as (major, minor, patch), or None where it is not available."""
    lib = _lib.load()
    return None if lib is None else lib["version"]


def status() -> str:
    """One line saying which path ember's CPU kernels take, and why."""
    if not _pkg().enabled:
        why = " (EMBER_ONEDNN=0)" if not initial_enabled() else ""
        return f"oneDNN switched off{why}: NumPy path"
    lib = _lib.load()
    if lib is None:
        return f"oneDNN not available ({_lib.failure()}): NumPy path"
    return "oneDNN " + ".".join(map(str, lib["version"])) + f" ({lib['path']})"


def use(*arrays) -> bool:
    """Whether a kernel call may go to oneDNN for these arrays: switched on, the library
    loaded, and every array a float32 NumPy array (float64, CuPy and the device stand-in
    stay on the NumPy path)."""
    if not _pkg().enabled:
        return False
    for a in arrays:
        if type(a) is not np.ndarray or a.dtype != _F32:
            return False
    return _lib.load() is not None


def set_flags(_enabled=None, _deterministic=None, _allow_tf32=None, _fp32_precision="none"):
    """Set the switches; returns the previous ones (PyTorch's ``set_flags``)."""
    pkg = _pkg()
    orig = (pkg.enabled, pkg.deterministic, pkg.allow_tf32, pkg.fp32_precision)
    if _fp32_precision is not None and _fp32_precision not in _PRECISIONS:
        raise NotImplementedError(
            f"torch.backends.mkldnn fp32_precision={_fp32_precision!r}: ember's oneDNN kernels "
            "compute in float32 ('ieee'); reduced-precision float32 math is not supported")
    if _enabled is not None:
        pkg.enabled = bool(_enabled)
    if _deterministic is not None:
        pkg.deterministic = bool(_deterministic)
    if _allow_tf32 is not None:
        pkg.allow_tf32 = bool(_allow_tf32)
    if _fp32_precision is not None:
        pkg.fp32_precision = _fp32_precision
    return orig


@contextlib.contextmanager
def flags(enabled=False, deterministic=False, allow_tf32=True, fp32_precision="none"):
    """Context manager: oneDNN switched as given (off by default, as in PyTorch), restored
    on exit::

        with ember.backends.mkldnn.flags(enabled=False):
            out = model(x)          # NumPy path
    """
    orig = set_flags(enabled, deterministic, allow_tf32, fp32_precision)
    try:
        yield
    finally:
        set_flags(*orig)


# ---------------------------------------------------------------------------- threads
_requested: list = []  # the count given to ember.set_num_threads, once it was called
_tls = threading.local()


def set_num_threads(n: int) -> None:
    """Use ``n`` OpenMP threads in oneDNN (from this thread and every other that runs a
    kernel later)."""
    _requested[:] = [int(n)]
    if _lib.loaded():  # otherwise the first kernel call applies it
        apply_threads()


def threads() -> int:
    """The thread count the kernels run with: the one set by ember.set_num_threads, else
    OpenMP's own default (OMP_NUM_THREADS, or every core)."""
    if _requested:
        return _requested[0]
    env = os.environ.get("OMP_NUM_THREADS", "").split(",")[0].strip()
    return int(env) if env.isdigit() and int(env) > 0 else (os.cpu_count() or 1)


def apply_threads() -> None:
    """Give the calling thread's OpenMP the requested count (OpenMP's count is per thread:
    a DataLoader or dashboard thread would otherwise use every core)."""
    if _requested and getattr(_tls, "threads", None) != _requested[0]:
        _lib.omp_set_num_threads(_requested[0])
        _tls.threads = _requested[0]
