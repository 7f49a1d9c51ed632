"""Searching and counting: unique, unique_consecutive, searchsorted, bucketize, histc, bincount.

None of these has a gradient (their results are indices and counts, or piecewise constant), so
they are plain functions over raw arrays: a sort, a run detection, a binary search, a count.
"""
from __future__ import annotations

import math
import operator

import numpy as np

from .. import backend
from ..tensor import Tensor, _wrap
from ._util import as_tensor_arg, norm_dim, result_dtype, xp_of
from .sort import _no_out, stable_argsort

__all__ = ["unique", "unique_consecutive", "searchsorted", "bucketize", "histc", "bincount"]


def _const(a) -> Tensor:
    return _wrap(a, False, None, 0)


# ---------------------------------------------------------------------------- unique


def _runs(xp, rows, new_run):
    """Unique rows of a (n, m) array whose rows are in order, given where a run starts
    (``new_run``, length n - 1): (firsts, inverse over the n rows, counts)."""
    n = rows.shape[0]
    start = xp.concatenate([xp.ones(min(n, 1), dtype=bool), new_run])
    inverse = xp.cumsum(start) - 1
    first = xp.flatnonzero(start)
    counts = xp.diff(xp.concatenate([first, xp.asarray([n], dtype=first.dtype)]))
    return rows[first], inverse.astype(np.int64), counts.astype(np.int64)


def _rows_differ(xp, rows):
    """Whether each row of a (n, m) array differs from the one before it (NaN != NaN)."""
    return (rows[1:] != rows[:-1]).any(axis=1)


def _unique_impl(input, dim, consecutive, name):
    a = input._data
    xp = xp_of(a)
    if dim is None:
        flat = a.reshape(-1, 1)
        order = None if consecutive else stable_argsort(xp, flat[:, 0], 0)
        rows = flat if order is None else flat[order]
        vals, inv, counts = _runs(xp, rows, _rows_differ(xp, rows))
        if order is not None:
            inv = _scatter_inverse(xp, inv, order)
        return vals[:, 0], inv.reshape(a.shape), counts
    if a.ndim == 0:
        raise IndexError(f"{name}(): Dimension specified as {dim} but tensor has no dimensions")
    d = norm_dim(dim, a.ndim, name)
    moved = xp.moveaxis(a, d, 0)
    if moved.shape[0] and any(s == 0 for s in moved.shape[1:]):
        raise RuntimeError(f"{name}(): There are 0 sized dimensions, and they aren't selected, "
                           f"so unique cannot be applied (shape {list(a.shape)}, dim {d})")
    rows = moved.reshape(moved.shape[0], int(np.prod(moved.shape[1:])))
    order = None
    if not consecutive and rows.shape[0]:
        order = xp.lexsort(rows.T[::-1])  # rows in lexicographic order (stable)
        rows = rows[order]
    vals, inv, counts = _runs(xp, rows, _rows_differ(xp, rows))
    if order is not None:
        inv = _scatter_inverse(xp, inv, order)
    out = xp.moveaxis(vals.reshape((vals.shape[0],) + moved.shape[1:]), 0, d)
    return out, inv, counts


def _scatter_inverse(xp, inv_sorted, order):
    inv = xp.empty_like(inv_sorted)
    inv[order] = inv_sorted
    return inv


def _unique_result(out, inv, counts, return_inverse, return_counts):
    res = (_const(out),)
    if return_inverse:
        res += (_const(inv),)
    if return_counts:
        res += (_const(counts),)
    return res[0] if len(res) == 1 else res


