"""Index updates: ``index_add``, ``index_copy``, ``index_fill``, ``index_put`` (with
``accumulate``), ``scatter_reduce``, ``masked_scatter`` and ``put``.

Each is out of place here (a copy of the input with the update written in); the in-place
methods (``index_add_``...) write that result back into the tensor. Gradients follow
PyTorch's formulas, including its way of sharing the gradient of ``amax``/``amin`` between
tied values.
"""
from __future__ import annotations

import numpy as np

from .. import backend
from ..autograd.function import Op
from ..tensor import Tensor, _wrap
from ._util import norm_dim, xp_of
from .index import (Gather, GetItem, IndexPut, _along, _check_bounds, _check_gather, _norm_index,
                    _pad_to, _scatter_ready, _src_part, gather, scatter)
from .shape import expand, pad

__all__ = ["index_add", "index_copy", "index_fill", "index_put", "index_put_", "scatter_reduce",
           "masked_scatter", "put"]


def _const(arr) -> Tensor:
    return _wrap(arr, False, None, 0)


def _dtype_name(arr):
    return {"f": "Float", "d": "Double", "e": "Half", "l": "Long", "i": "Int", "h": "Short",
            "b": "Char", "B": "Byte", "?": "Bool"}.get(arr.dtype.char, str(arr.dtype))


# ---------------------------------------------------------------------------- index_* along a dim


def _index_vector(name, index: Tensor, n: int, dim: int):
    """The raw int64 1-D index of an index_* op, checked as PyTorch checks it."""
    if not isinstance(index, Tensor):
        raise TypeError(f"{name}(): argument 'index' must be Tensor, not {type(index).__name__}")
    arr = index._data
    if arr.dtype.kind not in "iu" or arr.dtype == np.uint8:
        raise RuntimeError(f"{name}(): Expected dtype int32/int64 for index but got: "
                           f"{_dtype_name(arr)}")
    if arr.ndim > 1:
        raise IndexError(f"{name}(): Index is supposed to be a vector, but got dim: {arr.ndim} "
                         f"with type: {_dtype_name(arr)} and size: {list(arr.shape)}")
    arr = arr.reshape(-1).astype(np.int64, copy=False)
    if arr.size:
        lo, hi = int(arr.min()), int(arr.max())
        if lo < 0 or hi >= n:
            raise RuntimeError(f"index {lo if lo < 0 else hi} is out of bounds for dimension "
                               f"{dim} with size {n}")
    return arr


def _along_dim(dim, index):
    return (slice(None),) * dim + (index,)


def _prepare(name, input: Tensor, dim: int, index: Tensor, source: Tensor):
    """Normalised (input, dim, raw index, source) of index_add/index_copy: 0-d tensors act as
    1-element vectors, shapes and dtypes checked."""
    if not isinstance(source, Tensor):
        raise TypeError(f"{name}(): argument 'source' must be Tensor, not "
                        f"{type(source).__name__}")
    d = norm_dim(dim, input._data.ndim, name)
    x = input.reshape(1) if input._data.ndim == 0 else input
    n = x._data.shape[d]
    idx = _index_vector(name, index, n, d)
    src = source.reshape(1) if source._data.ndim == 0 and x._data.ndim == 1 else source
    if src._data.ndim != x._data.ndim or any(
            a != b for k, (a, b) in enumerate(zip(src._data.shape, x._data.shape)) if k != d):
        raise RuntimeError(f"source tensor shape must match self tensor shape, excluding the "
                           f"specified dimension. Got self.shape = {list(input.shape)} "
                           f"source.shape = {list(source.shape)}")
    if idx.shape[0] != src._data.shape[d]:
        raise RuntimeError(f"{name}(): Number of indices ({idx.shape[0]}) should be equal to "
                           f"source.size(dim): ({src._data.shape[d]}), for dim: {d}")
    if src._data.dtype != x._data.dtype:
        raise RuntimeError(f"{name}(): self ({_dtype_name(x._data)}) and source "
                           f"({_dtype_name(src._data)}) must have the same scalar type")
    if type(src._data) is not type(x._data) or type(idx) is not type(x._data):
        raise RuntimeError(f"{name}(): expected self, index and source on the same device")
    return x, d, idx, src


