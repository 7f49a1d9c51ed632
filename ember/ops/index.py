"""Indexing: ``x[...]`` (basic, integer and boolean), setitem, gather/scatter, masked_fill, nonzero."""
from __future__ import annotations

import numpy as np

from .. import backend
from ..autograd.function import Op
from ..autograd.grad_mode import state as _grad_state
from ..tensor import Tensor, _wrap
from ._util import add_at, nonzero_arrays, norm_dim, xp_of

__all__ = ["index_select", "gather", "scatter", "scatter_add", "masked_fill", "take_along_dim",
           "nonzero", "getitem", "setitem", "masked_select", "take", "triu", "tril"]


# ---------------------------------------------------------------------------- index normalisation


def _norm_index(key, x: Tensor):
    """Return ``(idx, basic)``: a tuple index over raw arrays, and whether it is basic indexing."""
    if not isinstance(key, tuple):
        key = (key,)
    out = []
    basic = True
    for k in key:
        if isinstance(k, range):  # PyTorch takes a range as the list of its values
            k = list(k)
        if isinstance(k, Tensor):
            k = k._data
            if type(k) is not type(x._data):  # CPU indices may index a device tensor, as in torch
                if backend.is_device_array(k):
                    raise RuntimeError(
                        f"indices should be either on cpu or on the same device as the indexed "
                        f"tensor ({x.device})")
                k = backend.to_device(k, x.device)
            if k.dtype.kind == "b":
                basic = False
            elif k.dtype.kind in "iu":
                basic = False
            else:
                raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
        elif isinstance(k, list) or backend.is_array(k):
            arr = np.asarray(k) if isinstance(k, list) else k
            if isinstance(k, list) and any(isinstance(v, Tensor) for v in k):
                arr = np.asarray([v.item() if isinstance(v, Tensor) else v for v in k])
            if arr.dtype.kind not in "biu" and arr.size:
                raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
            k = arr.astype(np.int64) if arr.dtype.kind in "iu" or not arr.size else arr
            if isinstance(x._data, np.ndarray) is False and isinstance(k, np.ndarray):
                k = xp_of(x._data).asarray(k)
            basic = False
        elif isinstance(k, (bool, np.bool_)):
            k = xp_of(x._data).asarray(bool(k))
            basic = False
        elif isinstance(k, (int, np.integer)):
            k = int(k)
        elif k is None or k is Ellipsis or isinstance(k, slice):
            if isinstance(k, slice) and k.step is not None and k.step <= 0:
                raise ValueError("step must be greater than zero")
        else:
            raise IndexError(f"only integers, slices (`:`), ellipsis (`...`), None and long or byte "
                             f"Variables are valid indices (got {type(k).__name__})")
        out.append(k)
    return tuple(out), basic


def _scatter_ready(idx, ndim):
    """Rewrite an advanced index so ``add.at`` accepts it, or None when it has None/newaxis."""
    if any(k is None for k in idx):
        return None
    consumed = 0
    for k in idx:
        if k is Ellipsis:
            continue
        consumed += k.ndim if (hasattr(k, "dtype") and k.dtype.kind == "b") else 1
    out = []
    for k in idx:
        if k is Ellipsis:
            out += [slice(None)] * (ndim - consumed)
        elif hasattr(k, "dtype") and k.dtype.kind == "b":
            out += list(k.nonzero())
        else:
            out.append(k)
    return tuple(out)


def _check_bounds(idx, shape, name="index"):
    """IndexError naming the dim for out-of-range integer indices (NumPy would say it too)."""
    dim = 0
    for k in idx:
        if k is None:
            continue
        if k is Ellipsis:
            dim = len(shape) - sum(1 for j in idx if j is not None and j is not Ellipsis) + dim
            continue
        if isinstance(k, int):
            if dim >= len(shape):
                raise IndexError(f"{name}: too many indices for tensor of dimension {len(shape)}")
            if not -shape[dim] <= k < shape[dim]:
                raise IndexError(f"{name}: index {k} is out of bounds for dimension {dim} with "
                                 f"size {shape[dim]}")
        dim += k.ndim if (hasattr(k, "dtype") and k.dtype.kind == "b") else 1


# ---------------------------------------------------------------------------- getitem