def unique(input: Tensor, sorted: bool = True, return_inverse: bool = False,  # noqa: A002
           return_counts: bool = False, dim=None):
    """The distinct elements of ``input`` in ascending order (``dim``: distinct slices along
    ``dim``, in lexicographic order), with optionally the inverse indices (where each element
    went) and the counts. NaNs are all distinct, as in PyTorch.

    ``sorted=False`` gives the sorted result as well, which is what PyTorch's CPU
    implementation returns. Not differentiable.
    """
    if not isinstance(sorted, (bool, np.bool_)):
        raise TypeError(f"unique(): argument 'sorted' must be bool, not {type(sorted).__name__}")
    out, inv, counts = _unique_impl(input, dim, False, "unique")
    return _unique_result(out, inv, counts, return_inverse, return_counts)


def unique_consecutive(input: Tensor, return_inverse: bool = False, return_counts: bool = False,
                       dim=None):
    """Collapse each run of equal consecutive elements (or slices along ``dim``) to one, with
    optionally the inverse indices and the run lengths. Not differentiable."""
    out, inv, counts = _unique_impl(input, dim, True, "unique_consecutive")
    return _unique_result(out, inv, counts, return_inverse, return_counts)


# ---------------------------------------------------------------------------- searchsorted


def _bisect(xp, bd, vals, right):
    """PyTorch's binary search, all values at once: bd (R, n), vals (R, M) -> (R, M) positions.

    Left: the first position whose boundary is not below the value (``!(b >= v)`` moves right,
    so a NaN boundary counts as below and a NaN value goes to the end); right: the first whose
    boundary is above it. On sorted boundaries this is ``numpy.searchsorted``; on unsorted
    ones it follows the same path through the boundaries as PyTorch's search does.
    """
    n = bd.shape[-1]
    lo = xp.zeros(vals.shape, dtype=np.int64)
    hi = xp.full(vals.shape, n, dtype=np.int64)
    for _ in range(int(n).bit_length()):
        active = lo < hi
        mid = (lo + hi) // 2
        b = xp.take_along_axis(bd, xp.minimum(mid, n - 1), axis=-1)
        go_right = ~(b > vals) if right else ~(b >= vals)
        lo = xp.where(active & go_right, mid + 1, lo)
        hi = xp.where(active & ~go_right, mid, hi)
    return lo


def _search(bd, vals, right):
    """Positions of raw ``vals`` in raw boundaries ``bd`` (1-D, or matching leading dims)."""
    xp = xp_of(bd)
    n = bd.shape[-1]
    # sorted and free of NaN (a NaN fails every comparison; bd[0] is checked on its own)
    if bd.ndim == 1 and n and bool((bd[1:] >= bd[:-1]).all()) and bool(bd[0] == bd[0]):
        out = xp.searchsorted(bd, vals.reshape(-1), side="right" if right else "left")
        return out.reshape(vals.shape).astype(np.int64, copy=False)
    if bd.ndim == 1:
        return _bisect(xp, bd.reshape(1, n), vals.reshape(1, vals.size), right).reshape(vals.shape)
    rows = int(np.prod(bd.shape[:-1]))
    per_row = vals.shape[-1]
    return _bisect(xp, bd.reshape(rows, n), vals.reshape(rows, per_row), right).reshape(vals.shape)


def _tensor_arg(name, what, t):
    if not isinstance(t, Tensor):
        raise TypeError(f"{name}(): argument '{what}' must be Tensor, not {type(t).__name__}")


def _check_sorter(sorter, bd):
    if not isinstance(sorter, Tensor):
        raise TypeError(f"searchsorted(): argument 'sorter' must be Tensor, not "
                        f"{type(sorter).__name__}")
    if sorter._data.dtype != np.int64:
        raise RuntimeError(f"searchsorted(): sorter must be a tensor of long dtype but got dtype "
                           f"{sorter.dtype}")
    if sorter._data.shape != bd._data.shape:
        raise RuntimeError(f"searchsorted(): boundary and sorter must have the same size, but "
                           f"got boundary tensor {list(bd.shape)} and got sorter tensor "
                           f"{list(sorter.shape)}")
    s = sorter._data
    if s.size and (int(s.min()) < 0 or int(s.max()) >= bd._data.shape[-1]):
        raise RuntimeError("searchsorted(): sorter index out of range")