class IndexAdd(Op):
    """out = x; out[..., index[i], ...] += alpha * src[..., i, ...] along ``dim``.

    Backward: (g, alpha * g.index_select(dim, index)).
    """

    @staticmethod
    def forward(ctx, x, src, dim, index, alpha):
        xp = xp_of(x)
        out = x.copy()
        vals = src if alpha == 1 else (src * alpha).astype(x.dtype, copy=False)
        xp.add.at(out, _along_dim(dim, index), vals)
        ctx.dim, ctx.index, ctx.alpha = dim, index, alpha
        return out

    @staticmethod
    def backward(ctx, g):
        n = ctx.needs_input_grad
        gs = None
        if n[1]:
            gs = GetItem.apply(g, _along_dim(ctx.dim, ctx.index))
            if ctx.alpha != 1:
                gs = gs * ctx.alpha
        return (g if n[0] else None), gs, None, None, None


def index_add(input: Tensor, dim: int, index: Tensor, source: Tensor, *, alpha=1) -> Tensor:
    """A copy of ``input`` with ``alpha * source`` added at ``index`` along ``dim`` (repeated
    indices accumulate)."""
    x, d, idx, src = _prepare("index_add_", input, dim, index, source)
    return IndexAdd.apply(x, src, d, idx, alpha).reshape(input._data.shape)


class IndexCopy(Op):
    """out = x; out[..., index[i], ...] = src[..., i, ...] along ``dim``.

    Backward: (g with zeros at the written slices, g.index_select(dim, index)).
    """

    @staticmethod
    def forward(ctx, x, src, dim, index):
        out = x.copy()
        out[_along_dim(dim, index)] = src
        ctx.dim, ctx.index = dim, index
        return out

    @staticmethod
    def backward(ctx, g):
        n = ctx.needs_input_grad
        gx = IndexFill.apply(g, ctx.dim, ctx.index, 0) if n[0] else None
        gs = GetItem.apply(g, _along_dim(ctx.dim, ctx.index)) if n[1] else None
        return gx, gs, None, None


def index_copy(input: Tensor, dim: int, index: Tensor, source: Tensor) -> Tensor:
    """A copy of ``input`` with the slices of ``source`` written at ``index`` along ``dim``."""
    x, d, idx, src = _prepare("index_copy_", input, dim, index, source)
    return IndexCopy.apply(x, src, d, idx).reshape(input._data.shape)


class IndexFill(Op):
    """out = x with ``value`` written at ``index`` along ``dim``. Backward: g, zero there."""

    @staticmethod
    def forward(ctx, x, dim, index, value):
        out = x.copy()
        out[_along_dim(dim, index)] = value
        ctx.dim, ctx.index = dim, index
        return out

    @staticmethod
    def backward(ctx, g):
        return IndexFill.apply(g, ctx.dim, ctx.index, 0), None, None, None


def index_fill(input: Tensor, dim: int, index: Tensor, value) -> Tensor:
    """A copy of ``input`` with ``value`` (a number or a 0-d tensor) written at ``index``
    along ``dim``; a tensor value that requires grad gets the sum of the gradient there."""
    d = norm_dim(dim, input._data.ndim, "index_fill_")
    x = input.reshape(1) if input._data.ndim == 0 else input
    if isinstance(index, Tensor) and index._data.ndim > 1:
        raise RuntimeError("Index has to be a vector/scalar")
    idx = _index_vector("index_fill_", index, x._data.shape[d], d)
    if isinstance(value, Tensor):
        if value._data.ndim:
            raise RuntimeError(f"index_fill_ only supports a 0-dimensional value tensor, but got "
                               f"tensor with {value._data.ndim} dimension(s).")
        if value.requires_grad:  # each filled slice counts once in the value's gradient
            idx = xp_of(idx).unique(idx)
            shape = list(x._data.shape)
            shape[d] = idx.shape[0]
            src = expand(value.to(x.dtype), tuple(shape))
            return IndexCopy.apply(x, src, d, idx).reshape(input._data.shape)
        value = value.item()
    return IndexFill.apply(x, d, idx, value).reshape(input._data.shape)


# ---------------------------------------------------------------------------- index_put


class IndexPutAccumulate(Op):
    """out = x; out[indices] += values (repeated positions accumulate).

    Backward: (g, g[indices]) (the engine sums the second back to the values' shape).
    """

    @staticmethod
    def forward(ctx, x, v, idx):
        xp = xp_of(x)
        out = x.copy()
        ready = _scatter_ready(idx, x.ndim)
        xp.add.at(out, ready, xp.broadcast_to(v, x[idx].shape))
        ctx.idx = idx
        return out

    @staticmethod
    def backward(ctx, g):
        n = ctx.needs_input_grad
        return (g if n[0] else None), (GetItem.apply(g, ctx.idx) if n[1] else None), None


