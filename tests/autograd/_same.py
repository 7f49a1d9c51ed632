"""Run one scenario with ember and with PyTorch and compare what each recorded.

A scenario is a function of the library (``ember`` or ``torch``) that returns a log: nested
lists, tuples and dicts of plain values and tensors. Tensors become rounded lists with their
shape; exceptions caught with :func:`outcome` become ``(type name, message)`` with the
library's name taken out, so the two logs can be compared for equality.
"""
from __future__ import annotations

import re

import numpy as np

import ember

try:
    import torch
except ImportError:  # pragma: no cover
    torch = None


def plain(v):
    """``v`` with every tensor (of either library) as ``("T", shape, values, requires_grad)``."""
    if isinstance(v, ember.Tensor) or (torch is not None and isinstance(v, torch.Tensor)):
        arr = np.asarray(v.detach().cpu().numpy(), dtype=np.float64)
        return ("T", tuple(arr.shape), np.round(arr, 6).tolist(), bool(v.requires_grad))
    if isinstance(v, (list, tuple)):
        return type(v)(plain(x) for x in v) if not hasattr(v, "_fields") else tuple(
            plain(x) for x in v)
    if isinstance(v, dict):
        return {k: plain(x) for k, x in v.items()}
    if isinstance(v, str):
        return _unname(v)
    return v


def _unname(s):
    s = re.sub(r"\b(torch|ember)\.", "LIB.", s)
    return re.sub(r"\b(torch|ember)\b", "LIB", s)


def outcome(fn, msg_len=None):
    """``("ok", plain(fn()))``, or ``(exception type name, message[:msg_len])``."""
    try:
        return ("ok", plain(fn()))
    except Exception as e:  # noqa: BLE001 - the outcome is what is compared
        msg = _unname(str(e))
        return (type(e).__name__, msg if msg_len is None else msg[:msg_len])


def run_both(scenario):
    """(ember's log, torch's log) of ``scenario``."""
    return plain(scenario(ember)), plain(scenario(torch))
