"""Grids, products and repeats of indices: ``meshgrid``, ``cartesian_prod``,
``combinations``, ``repeat_interleave``, ``tril_indices``/``triu_indices``, and the
deprecated ``range`` and out-of-place ``fill``.

The differentiable ones are compositions of views and gathers (``expand``, indexing), so
their gradients are those of the ops they are made of.
"""
from __future__ import annotations

import math
import numbers
import warnings

import numpy as np

from .. import backend
from ..tensor import Tensor, _wrap
from ._util import norm_dim, xp_of
from .index import GetItem
from .shape import expand, stack

__all__ = ["meshgrid", "cartesian_prod", "combinations", "repeat_interleave", "tril_indices",
           "triu_indices", "range", "fill"]

_range = range  # the builtin, before this module's torch-named ``range`` hides it
_warned_meshgrid = [False]


def _tensor_list(tensors):
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise TypeError(f"expected Tensor as element {i} in argument 0, but got "
                            f"{type(t).__name__}")
    return tensors


def meshgrid(*tensors, indexing: str | None = None):
    """Coordinate grids from 1-D (or 0-D) tensors: output i is tensor i expanded over the
    grid (a view). ``indexing='ij'`` gives shape (len0, len1, ...), ``'xy'`` swaps the first
    two; without ``indexing`` it is ``'ij'`` with PyTorch's warning (once)."""
    tensors = _tensor_list(tensors)
    if not tensors:
        raise RuntimeError("meshgrid expects a non-empty TensorList")
    if indexing is None:
        if not _warned_meshgrid[0]:
            _warned_meshgrid[0] = True
            warnings.warn("torch.meshgrid: in an upcoming release, it will be required to pass "
                          "the indexing argument.", UserWarning, stacklevel=2)
        indexing = "ij"
    if indexing not in ("ij", "xy"):
        raise RuntimeError(f"torch.meshgrid: indexing must be one of \"xy\" or \"ij\", but "
                           f"received: {indexing}")
    for t in tensors:
        if t._data.ndim > 1:
            raise RuntimeError(f"torch.meshgrid: Expected 0D or 1D tensor in the tensor list "
                               f"but got a tensor of shape {list(t.shape)}")
    if any(t._data.dtype != tensors[0]._data.dtype for t in tensors):
        raise RuntimeError("meshgrid expects all tensors to have the same dtype")
    if any(type(t._data) is not type(tensors[0]._data) for t in tensors):
        raise RuntimeError("meshgrid expects all tensors to have the same device")
    sizes = [t._data.size for t in tensors]
    axes = list(_range(len(tensors)))
    if indexing == "xy" and len(tensors) >= 2:
        axes[0], axes[1] = 1, 0
    shape = [0] * len(tensors)
    for i, a in enumerate(axes):
        shape[a] = sizes[i]
    out = []
    for t, a in zip(tensors, axes):
        view = [1] * len(tensors)
        view[a] = t._data.size
        out.append(expand(t.reshape(view), tuple(shape)))
    return tuple(out)


def _vector(t):
    if t._data.ndim != 1:
        raise RuntimeError(f"Expect a 1D vector, but got shape {list(t.shape)}")


def cartesian_prod(*tensors) -> Tensor:
    """The Cartesian product of 1-D tensors as rows (``itertools.product`` order); one tensor
    is returned as it is."""
    tensors = _tensor_list(tensors)
    for t in tensors:
        _vector(t)
    if len(tensors) == 1:
        return tensors[0]
    grids = meshgrid(*tensors, indexing="ij")
    return stack([g.reshape(-1) for g in grids], 1)


def _combination_rows(xp, n, r, with_replacement):
    """All r-combinations of range(n) in lexicographic order, as an (count, r) int64 array,
    built a column at a time (each row followed by every allowed next value)."""
    rows = xp.arange(n, dtype=np.int64)[:, None]
    for _ in _range(1, r):
        start = rows[:, -1] + (0 if with_replacement else 1)
        counts = xp.maximum(n - start, 0)
        total = int(counts.sum())
        owner = xp.repeat(xp.arange(rows.shape[0], dtype=np.int64), counts)
        first = xp.cumsum(counts) - counts
        nxt = start[owner] + xp.arange(total, dtype=np.int64) - first[owner]
        rows = xp.concatenate([rows[owner], nxt[:, None]], axis=1)
    return rows