def index_put(input: Tensor, indices, values: Tensor, accumulate: bool = False) -> Tensor:
    """A copy of ``input`` with ``values`` written at the advanced index ``indices`` (a tuple
    of index tensors, as ``input[indices] = values``), or added there with ``accumulate``."""
    if not isinstance(indices, (tuple, list)):
        raise TypeError(f"index_put(): argument 'indices' (position 1) must be tuple of "
                        f"Tensors, not {type(indices).__name__}")
    for i, k in enumerate(indices):
        if not isinstance(k, Tensor):
            raise TypeError(f"expected Tensor as element {i} in argument 0, but got "
                            f"{type(k).__name__}")
    if not isinstance(values, Tensor):
        raise TypeError(f"index_put(): argument 'values' must be Tensor, not "
                        f"{type(values).__name__}")
    consumed = sum(k._data.ndim if k._data.dtype == np.bool_ else 1 for k in indices)
    if consumed > input._data.ndim:
        raise IndexError(f"too many indices for tensor of dimension {input._data.ndim} (got "
                         f"{consumed})")
    if values._data.dtype != input._data.dtype:
        raise RuntimeError(f"Index put requires the source and destination dtypes match, got "
                           f"{_dtype_name(input._data)} for the destination and "
                           f"{_dtype_name(values._data)} for the source.")
    idx, _ = _norm_index(tuple(indices), input)
    _check_bounds(idx, input._data.shape)
    try:
        if accumulate:
            return IndexPutAccumulate.apply(input, values, idx)
        return IndexPut.apply(input, values, idx)
    except IndexError as exc:
        raise IndexError(f"index_put: {exc} (tensor shape {list(input.shape)})") from None
    except ValueError as exc:
        raise RuntimeError(f"index_put: shape mismatch: values of shape {list(values.shape)} "
                           f"cannot be broadcast to the indexed result ({exc})") from None


def index_put_(input: Tensor, indices, values: Tensor, accumulate: bool = False) -> Tensor:
    """In-place :func:`index_put` (``input[indices] = values``, or ``+=`` with accumulate)."""
    return input._assign_result(index_put(input, indices, values, accumulate), "index_put_")


# ---------------------------------------------------------------------------- scatter_reduce

_REDUCES = ("sum", "prod", "mean", "amax", "amin")


def _lowest(xp, dt):
    return -xp.inf if dt.kind == "f" else np.iinfo(dt).min


def _highest(xp, dt):
    return xp.inf if dt.kind == "f" else np.iinfo(dt).max


class ScatterReduce(Op):
    """out = x, then each out[index[i][j]][j] along ``dim`` reduced with src[i][j] by
    ``reduce`` (sum, prod, mean, amax, amin), starting from x or, without ``include_self``,
    from the written values alone.

    Backward (PyTorch's formulas): sum: (g, gather(g)); mean: both divided by the count;
    prod: the product of the others (zeros handled); amax/amin: g shared equally among the
    values equal to the result. Without ``include_self`` the written positions of x get none.
    """

    @staticmethod
    def forward(ctx, x, src, dim, index, reduce, include_self):
        xp = xp_of(x)
        out = x.copy()
        pos = _along(index, dim)
        s = _src_part(src, index)
        start = {"sum": 0, "mean": 0, "prod": 1, "amax": _lowest(xp, x.dtype),
                 "amin": _highest(xp, x.dtype)}[reduce]
        if not include_self:
            out[pos] = start
        ufunc = {"sum": xp.add, "mean": xp.add, "prod": xp.multiply, "amax": xp.maximum,
                 "amin": xp.minimum}[reduce]
        with backend.errstate(xp, invalid="ignore"):  # NaN propagates, as in PyTorch
            ufunc.at(out, pos, s)
        count = None
        if reduce == "mean":
            count = xp.full(x.shape, 1 if include_self else 0, dtype=np.int64)
            xp.add.at(count, pos, 1)
            count[count == 0] = 1
            out = (out / count).astype(x.dtype) if x.dtype.kind == "f" else \
                xp.floor_divide(out, count).astype(x.dtype)
        ctx.dim, ctx.index, ctx.reduce, ctx.include_self = dim, index, reduce, include_self
        ctx.count, ctx.src_shape = count, src.shape
        if reduce in ("prod", "amax", "amin"):
            ctx.save_for_backward(x, src, out)
        return out

    @staticmethod
    def backward(ctx, g):
        dim, index, reduce = ctx.dim, ctx.index, ctx.reduce
        n = ctx.needs_input_grad
        idx_t = _const(index)
        dt = g._data.dtype
        if reduce == "sum":
            gx, gs = g, Gather.apply(g, dim, index)
        elif reduce == "mean":
            count = _const(ctx.count.astype(dt))
            gx = g / count
            gs = Gather.apply(g, dim, index) / Gather.apply(count, dim, index)
        elif reduce == "prod":
            gx, gs = _prod_grads(g, ctx, idx_t)
        else:
            x, src, out = ctx.saved_tensors
            xd, od = x._data, out._data
            sp = _src_part(src._data, index)
            value = od[_along(index, dim)]
            xp = xp_of(xd)
            self_is = xp.asarray(xd == od, dtype=dt)
            src_is = xp.asarray(sp == value, dtype=dt)
            share = self_is.copy()
            xp.add.at(share, _along(index, dim), src_is)
            gd = g / _const(share)
            gx = gd * _const(self_is)
            gs = Gather.apply(gd, dim, index) * _const(src_is)
        if not ctx.include_self and n[0]:
            gx = scatter(gx, dim, idx_t, 0.0)
        if n[1]:
            gs = _pad_to(gs, ctx.src_shape)
        return (gx if n[0] else None), (gs if n[1] else None), None, None, None, None


