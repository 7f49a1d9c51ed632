"""Reductions over one or more dims: sum, mean, prod, max/min, var/std, logsumexp, norm, cumsum."""
from __future__ import annotations

import builtins
import math

import numpy as np

from .. import backend
from .. import return_types
from ..autograd.function import Op
from ..tensor import Tensor, _wrap
from ._autocast import amp_state, autocast_call
from ._util import float_dtype_for, no_complex, norm_dim, norm_dims, xp_of

__all__ = ["sum", "mean", "prod", "max", "min", "amax", "amin", "argmax", "argmin", "var", "std",
           "var_mean", "std_mean", "logsumexp", "norm", "cumsum", "all", "any", "count_nonzero"]


def _keep_shape(shape, dims):
    """``shape`` with each reduced dim set to 1 (keepdim=True form)."""
    return tuple(1 if i in dims else s for i, s in enumerate(shape))


def _expand_back(g: Tensor, in_shape, dims, keepdim) -> Tensor:
    """Broadcast a reduced gradient back to the input's shape (differentiably)."""
    if not keepdim:
        g = g.reshape(_keep_shape(in_shape, dims))
    return g.expand(in_shape)


def _expand_back_raw(g, in_shape, dims, keepdim):
    """The raw-array twin of :func:`_expand_back` (a read-only broadcast view)."""
    xp = xp_of(g)
    if not keepdim:
        g = g.reshape(_keep_shape(in_shape, dims))
    return xp.broadcast_to(g, in_shape)


class Sum(Op):
    """Sum over ``dims``. Backward: g broadcast back over the summed dims."""

    complex_support = "linear"

    @staticmethod
    def forward(ctx, x, dims, keepdim, dt):
        ctx.in_shape, ctx.dims, ctx.keepdim = x.shape, dims, keepdim
        return x.sum(axis=dims, keepdims=keepdim, dtype=dt)

    @staticmethod
    def backward(ctx, g):
        return _expand_back(g, ctx.in_shape, ctx.dims, ctx.keepdim), None, None, None

    @staticmethod
    def fast_backward(ctx, g):
        return _expand_back_raw(g, ctx.in_shape, ctx.dims, ctx.keepdim), None, None, None


class Mean(Op):
    """Mean over ``dims``. Backward: g / n broadcast back."""

    complex_support = "linear"

    @staticmethod
    def forward(ctx, x, dims, keepdim):
        ctx.in_shape, ctx.dims, ctx.keepdim = x.shape, dims, keepdim
        n = 1
        for d in dims:
            n *= x.shape[d]
        ctx.n = n
        return x.mean(axis=dims, keepdims=keepdim)

    @staticmethod
    def backward(ctx, g):
        return _expand_back(g / ctx.n if ctx.n else g * float("nan"), ctx.in_shape, ctx.dims,
                            ctx.keepdim), None, None

    @staticmethod
    def fast_backward(ctx, g):
        if not ctx.n:
            return None
        return _expand_back_raw(g / ctx.n, ctx.in_shape, ctx.dims, ctx.keepdim), None, None