class GetItem(Op):
    """``x[idx]`` with advanced (integer/boolean) indices: a copy.

    Backward: scatter-add g into zeros of x's shape (repeated indices accumulate).
    """

    complex_support = "linear"

    @staticmethod
    def forward(ctx, x, idx):
        ctx.in_shape, ctx.idx = x.shape, idx
        return x[idx]

    @staticmethod
    def backward(ctx, g):
        return IndexAddInto.apply(g, ctx.in_shape, ctx.idx), None


class GetItemView(GetItem):
    """``x[idx]`` with only ints, slices, None and Ellipsis: a view of x."""

    view = True


class IndexAddInto(Op):
    """Zeros of ``shape`` with g added at ``idx`` (the backward of indexing). Backward: g2[idx]."""

    complex_support = "linear"

    @staticmethod
    def forward(ctx, g, shape, idx):
        xp = xp_of(g)
        ctx.idx = idx
        z = xp.zeros(shape, dtype=g.dtype)
        _, basic = idx, all(k is None or k is Ellipsis or isinstance(k, (int, slice)) for k in idx)
        if basic:
            z[idx] = g
            return z
        ready = _scatter_ready(idx, len(shape))
        if ready is not None:
            add_at(xp, z, ready, g)
        else:  # index with None: go through flat positions
            pos = xp.arange(z.size).reshape(shape)[idx]
            flat = z.reshape(-1)
            add_at(xp, flat, pos.reshape(-1), g.reshape(-1))
        return z

    @staticmethod
    def backward(ctx, gg):
        return getitem(gg, ctx.idx), None, None


def getitem(x: Tensor, key) -> Tensor:
    """``x[key]`` with PyTorch's (= NumPy's) indexing rules."""
    if isinstance(key, tuple) and all(isinstance(k, (int, slice)) for k in key) or isinstance(
            key, (int, slice)):
        idx = key if isinstance(key, tuple) else (key,)
        if any(isinstance(k, int) for k in idx):
            _check_bounds(idx, x._data.shape)
        return GetItemView.apply(x, idx)
    idx, basic = _norm_index(key, x)
    _check_bounds(idx, x._data.shape)
    if basic:
        return GetItemView.apply(x, idx)
    try:
        return GetItem.apply(x, idx)
    except IndexError as exc:
        raise IndexError(f"index: {exc} (tensor shape {list(x.shape)})") from None


# ---------------------------------------------------------------------------- setitem


class IndexPut(Op):
    """A copy of x with ``v`` written at ``idx``. Backward: (g with zeros at idx, g[idx])."""

    complex_support = "linear"

    @staticmethod
    def forward(ctx, x, v, idx):
        out = x.copy()
        out[idx] = v
        ctx.idx = idx
        ctx.shape = x.shape
        ctx.v_ndim = v.ndim
        return out

    @staticmethod
    def backward(ctx, g):
        n = ctx.needs_input_grad
        gx = gv = None
        if n[0]:
            mask = xp_of(g._data).ones(ctx.shape, dtype=g._data.dtype)
            mask[ctx.idx] = 0
            gx = g * mask
        if n[1]:
            gv = getitem(g, ctx.idx)
            if gv.ndim < ctx.v_ndim:  # NumPy's assignment drops v's leading 1s: put them back
                gv = gv.reshape((1,) * (ctx.v_ndim - gv.ndim) + tuple(gv.shape))
        return gx, gv, None


def setitem(x: Tensor, key, value) -> None:
    """``x[key] = value`` in place; recorded (as a rebase of x's history) when grads flow."""
    x._check_inplace("setitem")
    idx, _ = _norm_index(key, x)
    _check_bounds(idx, x._data.shape)
    if isinstance(value, Tensor):
        if type(value._data) is not type(x._data):
            raise RuntimeError("setitem: expected value on the same device as the tensor")
        v = value if value._data.dtype == x._data.dtype else value.to(x._data.dtype)
    else:
        v = _wrap(xp_of(x._data).asarray(value, dtype=x._data.dtype), False, None, 0)
    if _grad_state.enabled and (x.requires_grad or v.requires_grad):
        x._assign_result(IndexPut.apply(x, v, idx), "setitem")
        return
    if not backend.writeable(x._data):
        raise RuntimeError("setitem: unsupported operation: the tensor is an expanded view; "
                           "clone() it first")
    try:
        x._data[idx] = v._data
    except ValueError as exc:
        raise RuntimeError(f"setitem: shape mismatch: value of shape {list(v.shape)} cannot be "
                           f"broadcast to the indexing result ({exc})") from None
    x._bump()


