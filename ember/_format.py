"""Printing tensors the way PyTorch does: ``tensor([1.0000, 2.5000], requires_grad=True)``."""
from __future__ import annotations

import numpy as np

from . import backend

_DEFAULT_SHOWN = {"float32", "int64", "bool"}


def _float_formatter(arr):
    finite = arr[np.isfinite(arr)]
    if finite.size == 0:
        return lambda v: _special(v) or f"{v:.4f}"
    amax = float(np.abs(finite).max())
    nz = np.abs(finite[finite != 0])
    amin = float(nz.min()) if nz.size else 0.0
    integral = bool(np.all(finite == np.round(finite)))
    if integral and amax < 1e8:
        return lambda v: _special(v) or f"{v:.0f}."
    if amax >= 1e8 or (amin and amin < 1e-4) or (amin and amax / amin > 1e3):
        return lambda v: _special(v) or f"{v:.4e}"
    return lambda v: _special(v) or f"{v:.4f}"


def _special(v):
    if np.isnan(v):
        return "nan"
    if np.isinf(v):
        return "inf" if v > 0 else "-inf"
    return None


def _body(arr, indent):
    if arr.dtype.kind == "b":
        fmt = lambda v: "True" if v else "False"  # noqa: E731
    elif arr.dtype.kind == "f" or arr.dtype == backend.BF16:
        arr = arr.astype(np.float64) if arr.dtype == backend.BF16 else arr
        fmt = _float_formatter(arr.astype(np.float64))
    else:
        fmt = str
    summarize = arr.size > 1000
    sample = arr.reshape(-1) if not summarize else np.concatenate(
        [arr.reshape(-1)[:500], arr.reshape(-1)[-500:]])
    width = max((len(fmt(v)) for v in sample), default=0)
    return np.array2string(arr, separator=", ", prefix=" " * indent,
                           formatter={"all": lambda v: fmt(v).rjust(width)},
                           threshold=1000 if summarize else arr.size + 1, edgeitems=3,
                           max_line_width=80)


def format_tensor(t) -> str:
    arr = t._data if isinstance(t._data, np.ndarray) else t._data.get()
    prefix = "tensor("
    extras = []
    if arr.size == 0 and arr.ndim != 1:
        body = "[]"
        extras.append(f"size={tuple(arr.shape)}")
    else:
        body = _body(arr, len(prefix))
    if str(t.device) != "cpu":
        extras.append(f"device='{t.device}'")
    if arr.dtype.name not in _DEFAULT_SHOWN or (arr.dtype.kind == "f" and t.dtype != backend.get_default_dtype() and arr.dtype.name == "float32"):
        extras.append(f"dtype={t.dtype}")
    if t.grad_fn is not None:
        extras.append(f"grad_fn=<{t.grad_fn.name()}>")
    elif t.requires_grad:
        extras.append("requires_grad=True")
    return prefix + body + "".join(", " + e for e in extras) + ")"