def _prod_grads(g, ctx, idx_t):
    """Gradients of a product scatter (PyTorch's: zeros in x and in src handled exactly,
    except several zeros of src meeting at one position, whose second derivative is wrong
    there as in PyTorch)."""
    from .elementwise import where  # noqa: PLC0415

    dim, index, inc = ctx.dim, ctx.index, ctx.include_self
    x, src, out = ctx.saved_tensors
    sp = src[tuple(slice(0, k) for k in index.shape)]
    xd = x._data
    masked_self = x.masked_fill(_const(xd == 0), 1.0)
    gx = g * scatter_reduce(masked_self, dim, idx_t, src, "prod", include_self=inc) / masked_self
    zero = sp._data == 0
    xp = xp_of(xd)
    zeros_at = xp.zeros(xd.shape, dtype=np.int64)
    xp.add.at(zeros_at, _along(index, dim), zero.astype(np.int64))
    single = zero & (zeros_at[_along(index, dim)] == 1)
    masked_src = sp.masked_fill(_const(single), 1.0)
    masked_src_result = scatter_reduce(x, dim, idx_t, masked_src, "prod", include_self=inc)
    gs = where(_const(single), gather(g * masked_src_result, dim, idx_t),
               gather(g * out, dim, idx_t) / sp.masked_fill(_const(zero), 1.0))
    return gx, gs


def scatter_reduce(input: Tensor, dim: int, index: Tensor, src: Tensor, reduce: str, *,
                   include_self: bool = True) -> Tensor:
    """A copy of ``input`` where each ``src[i][j]`` (along ``dim``) is reduced into the
    position ``index`` names, by ``reduce``: ``'sum'``, ``'prod'``, ``'mean'``, ``'amax'`` or
    ``'amin'`` (``'max'``/``'min'`` are accepted as PyTorch accepts them); with
    ``include_self=False`` the input's values at written positions are left out."""
    if not isinstance(src, Tensor):
        raise TypeError(f"scatter_reduce(): argument 'src' (position 3) must be Tensor, not "
                        f"{type(src).__name__}")
    reduce = {"max": "amax", "min": "amin"}.get(reduce, reduce)
    if reduce not in _REDUCES:
        raise RuntimeError(f"reduce argument must be either sum, prod, mean, amax or amin, got "
                           f"{reduce}")
    if src._data.dtype != input._data.dtype:
        raise RuntimeError("scatter(): Expected self.dtype to be equal to src.dtype")
    if reduce == "mean" and input._data.dtype == np.bool_:
        raise RuntimeError("scatter_reduce(): mean is not defined for bool tensors")
    d = norm_dim(dim, input._data.ndim, "scatter_reduce")
    _check_gather("scatter_reduce", input, d, index, src)
    return ScatterReduce.apply(input, src, d, index._data.astype(np.int64, copy=False), reduce,
                               bool(include_self))


# ---------------------------------------------------------------------------- masked_scatter / put