# ---------------------------------------------------------------------------- gather / scatter


def _along(index, dim):
    """Advanced index addressing ``index``'s positions, with ``index`` itself along ``dim``."""
    xp = xp_of(index)
    nd = index.ndim
    out = []
    for d in range(nd):
        if d == dim:
            out.append(index)
        else:
            shape = [1] * nd
            shape[d] = index.shape[d]
            out.append(xp.arange(index.shape[d]).reshape(shape))
    return tuple(out)


def _check_gather(name, x, dim, index, src=None):
    for other in (index, src):
        if isinstance(other, Tensor) and type(other._data) is not type(x._data):
            raise RuntimeError(f"{name}(): expected all tensors to be on the same device, but "
                               f"found at least two devices, {x.device} and {other.device}!")
    if index._data.dtype != np.int64 and index._data.dtype.kind not in "iu":
        raise RuntimeError(f"{name}(): Expected dtype int64 for index")
    if index._data.ndim != x._data.ndim and index._data.size:
        raise RuntimeError(f"{name}: Index tensor must have the same number of dimensions as "
                           f"input tensor (index shape {list(index.shape)}, input shape "
                           f"{list(x.shape)})")
    for d in range(index._data.ndim):
        if d != dim and index._data.shape[d] > x._data.shape[d]:
            raise RuntimeError(f"{name}: Size does not match at dimension {d} expected index "
                               f"{list(index.shape)} to be smaller than self {list(x.shape)} "
                               f"apart from dimension {dim}")
        if src is not None and index._data.shape[d] > src._data.shape[d]:
            raise RuntimeError(f"{name}: Expected index {list(index.shape)} to be smaller than "
                               f"src {list(src.shape)}")
    if index._data.size:
        lo, hi = int(index._data.min()), int(index._data.max())
        n = x._data.shape[dim]
        if lo < -n or hi >= n:
            bad = hi if hi >= n else lo
            raise RuntimeError(f"{name}: index {bad} is out of bounds for dimension {dim} with "
                               f"size {n}")


class Gather(Op):
    """out[i][j] = x[i][index[i][j]] along ``dim``. Backward: scatter-add g back."""

    complex_support = "linear"

    @staticmethod
    def forward(ctx, x, dim, index):
        ctx.shape, ctx.dim, ctx.index = x.shape, dim, index
        return x[_along(index, dim)]

    @staticmethod
    def backward(ctx, g):
        zeros = _wrap(xp_of(g._data).zeros(ctx.shape, dtype=g._data.dtype), False, None, 0)
        return scatter_add(zeros, ctx.dim, _wrap(ctx.index, False, None, 0), g), None, None

    @staticmethod
    def fast_backward(ctx, g):
        xp = xp_of(g)
        out = xp.zeros(ctx.shape, dtype=g.dtype)
        add_at(xp, out, _along(ctx.index, ctx.dim), g)
        return out, None, None


def gather(input: Tensor, dim: int, index: Tensor, *, sparse_grad=False) -> Tensor:
    if sparse_grad:
        raise NotImplementedError("gather(sparse_grad=True): ember has no sparse tensors; the "
                                  "gradient of gather is dense (sparse_grad=False)")
    d = norm_dim(dim, input._data.ndim, "gather")
    _check_gather("gather", input, d, index)
    return Gather.apply(input, d, index._data.astype(np.int64, copy=False))


def _src_part(src, index):
    return src[tuple(slice(0, n) for n in index.shape)]


def _pad_to(g: Tensor, shape) -> Tensor:
    """Zero-pad ``g`` at the end of each dim up to ``shape`` (grad of a src larger than index)."""
    if tuple(g.shape) == tuple(shape):
        return g
    from .shape import pad  # noqa: PLC0415

    widths = []
    for have, want in zip(reversed(g.shape), reversed(shape)):
        widths += [0, want - have]
    return pad(g, widths)


