"""Sorting and selection along a dim: sort, argsort, msort, topk, kthvalue, median, nanmedian, mode.

Each op picks elements of its input, so its gradient goes back to the picked positions: a
scatter of the upstream gradient into zeros, written with ember's ``ScatterAdd`` so that it is
differentiable again (double backward). NaN ranks above every number, as in PyTorch.

Among equal values, the index ember returns is the one a stable sort gives: ``sort`` and
``argsort`` keep equal values in their original order (PyTorch's ``stable=True``), ``kthvalue``
and ``median`` return the index that sits at the k-th position of that order, ``mode`` the
last occurrence of the most frequent value (the smallest such value), ``topk`` the lowest
indices first (except where a large row is partitioned: see :func:`topk`).
"""
from __future__ import annotations

import operator

import numpy as np

from .. import return_types as RT
from ..autograd.function import Op
from ..tensor import Tensor, _wrap
from ._util import norm_dim, xp_of
from .index import ScatterAdd, _along

__all__ = ["sort", "argsort", "msort", "topk", "kthvalue", "median", "nanmedian", "mode"]

# Rows up to this long are fully sorted by topk; longer rows with a small k are partitioned.
_TOPK_FULL_SORT = 256


# ---------------------------------------------------------------------------- raw helpers


def stable_argsort(xp, a, axis: int, descending: bool = False):
    """Indices that sort raw ``a`` along ``axis``; equal values keep their order, NaN last
    (first when ``descending``). Works for bool and unsigned dtypes (no negation)."""
    n = a.shape[axis]
    if a.dtype.kind == "f" and n > 1:
        # NumPy's default sort is several times faster than its stable one on floats, and
        # gives the same order when no two values are equal (the usual case): check that.
        idx = xp.argsort(a, axis=axis)
        s = xp.take_along_axis(a, idx, axis=axis)
        first = _narrow(s, axis, 0, n - 1)
        if not bool(((first == _narrow(s, axis, 1, n)) | xp.isnan(first)).any()):
            return xp.flip(idx, axis) if descending else idx
    if not descending:
        return xp.argsort(a, axis=axis, kind="stable")
    idx = xp.argsort(xp.flip(a, axis), axis=axis, kind="stable")
    return (n - 1) - xp.flip(idx, axis)


def _narrow(a, axis, start, stop):
    return a[(slice(None),) * axis + (slice(start, stop),)]


def _topk_idx(xp, a, k, axis, largest):
    n = a.shape[axis]
    if n <= _TOPK_FULL_SORT or 8 * k >= n or k == 0:
        return _narrow(stable_argsort(xp, a, axis, largest), axis, 0, k)
    # Partition (O(n)), then sort the k candidates: by index first, so that equal values
    # keep index order in the stable sort by value that follows.
    part = xp.argpartition(a, n - k if largest else k - 1, axis=axis)
    cand = _narrow(part, axis, n - k, n) if largest else _narrow(part, axis, 0, k)
    cand = xp.sort(cand, axis=axis)
    order = stable_argsort(xp, xp.take_along_axis(a, cand, axis=axis), axis, largest)
    return xp.take_along_axis(cand, order, axis=axis)


def _at_sorted_position(xp, a, pos, axis):
    """Index (keepdim shape) of the element at 0-based position ``pos`` of a stable ascending
    sort along ``axis``; ``pos`` is an int or an array in the keepdim shape."""
    order = stable_argsort(xp, a, axis)
    if isinstance(pos, int):
        return _narrow(order, axis, pos, pos + 1)
    return xp.take_along_axis(order, pos, axis=axis)


def _kth_idx(xp, a, k, axis):
    return _at_sorted_position(xp, a, k - 1, axis)


