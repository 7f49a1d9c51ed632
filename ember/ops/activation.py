"""Softmax and log-softmax along a dim, stable for logits of any magnitude."""
from __future__ import annotations

from ..autograd.function import Op
from ..tensor import Tensor
from ._util import float_dtype_for, norm_dim, xp_of

__all__ = ["softmax", "log_softmax"]


class Softmax(Op):
    """softmax(x)_i = e^(x_i - m) / sum_j e^(x_j - m), m = max_j x_j.

    Backward: y (g - sum(g y)) along the dim.
    """

    @staticmethod
    def forward(ctx, x, dim):
        xp = xp_of(x)
        m = x.max(axis=dim, keepdims=True) if x.size else 0
        m = xp.where(xp.isfinite(m), m, 0) if x.size else 0
        e = xp.exp(x - m)
        out = e / e.sum(axis=dim, keepdims=True)
        ctx.dim = dim
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        y, = ctx.saved_tensors
        gy = g * y
        return gy - y * gy.sum(ctx.dim, keepdim=True), None

    @staticmethod
    def fast_backward(ctx, g):
        y, = ctx.saved_arrays
        gy = g * y
        gy -= y * gy.sum(axis=ctx.dim, keepdims=True)
        return gy, None


class LogSoftmax(Op):
    """log_softmax(x)_i = x_i - m - log sum_j e^(x_j - m): never forms softmax then log.

    Backward: g - e^y sum(g) along the dim.
    """

    @staticmethod
    def forward(ctx, x, dim):
        xp = xp_of(x)
        m = x.max(axis=dim, keepdims=True) if x.size else 0
        m = xp.where(xp.isfinite(m), m, 0) if x.size else 0
        s = x - m
        out = s - xp.log(xp.exp(s).sum(axis=dim, keepdims=True))
        ctx.dim = dim
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        from .elementwise import exp  # noqa: PLC0415

        y, = ctx.saved_tensors
        return g - exp(y) * g.sum(ctx.dim, keepdim=True), None

    @staticmethod
    def fast_backward(ctx, g):
        y, = ctx.saved_arrays
        return g - xp_of(g).exp(y) * g.sum(axis=ctx.dim, keepdims=True), None


def _prep(input: Tensor, dim, dtype, name):
    if dtype is not None:
        input = input.to(dtype)
    elif input.data.dtype.kind != "f":
        input = input.to(float_dtype_for(input))
    if dim is None:
        dim = 0 if input.data.ndim in (0, 1, 3) else 1  # PyTorch's legacy implicit choice
    return input, norm_dim(dim, input.data.ndim, name)


def softmax(input: Tensor, dim=None, dtype=None) -> Tensor:
    """Softmax along ``dim``: exponentials normalised to sum to 1."""
    x, d = _prep(input, dim, dtype, "softmax")
    if x.data.ndim == 0:
        return Softmax.apply(x.reshape(1), 0).reshape(())
    return Softmax.apply(x, d)


def log_softmax(input: Tensor, dim=None, dtype=None) -> Tensor:
    """Log of the softmax along ``dim``, computed stably."""
    x, d = _prep(input, dim, dtype, "log_softmax")
    if x.data.ndim == 0:
        return LogSoftmax.apply(x.reshape(1), 0).reshape(())
    return LogSoftmax.apply(x, d)