class ScatterAdd(Op):
    """out = x, then out[index[i][j]][j] += src[i][j] along ``dim``. Backward: (g, gather(g))."""

    complex_support = "linear"

    @staticmethod
    def forward(ctx, x, src, dim, index):
        xp = xp_of(x)
        out = x.copy()
        add_at(xp, out, _along(index, dim), _src_part(src, index))
        ctx.dim, ctx.index, ctx.src_shape = dim, index, src.shape
        return out

    @staticmethod
    def backward(ctx, g):
        n = ctx.needs_input_grad
        gs = None
        if n[1]:
            gs = _pad_to(Gather.apply(g, ctx.dim, ctx.index), ctx.src_shape)
        return (g if n[0] else None), gs, None, None


class Scatter(Op):
    """out = x, then out[index[i][j]][j] = src[i][j] along ``dim``.

    Backward: (g with the written positions zeroed, gather(g) for src).
    """

    complex_support = "linear"

    @staticmethod
    def forward(ctx, x, src, dim, index):
        out = x.copy()
        pos = _along(index, dim)
        out[pos] = _src_part(src, index)
        ctx.dim, ctx.index, ctx.pos, ctx.src_shape = dim, index, pos, src.shape
        return out

    @staticmethod
    def backward(ctx, g):
        n = ctx.needs_input_grad
        gx = gs = None
        if n[0]:
            mask = xp_of(g._data).ones(g._data.shape, dtype=g._data.dtype)
            mask[ctx.pos] = 0
            gx = g * mask
        if n[1]:
            gs = _pad_to(Gather.apply(g, ctx.dim, ctx.index), ctx.src_shape)
        return gx, gs, None, None


def _src_tensor(input, src, value):
    if src is None:
        src = value
    if isinstance(src, Tensor):
        return src if src._data.dtype == input._data.dtype else src.to(input._data.dtype)
    return None


def scatter(input: Tensor, dim: int, index: Tensor, src=None, *, value=None, reduce=None):
    """Write ``src`` (a tensor, or a number ``value``) into a copy of ``input`` at ``index``."""
    if reduce is not None:
        if reduce == "add":
            return scatter_add(input, dim, index, src if src is not None else value)
        raise NotImplementedError(f"scatter: reduce={reduce!r} is not supported by ember")
    d = norm_dim(dim, input._data.ndim, "scatter")
    s = _src_tensor(input, src, value)
    if s is None:
        fill = src if src is not None else value
        s = _wrap(xp_of(input._data).full(index._data.shape, fill, dtype=input._data.dtype),
                  False, None, 0)
    _check_gather("scatter", input, d, index, s)
    return Scatter.apply(input, s, d, index._data.astype(np.int64, copy=False))


def scatter_add(input: Tensor, dim: int, index: Tensor, src: Tensor) -> Tensor:
    d = norm_dim(dim, input._data.ndim, "scatter_add")
    s = _src_tensor(input, src, None)
    if s is None:
        raise TypeError("scatter_add(): argument 'src' must be a Tensor")
    _check_gather("scatter_add", input, d, index, s)
    return ScatterAdd.apply(input, s, d, index._data.astype(np.int64, copy=False))


def index_select(input: Tensor, dim: int, index: Tensor) -> Tensor:
    d = norm_dim(dim, input._data.ndim, "index_select")
    if index._data.ndim > 1:
        raise IndexError("index_select(): Index is supposed to be a vector")
    if index._data.dtype.kind not in "iu":
        raise IndexError("index_select(): Expected dtype int32/int64 for index")
    n = input._data.shape[d] if input._data.ndim else 1
    if index._data.size and (int(index._data.max()) >= n or int(index._data.min()) < -n):
        raise IndexError(f"index_select(): index out of range in self (dim {d} has size {n})")
    if input._data.ndim == 0:
        return getitem(input.reshape(1), index.reshape(-1)).reshape(index.shape)
    idx = (slice(None),) * d + (index._data.reshape(-1).astype(np.int64),)
    return GetItem.apply(input, idx)