def searchsorted(sorted_sequence: Tensor, input, *, out_int32: bool = False,
                 right: bool = False, side=None, out=None, sorter=None) -> Tensor:
    """For each value of ``input``, the index in the innermost dim of ``sorted_sequence`` where
    inserting it keeps that dim sorted: the first index whose boundary is ``>=`` the value
    (``right=True`` or ``side='right'``: ``>``). ``sorted_sequence`` is 1-D, or has ``input``'s
    leading dims; ``sorter`` gives the sorting order of an unsorted sequence."""
    _no_out("searchsorted", out)
    if side is not None:
        if side not in ("left", "right"):
            raise RuntimeError(f"searchsorted(): side can only be 'left' or 'right' but got "
                               f"{side}")
        if side == "left" and right:
            raise RuntimeError("searchsorted(): side and right can't be set to opposites, got "
                               "side of left while right was True")
        right = side == "right"
    bd = sorted_sequence
    _tensor_arg("searchsorted", "sorted_sequence", bd)
    for other in (input, sorter):
        if isinstance(other, Tensor) and other.device != bd.device:
            raise RuntimeError(f"searchsorted(): expected all tensors to be on the same device, "
                               f"but found at least two devices, {bd.device} and {other.device}!")
    if bd._data.ndim == 0:
        raise RuntimeError("searchsorted(): boundaries tensor should have positive dimension, "
                           "but got 0 dimension")
    v = as_tensor_arg(input, bd, "searchsorted")
    if bd._data.ndim > 1:
        if v._data.ndim == 0:
            raise RuntimeError(
                f"searchsorted(): input value can be a scalar only when boundaries tensor "
                f"dimension is 1, but we got boundaries tensor dim({bd._data.ndim}) and input "
                f"value's dim(0) numel(1)")
        if v._data.shape[:-1] != bd._data.shape[:-1]:
            raise RuntimeError(
                f"searchsorted(): boundaries tensor should be 1 dimension or the first N-1 "
                f"dimensions of boundaries tensor and input value tensor must match, but we got "
                f"boundaries tensor {list(bd.shape)} and input value tensor {list(v.shape)}")
    b = bd._data
    if sorter is not None:
        _check_sorter(sorter, bd)
        b = xp_of(b).take_along_axis(b, sorter._data, axis=-1)
    dt = result_dtype(bd, v)  # both in their common dtype, as PyTorch compares them
    if dt == np.bool_:
        raise NotImplementedError('"searchsorted_out_cpu" not implemented for \'Bool\'')
    vals = v._data.astype(dt, copy=False)
    pos = _search(b.astype(dt, copy=False), vals, bool(right))
    return _const(pos.astype(np.int32 if out_int32 else np.int64, copy=False))


def bucketize(input, boundaries: Tensor, *, out_int32: bool = False, right: bool = False,
              out=None) -> Tensor:
    """The bucket of each value of ``input`` given sorted 1-D ``boundaries``: the index ``i``
    with ``boundaries[i-1] < x <= boundaries[i]`` (``right=True``: ``boundaries[i-1] <= x <
    boundaries[i]``), i.e. ``searchsorted(boundaries, input)``."""
    _no_out("bucketize", out)
    _tensor_arg("bucketize", "boundaries", boundaries)
    if boundaries._data.ndim != 1:
        raise RuntimeError(f"bucketize(): boundaries tensor must be 1 dimension, but got "
                           f"dim({boundaries._data.ndim})")
    return searchsorted(boundaries, input, out_int32=out_int32, right=right)


# ---------------------------------------------------------------------------- histc, bincount


def _number(name, what, v):
    if isinstance(v, Tensor):
        return float(v.item())
    if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name}(): argument '{what}' must be Number, not {type(v).__name__}")
    return float(v)


