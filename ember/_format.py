"""Printing tensors the way PyTorch does: ``tensor([1.0000, 2.5000], requires_grad=True)``.

The layout follows PyTorch's rules: one formatter per tensor decides from the (summarised)
values whether floats print as integers (``1.``), fixed point or scientific notation and how
wide every element is; rows wrap at ``linewidth``; tensors with more than ``threshold``
elements show ``edgeitems`` items at each end of each dimension; the suffixes (device, dtype,
grad_fn) wrap like PyTorch's. ``set_printoptions`` changes these settings for the process.
"""
from __future__ import annotations

import math
import warnings

import numpy as np

from . import _settings, backend

__all__ = ["set_printoptions", "get_printoptions", "format_tensor"]

_DEFAULTS = {"precision": 4, "threshold": 1000, "edgeitems": 3, "linewidth": 80,
             "sci_mode": None}
_PROFILES = {"default": dict(precision=4, threshold=1000, edgeitems=3, linewidth=80),
             "short": dict(precision=2, threshold=1000, edgeitems=2, linewidth=80),
             "full": dict(precision=4, threshold=math.inf, edgeitems=3, linewidth=80)}
_opts = dict(_DEFAULTS)


def set_printoptions(precision=None, threshold=None, edgeitems=None, linewidth=None,
                     profile=None, sci_mode=None) -> None:
    """Set how tensors print, as ``torch.set_printoptions``.

    ``precision``: digits after the point (4); ``threshold``: more elements than this are
    summarised (1000); ``edgeitems``: items shown at each end of a summarised dimension (3);
    ``linewidth``: characters per line before wrapping (80); ``profile``: ``'default'``,
    ``'short'`` (2 digits, 2 edge items) or ``'full'`` (never summarise), overridden by the
    other arguments given; ``sci_mode``: True/False forces or forbids scientific notation,
    None (also when not given) lets each tensor's values decide. An unknown profile changes
    nothing, as in PyTorch (programs pass ``profile="long"``), but ember warns that it did not.
    """
    if profile is not None:
        if profile in _PROFILES:
            _opts.update(_PROFILES[profile])
        else:
            warnings.warn(f"set_printoptions: unknown profile {profile!r} (the profiles are "
                          "'default', 'short' and 'full'); it changes nothing", stacklevel=2)
    for name, value in (("precision", precision), ("threshold", threshold),
                        ("edgeitems", edgeitems), ("linewidth", linewidth)):
        if value is not None:
            _opts[name] = value
    _opts["sci_mode"] = sci_mode


def get_printoptions() -> dict:
    """The current print options, as keyword arguments for :func:`set_printoptions`."""
    return dict(_opts)


class _Formatter:
    """How every element of one tensor prints: integer mode, scientific mode and the width."""

    def __init__(self, values: np.ndarray, floating: bool):
        self.floating, self.int_mode, self.sci_mode, self.width = floating, True, False, 1
        p = _opts["precision"]
        flat = values.reshape(-1)
        if not floating:
            if flat.size:
                self.width = max(len(str(v)) for v in flat.tolist())
            return
        nz = flat[np.isfinite(flat) & (flat != 0)]
        if nz.size == 0:
            return
        a = np.abs(nz)
        lo, hi = float(a.min()), float(a.max())
        self.int_mode = bool(np.all(nz == np.ceil(nz)))
        forced = _opts["sci_mode"]
        self.sci_mode = (hi / lo > 1000.0 or hi > 1.0e8 or lo < 1.0e-4) if forced is None \
            else bool(forced)
        vals = nz.tolist()
        if self.sci_mode:
            self.width = max(len(f"{v:.{p}e}") for v in vals)
        elif self.int_mode:
            self.width = max(len(f"{v:.0f}") + 1 for v in vals)
        else:
            self.width = max(len(f"{v:.{p}f}") for v in vals)

    def __call__(self, v) -> str:
        if not self.floating:
            s = str(v)
        elif self.sci_mode:
            s = f"{v:{self.width}.{_opts['precision']}e}"
        elif self.int_mode:
            s = f"{v:.0f}" + ("" if math.isinf(v) or math.isnan(v) else ".")
        else:
            s = f"{v:.{_opts['precision']}f}"
        return s.rjust(self.width)


class _ComplexFormatter:
    """Complex elements: the real parts share one formatter, the imaginary parts another
    (PyTorch's layout: ``1.0000+2.0000j``, each part in its own notation)."""

    def __init__(self, values: np.ndarray):
        self.re, self.im = _Formatter(values.real, True), _Formatter(values.imag, True)
        self.width = self.re.width + self.im.width + 1  # the "j"

    def __call__(self, v) -> str:
        re, im = self.re(v.real), (self.im(v.imag) + "j").lstrip()
        return re + im if im[0] in "+-" else re + "+" + im