def take_along_dim(input: Tensor, indices: Tensor, dim=None) -> Tensor:
    """Pick values along ``dim`` at ``indices`` (broadcast against input), as ``numpy.take_along_axis``."""
    if dim is None:
        return GetItem.apply(input.reshape(-1), (indices._data.reshape(-1).astype(np.int64),))
    d = norm_dim(dim, input._data.ndim, "take_along_dim")
    if indices._data.ndim != input._data.ndim:
        raise RuntimeError("take_along_dim(): input and indices should have the same number of "
                           "dimensions")
    shp_in = list(input._data.shape)
    shp_ix = list(indices._data.shape)
    shp_in[d] = shp_ix[d] = 1
    b = np.broadcast_shapes(tuple(shp_in), tuple(shp_ix))
    tin = list(b)
    tin[d] = input._data.shape[d]
    tix = list(b)
    tix[d] = indices._data.shape[d]
    x = input.expand(tuple(tin)) if tuple(tin) != input._data.shape else input
    ix = indices._data if tuple(tix) == indices._data.shape else xp_of(indices._data).broadcast_to(
        indices._data, tuple(tix))
    return Gather.apply(x, d, ix.astype(np.int64, copy=False))


def masked_fill(input: Tensor, mask: Tensor, value) -> Tensor:
    """``value`` where ``mask`` is True, ``input`` elsewhere."""
    from .elementwise import where  # noqa: PLC0415

    if mask._data.dtype != np.bool_:
        raise RuntimeError(f"masked_fill_ only supports boolean masks, but got mask with dtype "
                           f"{mask.dtype}")
    if isinstance(value, Tensor):
        if value._data.ndim:
            raise RuntimeError("masked_fill_ only supports a 0-dimensional value tensor, but got "
                               f"tensor with {value._data.ndim} dimension(s).")
        if not value.requires_grad:
            value = value.item()
    try:
        np.broadcast_shapes(mask._data.shape, input._data.shape)
    except ValueError:
        raise RuntimeError(f"masked_fill: The size of the mask {list(mask.shape)} must be "
                           f"broadcastable to the input {list(input.shape)}") from None
    if isinstance(value, Tensor):
        return where(mask, value.to(input.dtype), input)
    fill = _wrap(xp_of(input._data).asarray(value, dtype=input._data.dtype), False, None, 0)
    out = where(mask, fill, input)
    if out._data.shape != input._data.shape:
        raise RuntimeError(f"masked_fill: mask {list(mask.shape)} would enlarge the input "
                           f"{list(input.shape)}")
    return out


def masked_select(input: Tensor, mask: Tensor) -> Tensor:
    shape = np.broadcast_shapes(mask._data.shape, input._data.shape)
    x = input.expand(shape) if input._data.shape != shape else input
    m = xp_of(mask._data).broadcast_to(mask._data, shape)
    return GetItem.apply(x, (m,))


def take(input: Tensor, index: Tensor) -> Tensor:
    return GetItem.apply(input.reshape(-1), (index._data.astype(np.int64),))


def nonzero(input: Tensor, *, as_tuple: bool = False):
    """Indices of the non-zero elements: an (n, ndim) int64 tensor, or a tuple of 1-D tensors."""
    xp = xp_of(input._data)
    nz = nonzero_arrays(input._data)
    if as_tuple:
        return tuple(_wrap(a, False, None, 0) for a in nz)
    if input._data.ndim == 0:
        return _wrap(xp.zeros((int(nz[0].size), 0), dtype=np.int64), False, None, 0)
    return _wrap(xp.stack(nz, axis=1), False, None, 0)


def _triangle(name, keep_upper):
    def fn(input: Tensor, diagonal: int = 0) -> Tensor:
        if input.ndim < 2:
            raise RuntimeError(f"{name}: input tensor must have at least 2 dimensions, got "
                               f"shape {list(input.shape)}")
        xp = xp_of(input._data)
        n, m = input.shape[-2], input.shape[-1]
        rows = xp.arange(n)[:, None]
        cols = xp.arange(m)[None, :]
        mask = cols - rows >= diagonal if keep_upper else cols - rows <= diagonal
        from .elementwise import where  # noqa: PLC0415

        zero = _wrap(xp.zeros((), dtype=input._data.dtype), False, None, 0)
        return where(_wrap(mask, False, None, 0), input, zero)
    fn.__name__ = name
    fn.__doc__ = (f"The {'upper' if keep_upper else 'lower'} triangle of the last two dims "
                  f"(elements with column - row {'>=' if keep_upper else '<='} diagonal), the "
                  "rest zero. Backward: the gradient through the same mask.")
    return fn


triu = _triangle("triu", True)
tril = _triangle("tril", False)