def histc(input: Tensor, bins: int = 100, min=0, max=0, *, out=None) -> Tensor:  # noqa: A002
    """Histogram of ``input`` with ``bins`` equal-width bins over ``[min, max]``; elements
    outside it (and NaNs) are not counted. ``min == max`` takes the range of the data
    (widened by 1 on each side when that is a single value). Floating inputs; not
    differentiable."""
    _no_out("histc", out)
    bins = operator.index(bins) if not isinstance(bins, float) else None
    if bins is None:
        raise TypeError("histc(): argument 'bins' must be int, not float")
    lo, hi = _number("histc", "min", min), _number("histc", "max", max)
    a = input._data
    if a.dtype.kind != "f":
        raise NotImplementedError(f'"histogram_cpu" not implemented for {input.dtype}: histc '
                                  "takes floating tensors")
    if bins <= 0:
        raise RuntimeError(f"histc(): bins must be > 0, but got {bins}")
    xp = xp_of(a)
    flat = a.reshape(-1)
    if lo == hi and flat.size:
        lo, hi = float(flat.min()), float(flat.max())
    if lo == hi:
        lo, hi = lo - 1, hi + 1
    if not (math.isfinite(lo) and math.isfinite(hi)):
        raise RuntimeError(f"histc(): range of [{lo:g}, {hi:g}] is not finite")
    if not lo < hi:
        raise RuntimeError("histc(): max must be larger than min")
    left, right = a.dtype.type(lo), a.dtype.type(hi)  # the edges in the input's dtype
    x = flat[(flat >= left) & (flat <= right)]
    with backend.errstate(xp, over="ignore", invalid="ignore"):
        pos = ((x - left) * bins / (right - left)).astype(np.int64)  # PyTorch's arithmetic
    pos = xp.minimum(pos, bins - 1)  # the right edge belongs to the last bin
    return _const(xp.bincount(pos, minlength=bins).astype(a.dtype))


def bincount(input: Tensor, weights=None, minlength: int = 0) -> Tensor:
    """Count of each value 0, 1, ... in a 1-D tensor of non-negative integers (``weights``:
    their sum), with at least ``minlength`` bins. Not differentiable."""
    _tensor_arg("bincount", "input", input)
    a = input._data
    if a.dtype.kind not in "iu":
        name = "Bool" if a.dtype.kind == "b" else str(input.dtype).replace("ember.", "")
        raise NotImplementedError(f'"bincount_cpu" not implemented for \'{name}\': bincount '
                                  "counts integers")
    minlength = operator.index(minlength)
    if minlength < 0:
        raise RuntimeError("bincount(): minlength should be >= 0")
    xp = xp_of(a)
    if a.ndim != 1 or (a.size and int(a.min()) < 0):
        raise RuntimeError(f"bincount only supports 1-d non-negative integral inputs (got shape "
                           f"{list(a.shape)})")
    if weights is not None:
        _tensor_arg("bincount", "weights", weights)
        if weights.device != input.device:
            raise RuntimeError(f"bincount(): expected all tensors to be on the same device, but "
                               f"found at least two devices, {input.device} and "
                               f"{weights.device}!")
    if weights is not None and (weights._data.ndim != 1 or weights._data.shape != a.shape):
        raise RuntimeError(f"bincount(): weights should be 1-d and have the same length as input "
                           f"(input {list(a.shape)}, weights {list(weights.shape)})")
    if a.size == 0:  # PyTorch: int64 zeros, weights or not
        return _const(xp.zeros(minlength, dtype=np.int64))
    if weights is None:
        return _const(xp.bincount(a, minlength=minlength).astype(np.int64, copy=False))
    w = weights._data
    dt = np.float32 if w.dtype == np.float32 else np.float64
    counts = xp.bincount(a, weights=w.astype(np.float64, copy=False), minlength=minlength)
    return _const(counts.astype(dt, copy=False))