def _summarized(arr: np.ndarray) -> np.ndarray:
    """The elements a summarised print shows (the first and last ``edgeitems`` of each dim)."""
    e = _opts["edgeitems"]
    if arr.ndim == 0:
        return arr
    if arr.ndim > 1 and not e:
        return arr.reshape(-1)[:0]
    if arr.shape[0] > 2 * e:
        arr = np.concatenate([arr[:e], arr[arr.shape[0] - e:]])
    if arr.ndim == 1:
        return arr
    return np.stack([_summarized(row) for row in arr]) if arr.shape[0] else arr


def _vector(arr, indent, summarize, fmt) -> str:
    e, width = _opts["edgeitems"], fmt.width + 2
    per_line = max(1, math.floor((_opts["linewidth"] - indent) / width))
    if summarize and not e:
        items = ["..."]
    elif summarize and arr.shape[0] > 2 * e:
        items = [fmt(v) for v in arr[:e].tolist()] + [" ..."] + \
            [fmt(v) for v in arr[arr.shape[0] - e:].tolist()]
    else:
        items = [fmt(v) for v in arr.tolist()]
    lines = [", ".join(items[i:i + per_line]) for i in range(0, len(items), per_line)]
    return "[" + ("," + "\n" + " " * (indent + 1)).join(lines) + "]"


def _nested(arr, indent, summarize, fmt) -> str:
    if arr.ndim == 0:
        return fmt(arr.item())
    if arr.ndim == 1:
        return _vector(arr, indent, summarize, fmt)
    e, n = _opts["edgeitems"], arr.shape[0]
    rows = list(range(e)) + [None] + list(range(n - e, n)) if summarize and n > 2 * e \
        else list(range(n))
    parts = ["..." if i is None else _nested(arr[i], indent + 1, summarize, fmt) for i in rows]
    return "[" + ("," + "\n" * (arr.ndim - 1) + " " * (indent + 1)).join(parts) + "]"


def _body(arr: np.ndarray, indent: int) -> str:
    if arr.size == 0:
        return "[]"
    summarize = arr.size > _opts["threshold"]
    if arr.dtype.kind == "c":
        arr = arr.astype(np.complex128)
        return _nested(arr, indent, summarize,
                       _ComplexFormatter(_summarized(arr) if summarize else arr))
    floating = arr.dtype.kind == "f" or arr.dtype == backend.BF16
    if floating:
        arr = arr.astype(np.float64)  # each value as Python prints the float it holds
    fmt = _Formatter(_summarized(arr) if summarize else arr, floating)
    return _nested(arr, indent, summarize, fmt)


def _with_suffixes(text: str, suffixes, indent: int) -> str:
    parts, last = [text], len(text) - text.rfind("\n") + 1
    for s in suffixes:
        if last + len(s) + 2 > _opts["linewidth"]:
            parts.append(",\n" + " " * indent + s)
            last = indent + len(s)
        else:
            parts.append(", " + s)
            last += len(s) + 2
    return "".join(parts) + ")"


def _device_suffix(t) -> str | None:
    """PyTorch names the device unless it is the default device's type (and, on CUDA, the
    current device)."""
    default = _settings.default_device_type()
    dev = t.device
    if dev.type != default:
        return f"device='{dev}'"
    if dev.type == "cuda":
        cp = backend._get_cupy()
        if cp is not None and int(cp.cuda.Device().id) != (dev.index or 0):
            return f"device='{dev}'"
    return None


def format_tensor(t) -> str:
    arr = backend.to_host(t._data)
    cls = type(t)
    plain = cls.__name__ == "Tensor" or cls.__module__ == "ember.nn.parameter"
    prefix = "tensor(" if plain else f"{cls.__name__}("
    indent = len(prefix)
    suffixes = []
    device = _device_suffix(t)
    if device:
        suffixes.append(device)
    default_dtype = backend.get_default_dtype()
    if arr.size == 0:
        if arr.ndim != 1:
            suffixes.append(f"size={tuple(arr.shape)}")
        if t.dtype is not default_dtype:
            suffixes.append(f"dtype={t.dtype}")
        body = "[]"
    else:
        if not _opts["edgeitems"]:
            suffixes.append(f"size={tuple(arr.shape)}")
        if t.dtype not in (default_dtype, backend.default_complex_dtype(), backend.int64,
                           backend.bool_):
            suffixes.append(f"dtype={t.dtype}")
        body = _body(arr, indent)
    if t.grad_fn is not None:
        suffixes.append(f"grad_fn=<{t.grad_fn.name()}>")
    elif t.requires_grad:
        suffixes.append("requires_grad=True")
    return _with_suffixes(prefix + body, suffixes, indent)
