"""Cumulative ops along a dim: cummax, cummin, cumprod, logcumsumexp (cumsum lives in reduce).

A running maximum/minimum/log-sum-exp is NumPy's ``ufunc.accumulate`` on the CPU; on other
array modules it is a log-step scan (``log2(n)`` whole-array steps), since CuPy accumulates
only sums and products.
"""
from __future__ import annotations

import numpy as np

from .. import backend
from .. import return_types as RT
from ..autograd.function import Op
from ..tensor import Tensor, _wrap
from ._util import norm_dim, xp_of
from .sort import _Pick, _finish, _no_out, _pick

__all__ = ["cummax", "cummin", "cumprod", "logcumsumexp"]


def scan(xp, name: str, a, axis: int):
    """Inclusive scan of the commutative, associative ufunc ``name`` along ``axis``."""
    if xp is np:
        return getattr(np, name).accumulate(a, axis=axis)
    f = getattr(xp, name)
    out = a.copy()
    n, shift = a.shape[axis], 1
    head = (slice(None),) * axis
    while shift < n:
        out[head + (slice(shift, None),)] = f(out[head + (slice(shift, None),)],
                                               out[head + (slice(None, n - shift),)])
        shift *= 2
    return out


def _rev_cumsum_raw(xp, a, axis):
    return xp.flip(xp.cumsum(xp.flip(a, axis), axis=axis), axis)


def _rev_cumsum(t: Tensor, d: int) -> Tensor:
    return t.flip(d).cumsum(d).flip(d)


# ---------------------------------------------------------------------------- cummax / cummin


def _cum_extreme_idx(xp, a, axis, is_max):
    """Index of the running max/min: the latest position holding it (PyTorch's ``>=``), and
    from the first NaN on, the latest NaN."""
    run = scan(xp, "maximum" if is_max else "minimum", a, axis)
    hit = a == run
    if a.dtype.kind == "f":
        hit |= xp.isnan(a)
    shape = [1] * a.ndim
    shape[axis] = a.shape[axis]
    pos = xp.arange(a.shape[axis], dtype=np.int64).reshape(shape)
    return scan(xp, "maximum", xp.where(hit, pos, 0), axis)


class Cummax(_Pick):
    """Running maximum along dim, with the index of each maximum. Backward: g added at the
    indices (a position that stays the maximum collects several gradients)."""

    distinct = False

    @staticmethod
    def forward(ctx, x, dim, keepdim, _arg):
        return _finish(ctx, x, dim, keepdim, _cum_extreme_idx(xp_of(x), x, dim, True))


class Cummin(_Pick):
    """Running minimum along dim, with indices (see :class:`Cummax`)."""

    distinct = False

    @staticmethod
    def forward(ctx, x, dim, keepdim, _arg):
        return _finish(ctx, x, dim, keepdim, _cum_extreme_idx(xp_of(x), x, dim, False))


def cummax(input: Tensor, dim: int, *, out=None):
    """``(values, indices)``: the running maximum along ``dim`` and where it was found."""
    _no_out("cummax", out)
    d = norm_dim(dim, input._data.ndim, "cummax")
    return RT.cummax(_pick(Cummax, input, d, True, None))


def cummin(input: Tensor, dim: int, *, out=None):
    """``(values, indices)``: the running minimum along ``dim`` and where it was found."""
    _no_out("cummin", out)
    d = norm_dim(dim, input._data.ndim, "cummin")
    return RT.cummin(_pick(Cummin, input, d, True, None))


# ---------------------------------------------------------------------------- cumprod


def _cumprod_grad_exact(x: Tensor, g: Tensor, d: int) -> Tensor:
    """d/dx_k of sum_j g_j prod_{i<=j} x_i = sum_{j>=k} g_j prod_{i<=j, i!=k} x_i, for any x
    (zeros included), built as an (n, n) table per row so that it differentiates again."""
    n = x.shape[d]
    xm, gm = x.movedim(d, -1), g.movedim(d, -1)
    xp = xp_of(x._data)
    eye = xp.eye(n, dtype=x._data.dtype)
    # omit[..., k, i] = x_i, with x_k replaced by 1; its cumprod over i omits x_k.
    omit = xm.unsqueeze(-2) * _wrap(1 - eye, False, None, 0) + _wrap(eye, False, None, 0)
    upper = _wrap(xp.triu(xp.ones((n, n), dtype=x._data.dtype)), False, None, 0)  # j >= k
    table = Cumprod.apply(omit, omit.ndim - 1) * upper
    return (table * gm.unsqueeze(-2)).sum(-1).movedim(-1, d)