def sum(input: Tensor, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:  # noqa: A001
    """Sum of elements over ``dim`` (all dims when None); bools and ints sum to int64."""
    if amp_state.on:
        return autocast_call("sum", sum, input, dim, keepdim, dtype=dtype)
    dims = norm_dims(dim, input._data.ndim, "sum")
    if dtype is not None:
        dt = backend.np_dtype(dtype)
    elif input._data.dtype.kind in "biu":
        dt = np.int64
    else:
        dt = None
    if input._data.ndim == 0:
        return input if dt is None else input.to(dt)
    return Sum.apply(input, dims, keepdim, dt)


def mean(input: Tensor, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """Arithmetic mean over ``dim`` (floating dtypes only, as PyTorch)."""
    if dtype is not None:
        input = input.to(dtype)
    if input._data.dtype.kind not in "fc" and input._data.dtype != backend.BF16:
        raise RuntimeError(
            "mean(): could not infer output dtype. Input dtype must be either a floating point or "
            f"complex dtype. Got: {input.dtype}")
    if input._data.ndim == 0:
        return input * 1.0
    return Mean.apply(input, norm_dims(dim, input._data.ndim, "mean"), keepdim)


class Prod(Op):
    """Product over one dim (or all). Backward: g times the product of the other elements."""

    @staticmethod
    def forward(ctx, x, dim, keepdim):
        ctx.dim, ctx.keepdim = dim, keepdim
        out = x.prod(axis=dim, keepdims=keepdim)
        ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx, g):
        x, out = ctx.saved_tensors
        dim, keepdim = ctx.dim, ctx.keepdim
        dims = tuple(range(x.ndim)) if dim is None else (dim,)
        gk = g if keepdim else g.reshape(_keep_shape(x.shape, dims))
        ok = out if keepdim else out.reshape(_keep_shape(x.shape, dims))
        xp = xp_of(x._data)
        if not bool((x._data == 0).any()):
            return gk * ok / x, None, None
        # With zeros: the product of the others, from exclusive cumulative products.
        flat = x._data if dim is not None else x._data.reshape(-1)
        ax = dim if dim is not None else 0
        ones = xp.ones_like(xp.take(flat, [0], axis=ax))
        left = xp.cumprod(xp.concatenate([ones, flat], axis=ax), axis=ax)
        left = xp.take(left, range(flat.shape[ax]), axis=ax)
        rev = xp.flip(flat, axis=ax)
        right = xp.cumprod(xp.concatenate([ones, rev], axis=ax), axis=ax)
        right = xp.flip(xp.take(right, range(flat.shape[ax]), axis=ax), axis=ax)
        others = (left * right).reshape(x.shape)
        if g.requires_grad:
            raise NotImplementedError(
                "prod: double backward through an input that contains zeros is not supported")
        return gk * others, None, None


def prod(input: Tensor, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    if amp_state.on:
        return autocast_call("prod", prod, input, dim, keepdim, dtype=dtype)
    if dtype is not None:
        input = input.to(dtype)
    elif input._data.dtype.kind in "biu":
        input = input.to(np.int64)
    d = None if dim is None else norm_dim(dim, input._data.ndim, "prod")
    if input._data.ndim == 0:
        return input * 1
    return Prod.apply(input, d, keepdim)


# ---------------------------------------------------------------------------- max / min


class MaxMinDim(Op):
    """max or min along one dim, with the indices. Backward: g scattered to the indices."""

    @staticmethod
    def forward(ctx, x, dim, keepdim, is_max):
        xp = xp_of(x)
        if x.shape[dim] == 0:
            raise IndexError(f"{'max' if is_max else 'min'}(): Expected reduction dim {dim} to "
                             "have non-zero size.")
        idx = (xp.argmax if is_max else xp.argmin)(x, axis=dim, keepdims=True)
        vals = xp.take_along_axis(x, idx, axis=dim)
        if not keepdim:
            vals = vals.squeeze(dim)
            idx = idx.squeeze(dim)
        idx = idx.astype(np.int64, copy=False)
        ctx.mark_non_differentiable(idx)
        ctx.shape, ctx.dim, ctx.keepdim, ctx.idx = x.shape, dim, keepdim, idx
        return vals, idx

    @staticmethod
    def backward(ctx, g, _gi):
        from .index import scatter  # noqa: PLC0415

        dim = ctx.dim
        idx = ctx.idx
        if not ctx.keepdim:
            g = g.unsqueeze(dim)
            idx = xp_of(idx).expand_dims(idx, dim)
        zeros = _wrap(xp_of(g._data).zeros(ctx.shape, dtype=g._data.dtype), False, None, 0)
        return scatter(zeros, dim, _wrap(idx, False, None, 0), g), None, None, None


class AmaxAmin(Op):
    """amax/amin over dims. Backward: g shared evenly among the elements equal to the extremum."""

    @staticmethod
    def forward(ctx, x, dims, keepdim, is_max):
        xp = xp_of(x)
        if x.size == 0 and builtins.any(x.shape[d] == 0 for d in dims):
            raise IndexError(f"{'amax' if is_max else 'amin'}(): Expected reduction dim to be "
                             "specified for input.numel() == 0.")
        out = (xp.max if is_max else xp.min)(x, axis=dims, keepdims=keepdim)
        ctx.save_for_backward(x, out)
        ctx.dims, ctx.keepdim = dims, keepdim
        return out

    @staticmethod
    def backward(ctx, g):
        x, out = ctx.saved_tensors
        dims, keepdim = ctx.dims, ctx.keepdim
        ok = out._data if keepdim else out._data.reshape(_keep_shape(x.shape, dims))
        mask = (x._data == ok)
        count = mask.sum(axis=dims, keepdims=True)
        gk = g if keepdim else g.reshape(_keep_shape(x.shape, dims))
        return gk * (mask / count).astype(x._data.dtype), None, None, None


def amax(input: Tensor, dim=(), keepdim: bool = False) -> Tensor:
    dims = norm_dims(None if dim == () else dim, input._data.ndim, "amax")
    return AmaxAmin.apply(input, dims, keepdim, True)


def amin(input: Tensor, dim=(), keepdim: bool = False) -> Tensor:
    dims = norm_dims(None if dim == () else dim, input._data.ndim, "amin")
    return AmaxAmin.apply(input, dims, keepdim, False)


def _maxmin(input, dim, keepdim, other, is_max):
    name = "max" if is_max else "min"
    if isinstance(dim, Tensor):  # max(a, b): elementwise
        other, dim = dim, None
    if other is not None:
        from .elementwise import maximum, minimum  # noqa: PLC0415

        return (maximum if is_max else minimum)(input, other)
    if dim is None:
        if input._data.size == 0:
            raise RuntimeError(f"{name}(): Expected reduction dim to be specified for "
                               "input.numel() == 0. Specify the reduction dim with the 'dim' "
                               "argument.")
        return AmaxAmin.apply(input, tuple(range(input._data.ndim)), False, is_max)
    d = norm_dim(dim, input._data.ndim, name)
    if input._data.ndim == 0:
        vals, idx = input * 1, _wrap(xp_of(input._data).zeros((), np.int64), False, None, 0)
    else:
        vals, idx = MaxMinDim.apply(input, d, keepdim, is_max)
    return getattr(return_types, name)((vals, idx))


def max(input: Tensor, dim=None, keepdim: bool = False, *, other=None):  # noqa: A001
    """``max(x)``: the largest element; ``max(x, dim)``: ``(values, indices)``; ``max(a, b)``: elementwise."""
    return _maxmin(input, dim, keepdim, other, True)


def min(input: Tensor, dim=None, keepdim: bool = False, *, other=None):  # noqa: A001
    """``min(x)``: the smallest element; ``min(x, dim)``: ``(values, indices)``; ``min(a, b)``: elementwise."""
    return _maxmin(input, dim, keepdim, other, False)


def _arg(input, dim, keepdim, is_max):
    no_complex("argmax" if is_max else "argmin", input)
    xp = xp_of(input._data)
    f = xp.argmax if is_max else xp.argmin
    if dim is None:
        out = f(input._data.reshape(-1))
        if keepdim:
            out = xp.asarray(out).reshape((1,) * input._data.ndim)
    else:
        d = norm_dim(dim, input._data.ndim, "argmax" if is_max else "argmin")
        out = f(input._data, axis=d, keepdims=keepdim) if input._data.ndim else f(input._data)
    return _wrap(xp.asarray(out, dtype=np.int64), False, None, 0)


def argmax(input: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    return _arg(input, dim, keepdim, True)


def argmin(input: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    return _arg(input, dim, keepdim, False)


# ---------------------------------------------------------------------------- statistics


def _correction(unbiased, correction):
    if correction is not None:
        return correction
    if unbiased is None:
        return 1
    return 1 if unbiased else 0


def var(input: Tensor, dim=None, unbiased=None, keepdim: bool = False, *, correction=None):
    """Variance: sum((x - mean)^2) / (n - correction); correction=1 (Bessel) by default."""
    if isinstance(unbiased, (int, tuple, list)) and not isinstance(unbiased, bool) and \
            dim is None:
        dim, unbiased = unbiased, None
    c = _correction(unbiased, correction)
    dims = norm_dims(dim, input._data.ndim, "var")
    n = 1
    for d in dims:
        n *= input._data.shape[d]
    mu = mean(input, dims, keepdim=True)
    dev = input - mu
    return sum(dev * dev, dims, keepdim) / builtins.max(n - c, 0)


def std(input: Tensor, dim=None, unbiased=None, keepdim: bool = False, *, correction=None):
    """Standard deviation: sqrt of :func:`var`."""
    from .elementwise import sqrt  # noqa: PLC0415

    return sqrt(var(input, dim, unbiased, keepdim, correction=correction))


def var_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    return var(input, dim, unbiased, keepdim, correction=correction), mean(
        input, norm_dims(dim, input._data.ndim, "var_mean"), keepdim)


def std_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    return std(input, dim, unbiased, keepdim, correction=correction), mean(
        input, norm_dims(dim, input._data.ndim, "std_mean"), keepdim)


class LogSumExp(Op):
    """log(sum(exp(x))) over dims, computed as m + log(sum(exp(x - m))). Backward: g softmax(x)."""

    @staticmethod
    def forward(ctx, x, dims, keepdim):
        xp = xp_of(x)
        m = xp.max(x, axis=dims, keepdims=True) if x.size else xp.zeros(
            _keep_shape(x.shape, dims), x.dtype)
        m = xp.where(xp.isfinite(m), m, 0)
        with backend.errstate(xp, divide="ignore"):
            out = xp.log(xp.exp(x - m).sum(axis=dims, keepdims=True)) + m
        if not keepdim:
            out = out.squeeze(dims)
        ctx.save_for_backward(x, out)
        ctx.dims, ctx.keepdim = dims, keepdim
        return out

    @staticmethod
    def backward(ctx, g):
        from .elementwise import exp  # noqa: PLC0415

        x, out = ctx.saved_tensors
        dims = ctx.dims
        ok = out
        gk = g
        if not ctx.keepdim:
            gk = g.reshape(_keep_shape(x.shape, dims))
            ok = out.reshape(_keep_shape(x.shape, dims))
        return gk * exp(x - ok), None, None


def logsumexp(input: Tensor, dim, keepdim: bool = False) -> Tensor:
    """log(sum(exp(x), dim)), stable for large |x|."""
    if amp_state.on:
        return autocast_call("logsumexp", logsumexp, input, dim, keepdim)
    x = input if input._data.dtype.kind == "f" else input.to(float_dtype_for(input))
    dims = norm_dims(dim, x._data.ndim, "logsumexp")
    if x._data.ndim == 0:
        return x * 1.0
    return LogSumExp.apply(x, dims, keepdim)


class Norm(Op):
    """Vector p-norm over dims: (sum |x|^p)^(1/p); p = inf/-inf: max/min |x|; p = 0: count.

    Backward (p finite, p >= 1): g x |x|^(p-2) / norm^(p-1), with 0 where the norm is 0.
    """

    @staticmethod
    def forward(ctx, x, p, dims, keepdim):
        xp = xp_of(x)
        a = xp.abs(x)
        if p == math.inf:
            out = a.max(axis=dims, keepdims=True)
        elif p == -math.inf:
            out = a.min(axis=dims, keepdims=True)
        elif p == 0:
            out = (a != 0).sum(axis=dims, keepdims=True).astype(x.dtype)
        elif p == 1:
            out = a.sum(axis=dims, keepdims=True)
        elif p == 2:
            out = xp.sqrt((x * x).sum(axis=dims, keepdims=True))
        else:
            out = (a ** p).sum(axis=dims, keepdims=True) ** (1.0 / p)
        if not keepdim:
            out = out.reshape([s for i, s in enumerate(out.shape) if i not in dims])
        ctx.save_for_backward(x, out)
        ctx.p, ctx.dims, ctx.keepdim = p, dims, keepdim
        return out

    @staticmethod
    def backward(ctx, g):
        from .elementwise import abs as eabs, sign, where  # noqa: PLC0415

        x, out = ctx.saved_tensors
        p, dims = ctx.p, ctx.dims
        gk = g if ctx.keepdim else g.reshape(_keep_shape(x.shape, dims))
        nk = out if ctx.keepdim else out.reshape(_keep_shape(x.shape, dims))
        if p == 0:
            return gk * 0.0 * x, None, None, None
        if p == 1:
            return gk * sign(x), None, None, None
        if p in (math.inf, -math.inf):
            mask = (eabs(x)._data == nk._data)
            cnt = mask.sum(axis=dims, keepdims=True)
            return gk * sign(x) * (mask / cnt).astype(x._data.dtype), None, None, None
        safe = where(nk == 0, 1.0, nk)
        if p == 2:
            scale = where(nk == 0, 0.0, gk / safe)
            return x * scale, None, None, None
        scale = where(nk == 0, 0.0, gk / safe ** (p - 1))
        return x * eabs(x) ** (p - 2) * scale, None, None, None


def norm(input: Tensor, p="fro", dim=None, keepdim: bool = False, dtype=None) -> Tensor:
    """The p-norm of ``input`` over ``dim`` (``'fro'`` is the 2-norm of the flattened dims)."""
    if amp_state.on:
        return autocast_call("norm", norm, input, p, dim, keepdim, dtype=dtype)
    if dtype is not None:
        input = input.to(dtype)
    if input._data.dtype.kind != "f" and input._data.dtype != backend.BF16:
        raise RuntimeError(f"norm(): input dtype should be floating point, but got {input.dtype}")
    if p == "fro" or p is None:
        p = 2
    if isinstance(p, str):
        raise NotImplementedError(f"norm(): p={p!r} (matrix norms) is not supported by ember")
    p = float(p)
    dims = norm_dims(dim, input._data.ndim, "norm")
    if input._data.ndim == 0:
        from .elementwise import abs as eabs  # noqa: PLC0415

        return eabs(input) if p != 0 else (input != 0).to(input.dtype)
    return Norm.apply(input, p, dims, keepdim)


class Cumsum(Op):
    """Cumulative sum along a dim. Backward: reversed cumulative sum of g."""

    complex_support = "linear"

    @staticmethod
    def forward(ctx, x, dim):
        ctx.dim = dim
        return xp_of(x).cumsum(x, axis=dim)

    @staticmethod
    def backward(ctx, g):
        d = ctx.dim
        return g.flip(d).cumsum(d).flip(d), None


def cumsum(input: Tensor, dim: int, *, dtype=None) -> Tensor:
    if amp_state.on:
        return autocast_call("cumsum", cumsum, input, dim, dtype=dtype)
    if dtype is not None:
        input = input.to(dtype)
    elif input._data.dtype.kind in "biu":
        input = input.to(np.int64)
    if input._data.ndim == 0:
        return input * 1
    return Cumsum.apply(input, norm_dim(dim, input._data.ndim, "cumsum"))


def all(input: Tensor, dim=None, keepdim: bool = False) -> Tensor:  # noqa: A001
    dims = norm_dims(dim, input._data.ndim, "all")
    xp = xp_of(input._data)
    return _wrap(xp.asarray(input._data.astype(bool).all(axis=dims, keepdims=keepdim)),
                 False, None, 0)


def any(input: Tensor, dim=None, keepdim: bool = False) -> Tensor:  # noqa: A001
    dims = norm_dims(dim, input._data.ndim, "any")
    xp = xp_of(input._data)
    return _wrap(xp.asarray(input._data.astype(bool).any(axis=dims, keepdims=keepdim)),
                 False, None, 0)


def count_nonzero(input: Tensor, dim=None) -> Tensor:
    dims = norm_dims(dim, input._data.ndim, "count_nonzero")
    xp = xp_of(input._data)
    return _wrap(xp.asarray((input._data != 0).sum(axis=dims), dtype=np.int64), False, None, 0)