def _median_idx(xp, a, axis, ignore_nan):
    """Index (keepdim shape) of the lower median along ``axis``. ``median``: a row holding
    NaN gives its first NaN; ``nanmedian``: the median of the numbers (index 0 if none)."""
    n = a.shape[axis]
    if a.dtype.kind != "f":
        return _at_sorted_position(xp, a, (n - 1) // 2, axis)
    nan = xp.isnan(a)
    if ignore_nan:
        count = (~nan).sum(axis=axis, keepdims=True)
        pos = xp.where(count > 0, (count - 1) // 2, 0).astype(np.int64)
        return _at_sorted_position(xp, a, pos, axis)
    idx = _at_sorted_position(xp, a, (n - 1) // 2, axis)
    has_nan = nan.any(axis=axis, keepdims=True)
    if bool(has_nan.any()):
        idx = xp.where(has_nan, xp.argmax(nan, axis=axis, keepdims=True), idx)
    return idx


def _mode_idx(xp, a, axis):
    """Index (keepdim shape) of the mode along ``axis``: the most frequent value (the smallest
    of equally frequent ones), at its last occurrence. NaNs count as one value."""
    m = xp.moveaxis(a, axis, -1)
    order = stable_argsort(xp, m, m.ndim - 1)
    s = xp.take_along_axis(m, order, axis=-1)
    new = s[..., 1:] != s[..., :-1]
    if s.dtype.kind == "f":
        new &= ~(xp.isnan(s[..., 1:]) & xp.isnan(s[..., :-1]))
    ones = xp.ones(s.shape[:-1] + (1,), dtype=bool)
    starts = xp.flatnonzero(xp.concatenate([ones, new], axis=-1))  # run starts, rows flattened
    total = s.size
    lengths = xp.diff(xp.concatenate([starts, xp.asarray([total], dtype=starts.dtype)]))
    run_len = xp.zeros(total, dtype=np.int64)
    run_len[starts + lengths - 1] = lengths  # each run's length at its last position
    best = xp.argmax(run_len.reshape(s.shape), axis=-1)[..., None]  # first max: smallest value
    return xp.moveaxis(xp.take_along_axis(order, best, axis=-1), -1, axis)


# ---------------------------------------------------------------------------- the ops


def _finish(ctx, x, dim, keepdim, idx):
    """``(values, indices)`` of raw ``x`` at ``idx`` (taken along ``dim``; idx has x's ndim)."""
    xp = xp_of(x)
    idx = idx.astype(np.int64, copy=False)
    vals = xp.take_along_axis(x, idx, axis=dim)
    ctx.shape, ctx.dim, ctx.keepdim, ctx.idx = x.shape, dim, keepdim, idx
    if not keepdim:
        vals, idx = vals.squeeze(dim), idx.squeeze(dim)
    ctx.mark_non_differentiable(idx)
    ctx.set_materialize_grads(False)
    return vals, idx


class _Pick(Op):
    """Base of the selecting ops: ``forward(ctx, x, dim, keepdim, arg)`` returns
    ``(values, indices)``. Backward: g added at the indices along dim, zeros elsewhere."""

    distinct = True  # an index never repeats along dim (cummax/cummin say False)

    @staticmethod
    def backward(ctx, g, _gi=None):
        if not ctx.keepdim:
            g = g.unsqueeze(ctx.dim)
        zeros = _wrap(xp_of(g._data).zeros(ctx.shape, dtype=g._data.dtype), False, None, 0)
        return ScatterAdd.apply(zeros, g, ctx.dim, ctx.idx), None, None, None

    @staticmethod
    def fast_backward(ctx, g, _gi=None):
        xp = xp_of(g)
        out = xp.zeros(ctx.shape, dtype=g.dtype)
        if not ctx.keepdim:
            g = xp.expand_dims(g, ctx.dim)
        pos = _along(ctx.idx, ctx.dim)
        if ctx._fn.distinct:
            out[pos] = g
        else:
            xp.add.at(out, pos, g)
        return out, None, None, None


class Sort(_Pick):
    """Stable sort along dim (``arg``: descending)."""

    @staticmethod
    def forward(ctx, x, dim, keepdim, descending):
        return _finish(ctx, x, dim, keepdim, stable_argsort(xp_of(x), x, dim, descending))


class Topk(_Pick):
    """The k largest (or smallest) along dim, in order (``arg``: (k, largest))."""

    @staticmethod
    def forward(ctx, x, dim, keepdim, arg):
        k, largest = arg
        return _finish(ctx, x, dim, keepdim, _topk_idx(xp_of(x), x, k, dim, largest))


class Kthvalue(_Pick):
    """The k-th smallest along dim (``arg``: k)."""

    @staticmethod
    def forward(ctx, x, dim, keepdim, k):
        return _finish(ctx, x, dim, keepdim, _kth_idx(xp_of(x), x, k, dim))


class Median(_Pick):
    """The lower median along dim (``arg``: ignore NaN, for nanmedian)."""

    @staticmethod
    def forward(ctx, x, dim, keepdim, ignore_nan):
        return _finish(ctx, x, dim, keepdim, _median_idx(xp_of(x), x, dim, ignore_nan))


class Mode(_Pick):
    """The most frequent value along dim."""

    @staticmethod
    def forward(ctx, x, dim, keepdim, _arg):
        return _finish(ctx, x, dim, keepdim, _mode_idx(xp_of(x), x, dim))


class MedianAll(Op):
    """The lower median of all elements. Backward: g shared evenly among the elements equal
    to the median (the NaNs, when it is NaN), as PyTorch does."""

    @staticmethod
    def forward(ctx, x, ignore_nan):
        xp = xp_of(x)
        flat = x.reshape(1, -1)
        if flat.size == 0:  # PyTorch: NaN (an integer dtype's NaN is its most negative value)
            fill = np.nan if x.dtype.kind == "f" else np.iinfo(x.dtype).min
            out = xp.full((), fill, dtype=x.dtype)
        else:
            out = xp.take_along_axis(flat, _median_idx(xp, flat, 1, ignore_nan), axis=1)
            out = out.reshape(())
        ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx, g):
        x, out = ctx.saved_tensors
        xd, od = x._data, out._data
        xp = xp_of(xd)
        mask = xp.isnan(xd) if bool(xp.isnan(od)) else (xd == od)
        share = xp.asarray(mask / max(int(mask.sum()), 1), dtype=xd.dtype)
        return g * _wrap(share, False, None, 0), None


# ---------------------------------------------------------------------------- the functions


def _no_out(name, out):
    if out is not None:
        raise NotImplementedError(f"{name}(): out= is not supported by ember; use the returned "
                                  "tensor(s)")


def _check_bool(name, what, value):
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name}(): argument '{what}' must be bool, not {type(value).__name__}")
    return bool(value)


def _int_arg(name, what, value, pos):
    try:
        return operator.index(value)
    except TypeError:
        raise TypeError(f"{name}(): argument '{what}' (position {pos}) must be int, not "
                        f"{type(value).__name__}") from None


def _not_bool(name, t):
    if t._data.dtype == np.bool_:
        raise NotImplementedError(f'"{name}_cpu" not implemented for \'Bool\'')


def _nonempty(name, t, d):
    if t._data.ndim and t._data.shape[d] == 0:
        raise IndexError(f"{name}(): Expected reduction dim {d} to have non-zero size.")


def _pick(op, input, dim, keepdim, arg):
    """Apply a selecting op; a 0-d input is treated as one element along dim 0."""
    if input._data.ndim == 0:
        vals, idx = op.apply(input.reshape(1), 0, True, arg)
        return vals.reshape(()), idx.reshape(())
    return op.apply(input, dim, keepdim, arg)


def sort(input: Tensor, dim: int = -1, descending: bool = False, *, stable=False, out=None):
    """Sort along ``dim``: ``(values, indices)`` with ``values == input.gather(dim, indices)``.

    ember's sort is always stable: equal values keep their order (PyTorch's
    ``stable=False`` leaves their order unspecified). NaN sorts above every number.
    """
    _no_out("sort", out)
    if stable is not None:
        _check_bool("sort", "stable", stable)
    d = norm_dim(_int_arg("sort", "dim", dim, 2), input._data.ndim, "sort")
    vals, idx = _pick(Sort, input, d, True, bool(descending))
    return RT.sort((vals, idx))


def argsort(input: Tensor, dim: int = -1, descending: bool = False, *, stable: bool = False):
    """The indices that sort ``input`` along ``dim`` (stable: see :func:`sort`)."""
    _check_bool("argsort", "stable", stable)
    d = norm_dim(_int_arg("argsort", "dim", dim, 2), input._data.ndim, "argsort")
    a = input._data
    xp = xp_of(a)
    if a.ndim == 0:
        return _wrap(xp.zeros((), dtype=np.int64), False, None, 0)
    idx = stable_argsort(xp, a, d, bool(descending)).astype(np.int64, copy=False)
    return _wrap(idx, False, None, 0)


def msort(input: Tensor, *, out=None) -> Tensor:
    """``sort(input, dim=0).values``."""
    _no_out("msort", out)
    return sort(input, 0).values


def topk(input: Tensor, k: int, dim: int = -1, largest: bool = True,
         sorted: bool = True, *, out=None):  # noqa: A002 - PyTorch's name
    """The ``k`` largest (``largest=False``: smallest) elements along ``dim`` and their indices.

    The values always come in order (largest first, or smallest first), which is one of the
    orders PyTorch allows for ``sorted=False``. Equal values come lowest index first. For a
    long row (more than 256 elements) with ``k`` under an eighth of it, the row is
    partitioned instead of sorted; then which of several values equal to the k-th one are
    kept is unspecified, as in PyTorch.
    """
    _no_out("topk", out)
    _check_bool("topk", "sorted", sorted)  # ember's results are always in order
    k = _int_arg("topk", "k", k, 2)
    d = norm_dim(_int_arg("topk", "dim", dim, 3), input._data.ndim, "topk")
    if input._data.dtype == np.bool_:
        raise RuntimeError("topk does not support bool dtypes on CPU")
    n = input._data.shape[d] if input._data.ndim else 1
    if not 0 <= k <= n:
        raise RuntimeError(f"topk(): selected index k out of range (k={k}, dim {d} has size {n})")
    if input._data.ndim == 0:  # PyTorch returns the element for k = 0 and 1 alike
        k = 1
    vals, idx = _pick(Topk, input, d, True, (k, bool(largest)))
    return RT.topk((vals, idx))


def kthvalue(input: Tensor, k: int, dim: int = -1, keepdim: bool = False, *, out=None):
    """The ``k``-th smallest element along ``dim`` (1-based) and its index."""
    _no_out("kthvalue", out)
    k = _int_arg("kthvalue", "k", k, 2)
    d = norm_dim(_int_arg("kthvalue", "dim", dim, 3), input._data.ndim, "kthvalue")
    _not_bool("kthvalue", input)
    _nonempty("kthvalue", input, d)
    n = input._data.shape[d] if input._data.ndim else 1
    if not 1 <= k <= n:
        raise RuntimeError(f"kthvalue(): selected number k out of range for dimension {d}")
    vals, idx = _pick(Kthvalue, input, d, bool(keepdim), k)
    return RT.kthvalue((vals, idx))


def _median(name, input, dim, keepdim, out, ignore_nan):
    _no_out(name, out)
    _not_bool(name, input)
    if dim is None:
        if keepdim:
            raise TypeError(f'{name}() missing 1 required positional arguments: "dim"')
        return MedianAll.apply(input, ignore_nan)
    d = norm_dim(_int_arg(name, "dim", dim, 2), input._data.ndim, name)
    _nonempty(name, input, d)
    vals, idx = _pick(Median, input, d, bool(keepdim), ignore_nan)
    return getattr(RT, name)((vals, idx))


def median(input: Tensor, dim=None, keepdim: bool = False, *, out=None):
    """The lower of the two middle values (a NaN if there is one).

    ``median(x)``: of all elements, a 0-d tensor; ``median(x, dim)``: ``(values, indices)``
    along ``dim``. The gradient of ``median(x)`` is shared among the elements equal to it.
    """
    return _median("median", input, dim, keepdim, out, False)


def nanmedian(input: Tensor, dim=None, keepdim: bool = False, *, out=None):
    """:func:`median` ignoring NaNs (NaN only where every element is NaN)."""
    return _median("nanmedian", input, dim, keepdim, out, True)


def mode(input: Tensor, dim: int = -1, keepdim: bool = False, *, out=None):
    """The most frequent value along ``dim`` (the smallest of equally frequent ones) and the
    index of its last occurrence."""
    _no_out("mode", out)
    d = norm_dim(_int_arg("mode", "dim", dim, 2), input._data.ndim, "mode")
    _nonempty("mode", input, d)
    vals, idx = _pick(Mode, input, d, bool(keepdim), None)
    return RT.mode((vals, idx))