def combinations(input: Tensor, r: int = 2, with_replacement: bool = False) -> Tensor:
    """All length-``r`` combinations of the elements of a 1-D tensor, one per row
    (``itertools.combinations`` order, or ``combinations_with_replacement``)."""
    if input._data.ndim != 1:
        raise RuntimeError(f"Expect a 1D vector, but got shape {list(input.shape)}")
    if r < 0:
        raise RuntimeError(f"Expect a non-negative number, but got {r}")
    xp = xp_of(input._data)
    if r == 0:
        return _wrap(xp.empty((0,), dtype=input._data.dtype), False, None, 0)
    rows = _combination_rows(xp, input._data.shape[0], int(r), bool(with_replacement))
    if rows.shape[0] == 0:
        rows = xp.zeros((0, r), dtype=np.int64)
    return GetItem.apply(input, (rows,))


def _int_kind_name(arr):
    return {"f": "Float", "d": "Double", "e": "Half", "B": "Byte", "b": "Char", "h": "Short",
            "?": "Bool"}.get(arr.dtype.char, str(arr.dtype))


def repeat_interleave(input: Tensor, repeats=None, dim: int | None = None, *,
                      output_size: int | None = None) -> Tensor:
    """Repeat each element (each slice along ``dim``) ``repeats`` times, in place order:
    ``[a, b]`` -> ``[a, a, b, b]``. ``repeats`` is an int or a tensor of one count per element
    (or one for all); without ``dim`` the input is flattened first. With one tensor argument
    (``repeat_interleave(counts)``) it gives ``arange(len(counts))`` repeated by the counts.
    ``output_size`` is the total length, checked when given."""
    if repeats is None:  # the one-argument form: ``input`` holds the counts
        counts = input
        if counts._data.ndim != 1:
            raise RuntimeError("repeat_interleave only accept 1D vector as repeat")
        if dim is not None:
            raise TypeError("repeat_interleave(repeats): takes no dim")
        reps = _counts(counts)
        if output_size is not None and int(reps.sum()) != output_size:
            raise RuntimeError("allocated size does not match required size")
        xp = xp_of(counts._data)
        idx = xp.repeat(xp.arange(reps.shape[0], dtype=np.int64), reps)
        return _wrap(idx.astype(counts._data.dtype, copy=False), False, None, 0)
    x = input.reshape(-1) if dim is None else input
    if x._data.ndim == 0:
        x = x.reshape(1)
    d = 0 if dim is None else norm_dim(dim, x._data.ndim, "repeat_interleave")
    n = x._data.shape[d]
    xp = xp_of(x._data)
    if isinstance(repeats, Tensor):
        if repeats._data.ndim > 1:
            raise RuntimeError("repeats must be 0-dim or 1-dim tensor")
        reps = _counts(repeats).reshape(-1)
        if reps.shape[0] == 1 and n != 1:
            reps = xp.repeat(reps, n)
        elif reps.shape[0] != n:
            raise RuntimeError(f"repeats must have the same size as input along dim, but got "
                               f"repeats.size(0) = {reps.shape[0]} and input.size({d}) = {n}")
        if output_size is not None and int(reps.sum()) != output_size:
            raise RuntimeError("allocated size does not match required size")
    elif isinstance(repeats, numbers.Integral) and not isinstance(repeats, bool):
        if repeats < 0:
            raise RuntimeError("Repeats must be non-negative")
        if output_size is not None and n * int(repeats) != output_size:
            raise RuntimeError(f"repeat_interleave: Invalid output_size, expected "
                               f"{n * int(repeats)} but got {output_size}")
        reps = int(repeats)
    else:
        raise TypeError(f"repeat_interleave(): argument 'repeats' must be an int or a Tensor, "
                        f"not {type(repeats).__name__}")
    idx = xp.repeat(xp.arange(n, dtype=np.int64), reps)
    return GetItem.apply(x, (slice(None),) * d + (idx,))


def _counts(t: Tensor):
    arr = t._data
    if arr.dtype.kind not in "iu" or arr.dtype == np.uint8:
        raise NotImplementedError(f"\"repeat_interleave_cpu\" not implemented for "
                                  f"'{_int_kind_name(arr)}'")
    arr = arr.astype(np.int64, copy=False)
    if arr.size and int(arr.min()) < 0:
        raise RuntimeError("repeats can not be negative")
    return arr