class Cumprod(Op):
    """Running product along dim. Backward: sum_{j>=k} g_j y_j / x_k without zeros; with
    zeros, PyTorch's case analysis on the first zero of each row (first order) or the exact
    product table (recorded, for higher orders)."""

    @staticmethod
    def forward(ctx, x, dim):
        out = xp_of(x).cumprod(x, axis=dim, dtype=x.dtype)
        ctx.dim = dim
        ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx, g):
        x, out = ctx.saved_tensors
        d = ctx.dim
        if not bool((x._data == 0).any()):
            return _rev_cumsum(g * out, d) / x, None
        return _cumprod_grad_exact(x, g, d), None

    @staticmethod
    def fast_backward(ctx, g):
        x, out = ctx.saved_arrays
        d = ctx.dim
        xp = xp_of(x)
        zero = x == 0
        if not bool(zero.any()):
            return _rev_cumsum_raw(xp, g * out, d) / x, None
        seen = xp.cumsum(zero, axis=d)
        before = seen == 0  # k before the row's first zero
        first = zero & (seen == 1)  # the first zero itself; every later k gets 0
        with backend.errstate(xp, divide="ignore", invalid="ignore"):
            early = _rev_cumsum_raw(xp, g * out, d) / xp.where(before, x, 1)
        at_zero = _rev_cumsum_raw(xp, g * xp.cumprod(xp.where(first, 1, x), axis=d), d)
        return xp.where(first, at_zero, xp.where(before, early, 0)), None


def cumprod(input: Tensor, dim: int, *, dtype=None, out=None) -> Tensor:
    """Running product along ``dim``; bool and integer inputs give int64 (or ``dtype``)."""
    _no_out("cumprod", out)
    if dtype is not None:
        input = input.to(dtype)
    elif input._data.dtype.kind in "biu":
        input = input.to(np.int64)
    d = norm_dim(dim, input._data.ndim, "cumprod")
    if input._data.ndim == 0:
        return input * 1
    return Cumprod.apply(input, d)


# ---------------------------------------------------------------------------- logcumsumexp


class Logcumsumexp(Op):
    """log(cumsum(exp(x))) along dim, by a running log-add-exp (no overflow).

    Backward: dx_k = sum_{j>=k} g_j exp(x_k - y_j), summed in the log domain for the positive
    and the negative parts of g separately (stable for large |x|).
    """

    @staticmethod
    def forward(ctx, x, dim):
        xp = xp_of(x)
        with backend.errstate(xp, invalid="ignore"):
            out = scan(xp, "logaddexp", x, dim)
        ctx.dim = dim
        ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx, g):
        from .elementwise import abs as eabs, exp, log, where  # noqa: PLC0415

        x, out = ctx.saved_tensors
        d = ctx.dim
        lowest = float(np.finfo(x._data.dtype).min) / 2  # "log 0", finite after subtracting y
        log_g = log(where(g != 0, eabs(g), 1.0))  # finite everywhere: no NaN in double backward

        def part(mask):
            t = where(mask, log_g, lowest) - out
            return exp(Logcumsumexp.apply(t.flip(d), d).flip(d) + x)

        return part(g > 0) - part(g < 0), None

    @staticmethod
    def fast_backward(ctx, g):
        x, out = ctx.saved_arrays
        d = ctx.dim
        xp = xp_of(x)
        lowest = np.finfo(x.dtype).min / 2
        with backend.errstate(xp, divide="ignore", invalid="ignore", over="ignore"):
            log_g = xp.log(xp.abs(g))
            res = []
            for mask in (g > 0, g < 0):
                t = xp.flip(xp.where(mask, log_g, lowest) - out, d)
                res.append(xp.exp(xp.flip(scan(xp, "logaddexp", t, d), d) + x))
        return (res[0] - res[1]).astype(x.dtype, copy=False), None


def logcumsumexp(input: Tensor, dim: int, *, out=None) -> Tensor:
    """``log(cumsum(exp(input), dim))``, computed without overflow (floating inputs)."""
    _no_out("logcumsumexp", out)
    if input._data.dtype.kind != "f":
        name = {"b": "Bool"}.get(input._data.dtype.kind, "integer")
        raise NotImplementedError(f'"logcumsumexp_out_cpu" not implemented for \'{name}\' '
                                  f"({input.dtype}): logcumsumexp takes floating tensors")
    d = norm_dim(dim, input._data.ndim, "logcumsumexp")
    if input._data.ndim == 0:
        return input * 1.0
    return Logcumsumexp.apply(input, d)