class MaskedScatter(Op):
    """out = x with the first elements of ``src`` (in order) written where ``mask`` is True.

    Backward: (g, zero where written; the written elements of g, in order, for src).
    """

    @staticmethod
    def forward(ctx, x, src, mask):
        k = int(mask.sum())
        out = x.copy()
        out[mask] = src.reshape(-1)[:k]
        ctx.mask, ctx.k, ctx.src_shape = mask, k, src.shape
        return out

    @staticmethod
    def backward(ctx, g):
        n = ctx.needs_input_grad
        gx = gs = None
        if n[0]:
            gx = g * _const(xp_of(g._data).asarray(~ctx.mask, dtype=g._data.dtype))
        if n[1]:
            total = 1
            for s in ctx.src_shape:
                total *= s
            picked = GetItem.apply(g, (ctx.mask,))
            gs = pad(picked, (0, total - ctx.k)).reshape(ctx.src_shape)
        return gx, gs, None


def masked_scatter(input: Tensor, mask: Tensor, source: Tensor) -> Tensor:
    """A copy of ``input`` (broadcast with ``mask``) whose positions where ``mask`` is True
    take ``source``'s elements in row-major order."""
    if mask._data.dtype != np.bool_:
        raise RuntimeError(f"masked_scatter_ only supports boolean masks, but got mask with "
                           f"dtype {_dtype_name(mask._data)}")
    if source._data.dtype != input._data.dtype:
        raise RuntimeError(f"masked_scatter: expected self and source to have same dtypes but "
                           f"got{_dtype_name(input._data)} and {_dtype_name(source._data)}")
    try:
        shape = np.broadcast_shapes(mask._data.shape, input._data.shape)
    except ValueError:
        raise RuntimeError(f"masked_scatter: the mask {list(mask.shape)} and the input "
                           f"{list(input.shape)} are not broadcastable") from None
    x = input if input._data.shape == shape else expand(input, shape)
    m = xp_of(mask._data).broadcast_to(mask._data, shape)
    if int(m.sum()) > source._data.size:
        raise RuntimeError("Number of elements of source < number of ones in mask")
    if not shape:  # 0-d: as a one-element vector (boolean indexing needs a dim)
        return MaskedScatter.apply(x.reshape(1), source, m.reshape(1)).reshape(())
    return MaskedScatter.apply(x, source, m)


class Put(Op):
    """out = x with ``src`` written (or, with ``accumulate``, added) at flat positions
    ``index``. Backward: (g, zero where written unless accumulating; g.take(index))."""

    @staticmethod
    def forward(ctx, x, src, index, accumulate):
        xp = xp_of(x)
        out = x.copy()
        flat = out.reshape(-1)
        if accumulate:
            xp.add.at(flat, index.reshape(-1), src.reshape(-1))
        else:
            flat[index.reshape(-1)] = src.reshape(-1)
        ctx.index, ctx.accumulate, ctx.src_shape = index, accumulate, src.shape
        return flat.reshape(x.shape)

    @staticmethod
    def backward(ctx, g):
        n = ctx.needs_input_grad
        gx = gs = None
        if n[0]:
            gx = g if ctx.accumulate else Put.apply(
                g, _const(xp_of(g._data).zeros(ctx.index.shape, dtype=g._data.dtype)),
                ctx.index, False)
        if n[1]:
            gs = GetItem.apply(g.reshape(-1), (ctx.index.reshape(-1),)).reshape(ctx.src_shape)
        return gx, gs, None, None


def put(input: Tensor, index: Tensor, source: Tensor, accumulate: bool = False) -> Tensor:
    """A copy of ``input`` with ``source`` written at the flat (row-major) positions
    ``index``, or added there with ``accumulate`` (negative positions count from the end)."""
    if index._data.dtype != np.int64:
        raise RuntimeError(f"put_(): Expected a long tensor for index, but got "
                           f"{_dtype_name(index._data)}")
    if source._data.dtype != input._data.dtype:
        raise RuntimeError(f"put_(): self and source expected to have the same dtype, but got "
                           f"self.dtype = {_dtype_name(input._data)} and source.dtype = "
                           f"{_dtype_name(source._data)}")
    if index._data.size != source._data.size:
        raise IndexError(f"put_(): Expected source and index to have the same number of "
                         f"elements, but got source.numel() = {source._data.size}, "
                         f"index.numel() = {index._data.size}")
    numel = input._data.size
    if index._data.size:
        lo, hi = int(index._data.min()), int(index._data.max())
        if lo < -numel or hi >= numel:
            raise IndexError(f"out of range: tried to access index {hi if hi >= numel else lo} "
                             f"on a tensor of {numel} elements.")
    idx = index._data % numel if numel else index._data
    return Put.apply(input, source, idx, bool(accumulate))