def _triangle_indices(name, lower):
    def fn(row: int, col: int, offset: int = 0, *, dtype=None, device=None,
           layout=None) -> Tensor:
        from .creation import _finish, _xp_for  # noqa: PLC0415
        from .strided import _check_layout  # noqa: PLC0415

        _check_layout(name, layout)
        dt = backend.int64 if dtype is None else backend.to_dtype(dtype)
        if dt not in (backend.int32, backend.int64):
            raise NotImplementedError(f"\"{name}\" not implemented for "
                                      f"'{_int_kind_name(np.empty(0, dt.np))}'")
        if row < 0:
            raise RuntimeError(f"row must be non-negative, got{row}")
        if col < 0:
            raise RuntimeError(f"col must be non-negative, got{col}")
        xp = _xp_for(device)
        rows = xp.arange(row, dtype=np.int64)[:, None]
        cols = xp.arange(col, dtype=np.int64)[None, :]
        keep = (cols - rows <= offset) if lower else (cols - rows >= offset)
        r, c = xp.nonzero(keep)
        return _finish(xp.stack([r, c]).astype(dt.np), False)
    fn.__name__ = name
    fn.__doc__ = (f"The (2, N) row and column indices of the {'lower' if lower else 'upper'} "
                  f"triangle of a ``row`` x ``col`` matrix (elements with column - row "
                  f"{'<=' if lower else '>='} ``offset``), in row-major order.")
    return fn


tril_indices = _triangle_indices("tril_indices", True)
triu_indices = _triangle_indices("triu_indices", False)


def range(start=0, end=None, step=1, *, dtype=None, layout=None, device=None,  # noqa: A001
          requires_grad: bool = False) -> Tensor:
    """Deprecated (with PyTorch's warning): values from ``start`` to ``end`` *inclusive* by
    ``step``, in the default dtype unless ``dtype`` says otherwise. Use ``arange``."""
    from .creation import _finish, _float_dtype, _xp_for  # noqa: PLC0415
    from .strided import _check_layout  # noqa: PLC0415

    warnings.warn("torch.range is deprecated and will be removed in a future release because "
                  "its behavior is inconsistent with Python's range builtin. Instead, use "
                  "torch.arange, which produces values in [start, end).", UserWarning,
                  stacklevel=2)
    _check_layout("range", layout)
    if end is None:
        raise TypeError("range() missing 1 required positional arguments: \"end\"")
    vals = [v.item() if isinstance(v, Tensor) else v for v in (start, end, step)]
    if vals[2] == 0:
        raise RuntimeError("step must be nonzero")
    if (vals[1] - vals[0]) * vals[2] < 0:
        raise RuntimeError("upper bound and lower bound inconsistent with step sign")
    n = int(math.floor((vals[1] - vals[0]) / vals[2])) + 1
    xp = _xp_for(device)
    arr = vals[0] + xp.arange(n, dtype=np.float64) * vals[2]
    return _finish(arr.astype(_float_dtype(dtype)), requires_grad)


def fill(input: Tensor, value) -> Tensor:
    """A new tensor of ``input``'s shape and dtype filled with ``value`` (a number or a 0-d
    tensor, which then gets the sum of the gradient; ``input`` gets none)."""
    from .elementwise import where  # noqa: PLC0415

    xp = xp_of(input._data)
    if isinstance(value, Tensor):
        if value._data.ndim:
            raise RuntimeError(f"fill_ only supports 0-dimension value tensor but got tensor "
                               f"with {value._data.ndim} dimensions.")
        v = value.to(input.dtype) if value.requires_grad else _wrap(
            value._data.astype(input._data.dtype), False, None, 0)
    else:
        v = _wrap(xp.asarray(value).astype(input._data.dtype), False, None, 0)
    everywhere = _wrap(xp.ones(input._data.shape, dtype=bool), False, None, 0)
    if not (input.requires_grad or v.requires_grad):
        return _wrap(xp.broadcast_to(v._data, input._data.shape).copy(), False, None, 0)
    return where(everywhere, v, input)
