"""Pooling through strided windows: max, min, average, power-average, adaptive, unpooling.

Each pooling is a composition: ``Im2Col`` gathers the windows (a strided view
copied once), then a reduction over the window axes; gradients come from those
ops (max: to the arg-max of each window, average: spread over it).

Windows that tile the image (kernel == stride, no padding, no dilation: the usual
2x2 pooling) need no gathered copy: they are a reshape (N, C, Ho, kh, Wo, kw) of
the input. Average pooling then is a sum over the two window axes; max pooling
compares the kh*kw offsets in kernel order (``TiledMaxPool``), keeps the arg-max
as one uint8 per output, and sends the gradient there in backward (no col2im).
"""
from __future__ import annotations

import math

import numpy as np

from ..autograd.function import Op
from ..backends.mkldnn import pool as _dnn_pool
from ..backends.mkldnn._flags import use as _use_dnnl
from ..tensor import Tensor, _wrap
from ._autocast import amp_state, autocast_call
from . import elementwise as E
from .conv import Im2Col, _as_4d, _from_4d, _out_len, _pair
from ._util import xp_of

__all__ = ["max_pool1d", "max_pool2d", "min_pool2d", "avg_pool1d", "avg_pool2d", "lp_pool2d",
           "adaptive_avg_pool1d", "adaptive_avg_pool2d", "adaptive_max_pool2d", "max_unpool2d"]


def _pool_geometry(name, x, kernel_size, stride, padding, dilation, ceil_mode, nd):
    """Kernel, stride, dilation pairs, (top, bottom, left, right) padding and output size."""
    if nd == 2:
        k = _pair(kernel_size, "kernel_size")
        s = _pair(stride if stride not in (None, []) else kernel_size, "stride")
        p, d = _pair(padding, "padding"), _pair(dilation, "dilation")
    else:
        k = (1, _pair(kernel_size, "kernel_size", 1)[0])
        s = (1, _pair(stride if stride not in (None, []) else kernel_size, "stride", 1)[0])
        p = (0, _pair(padding, "padding", 1)[0])
        d = (1, _pair(dilation, "dilation", 1)[0])
    for i in range(2):
        if p[i] > k[i] // 2:
            raise RuntimeError(f"{name}: pad should be at most half of effective kernel size, "
                               f"but got pad={p[i]}, kernel_size={k[i]}")
        if k[i] <= 0 or s[i] <= 0:
            raise RuntimeError(f"{name}: kernel_size and stride must be positive")
    H, W = x.shape[2], x.shape[3]
    out = []
    for i, n in enumerate((H, W)):
        eff = d[i] * (k[i] - 1) + 1
        span = n + 2 * p[i] - eff
        if span < 0:
            raise RuntimeError(f"{name}: kernel ({k[i]}, dilation {d[i]}) is larger than the "
                               f"padded input ({n + 2 * p[i]}); input shape {list(x.shape)}")
        o = (span + (s[i] - 1 if ceil_mode else 0)) // s[i] + 1
        if ceil_mode and (o - 1) * s[i] >= n + p[i]:
            o -= 1  # the last window must start inside the input or its left padding
        out.append(o)
    pad = []
    for i, n in enumerate((H, W)):
        need = (out[i] - 1) * s[i] + d[i] * (k[i] - 1) + 1
        pad += [p[i], max(p[i], need - n - p[i])]
    return k, s, tuple(pad), d, tuple(out)


def _tiles(k, s, pad, d):
    """Whether the windows tile the image: kernel == stride, no padding, no dilation."""
    return k == s and d == (1, 1) and not any(pad)


def _windows(a, k, Ho, Wo):
    """The (N, C, Ho, kh, Wo, kw) view of tiling windows (splitting axes never copies)."""
    N, C = a.shape[0], a.shape[1]
    return a[:, :, :Ho * k[0], :Wo * k[1]].reshape(N, C, Ho, k[0], Wo, k[1])


def _tiled_gather(y, idx, k):
    """out[n, c, i, j] = the element of window (i, j) of y at offset idx[n, c, i, j]."""
    xp = xp_of(y)
    v = _windows(y, k, idx.shape[2], idx.shape[3])
    out = v[:, :, :, 0, :, 0].copy()
    for t in range(1, k[0] * k[1]):
        xp.copyto(out, v[:, :, :, t // k[1], :, t % k[1]], where=idx == t)
    return out


def _zeros_laid_out(xp, shape, dtype, order, fill=True):
    """Zeros of ``shape`` whose memory runs in axis ``order`` (outermost first): a gradient
    laid out as its input was (a convolution's output is (C, H, W, N) in memory).
    ``fill=False``: uninitialised, for a caller that writes every element."""
    make = xp.zeros if fill else xp.empty
    if order is None:
        return make(shape, dtype=dtype)
    inverse = sorted(range(len(order)), key=order.__getitem__)
    return make(tuple(shape[a] for a in order), dtype=dtype).transpose(inverse)


def _memory_order(a):
    return tuple(sorted(range(a.ndim), key=lambda ax: -a.strides[ax]))


def _tiled_scatter(g, idx, shape, k, order=None):
    """The adjoint of _tiled_gather: g[n, c, i, j] placed at offset idx of window (i, j)."""
    xp = xp_of(g)
    Ho, Wo = idx.shape[2], idx.shape[3]
    covered = shape[2] == Ho * k[0] and shape[3] == Wo * k[1]  # the windows write every element
    out = _zeros_laid_out(xp, shape, g.dtype, order, fill=not covered)
    v = _windows(out, k, Ho, Wo)
    for t in range(k[0] * k[1]):  # (a product with the mask: no masked copy, which is slow)
        xp.multiply(g, idx == t, out=v[:, :, :, t // k[1], :, t % k[1]])
    return out


class TiledMaxPool(Op):
    """Max (``sign`` 1) or min (-1) over tiling windows; the first extreme of a window (in
    kernel order) wins, as in PyTorch. Saves the offsets (uint8), not the input."""

    @staticmethod
    def forward(ctx, x, k, sign):
        xp = xp_of(x)
        N, C, H, W = x.shape
        Ho, Wo = H // k[0], W // k[1]
        v = _windows(x, k, Ho, Wo)
        offsets = [v[:, :, :, t // k[1], :, t % k[1]] for t in range(k[0] * k[1])]
        pick = xp.maximum if sign > 0 else xp.minimum
        best = pick(offsets[0], offsets[1]) if len(offsets) > 1 else offsets[0].copy()
        for o in offsets[2:]:
            pick(best, o, out=best)
        # The first offset holding the extreme: idx = m0 (1 + m1 (1 + m2 (...))) with
        # m_t = 1 where offset t is not the extreme (elementwise passes, no masked copies).
        idx = xp.zeros_like(best, dtype=xp.uint8)  # (laid out as best, as x)
        for o in reversed(offsets[:-1]):
            idx += 1
            idx *= xp.not_equal(o, best).view(xp.uint8)
        ctx.save_for_backward(idx)
        ctx.meta = (x.shape, k, _memory_order(x))
        ctx.idx = idx
        return best

    @staticmethod
    def backward(ctx, g):
        (idx,) = ctx.saved_tensors
        shape, k, _ = ctx.meta
        return TiledScatter.apply(g, idx, shape, k), None, None

    @staticmethod
    def fast_backward(ctx, g):
        (idx,) = ctx.saved_arrays
        shape, k, order = ctx.meta
        return _tiled_scatter(g, idx, shape, k, order), None, None


class TiledScatter(Op):
    """Gradients to the arg-max offsets of tiling windows. Backward: the gather."""

    @staticmethod
    def forward(ctx, g, idx, shape, k):
        ctx.meta = (idx, k)
        return _tiled_scatter(g, idx, shape, k)

    @staticmethod
    def backward(ctx, gg):
        idx, k = ctx.meta
        return TiledGather.apply(gg, idx, k), None, None, None


class TiledGather(Op):
    """The element at each tiling window's offset. Backward: the scatter."""

    @staticmethod
    def forward(ctx, y, idx, k):
        ctx.meta = (idx, y.shape, k)
        return _tiled_gather(y, idx, k)

    @staticmethod
    def backward(ctx, g):
        idx, shape, k = ctx.meta
        return TiledScatter.apply(g, idx, shape, k), None, None


def _tiled_sum(x, k, scale):
    """scale * the sum of each tiling window (offset by offset: adds of strided views)."""
    v = _windows(x, k, x.shape[2] // k[0], x.shape[3] // k[1])
    offsets = [v[:, :, :, t // k[1], :, t % k[1]] for t in range(k[0] * k[1])]
    out = offsets[0] + offsets[1] if len(offsets) > 1 else offsets[0].copy()
    for o in offsets[2:]:
        out += o
    out *= scale
    return out


def _tiled_spread(g, shape, k, scale, order=None):
    """The adjoint of _tiled_sum: scale * g[n, c, i, j] at every position of window (i, j),
    in the memory order of the pooled input."""
    xp = xp_of(g)
    out = _zeros_laid_out(xp, shape, g.dtype, order)
    v = _windows(out, k, g.shape[2], g.shape[3])
    for t in range(k[0] * k[1]):
        xp.multiply(g, scale, out=v[:, :, :, t // k[1], :, t % k[1]])
    return out


class TiledAvgPool(Op):
    """scale * the sum over tiling windows (average pooling: scale = 1 / (kh kw)).
    Backward: the gradient spread over each window (TiledSpread), laid out as the input."""

    @staticmethod
    def forward(ctx, x, k, scale):
        ctx.meta = (x.shape, k, scale, _memory_order(x))
        return _tiled_sum(x, k, scale)

    @staticmethod
    def backward(ctx, g):
        shape, k, scale, order = ctx.meta
        return TiledSpread.apply(g, shape, k, scale, order), None, None

    @staticmethod
    def fast_backward(ctx, g):
        shape, k, scale, order = ctx.meta
        return _tiled_spread(g, shape, k, scale, order), None, None


class TiledSpread(Op):
    """The adjoint of TiledAvgPool. Backward: TiledAvgPool."""

    @staticmethod
    def forward(ctx, g, shape, k, scale, order):
        ctx.meta = (k, scale)
        return _tiled_spread(g, shape, k, scale, order)

    @staticmethod
    def backward(ctx, gg):
        k, scale = ctx.meta
        return TiledAvgPool.apply(gg, k, scale), None, None, None, None


def _has_nan(a) -> bool:
    """NaN anywhere (one reduction; an inf - inf sum also says yes, which only costs speed)."""
    return a.dtype.kind in "fc" and bool(xp_of(a).isnan(a.sum()))


class PoolDnnl(Op):
    """Max or average pooling on oneDNN (float32 NumPy arrays, no NaN in a max pooling's
    input): forward keeps oneDNN's workspace (the arg-max of each window; ties go to the
    first position in window order, as in PyTorch), backward scatters through it.
    ``backward`` (create_graph) differentiates the NumPy composition instead, at the same
    input."""

    @staticmethod
    def forward(ctx, x, alg, k, s, pad, d, out_hw, composite):
        out, state = _dnn_pool.forward(x, alg, k, s, pad, d, out_hw)
        ctx.save_for_backward(x)
        ctx.dnnl, ctx.composite = state, composite
        return out

    @staticmethod
    def fast_backward(ctx, g):
        ctx.saved_arrays  # noqa: B018 - raises if x was modified in place since
        return (_dnn_pool.backward(ctx.dnnl, g),) + (None,) * 7

    @staticmethod
    def backward(ctx, g):
        from ..autograd.engine import grad  # noqa: PLC0415

        x, = ctx.saved_tensors
        return (grad(ctx.composite(x), x, g, create_graph=True)[0],) + (None,) * 7


def _pool_dnnl(x, alg, k, s, pad, d, out_hw, composite):
    """The pooling on oneDNN as one recorded op, or None where oneDNN does not run it."""
    if not _use_dnnl(x._data) or (alg == _dnn_pool.MAX and _has_nan(x._data)):
        return None
    if _dnn_pool.forward_plan(x._data, alg, k, s, pad, d, out_hw) is None:
        return None
    return PoolDnnl.apply(x, alg, k, s, pad, d, out_hw, composite)


def _max(name, input, kernel_size, stride, padding, dilation, ceil_mode, return_indices, nd,
         sign=1.0, dnnl=True):
    x, batched = _as_4d(input, name, nd)
    k, s, pad, d, (Ho, Wo) = _pool_geometry(name, x, kernel_size, stride, padding, dilation,
                                            ceil_mode, nd)
    if dnnl and sign > 0 and not return_indices:
        out = _pool_dnnl(x, _dnn_pool.MAX, k, s, pad, d, (Ho, Wo), lambda t: _max(
            name, t, k, s, (pad[0], pad[2]), d, ceil_mode, False, 2, dnnl=False))
        if out is not None:
            return _from_4d(out, batched, nd)
    if _tiles(k, s, pad, d) and k[0] * k[1] < 256 and not _has_nan(x._data):
        # (NaN propagates through the general path; uint8 offsets up to 255)
        out = TiledMaxPool.apply(x, k, sign)
        if not return_indices:
            return _from_4d(out, batched, nd)
        xp = xp_of(x._data)
        idx = out.grad_fn.idx if out.grad_fn is not None else \
            _tiled_offsets(x._data, k, sign)
        ki, kj = idx.astype(np.int64) // k[1], idx.astype(np.int64) % k[1]
        rows = xp.arange(Ho)[:, None] * k[0] + ki
        cols_ = xp.arange(Wo)[None, :] * k[1] + kj
        flat = _wrap((rows * x.shape[3] + cols_).astype(np.int64), False, None, 0)
        return _from_4d(out, batched, nd), _from_4d(flat, batched, nd)
    xs = x if sign > 0 else -x
    cols = Im2Col.apply(xs, k, s, pad, d, -math.inf, False)  # (N, C, kh, kw, Ho, Wo)
    N, C = x.shape[0], x.shape[1]
    vals, arg = cols.reshape(N, C, k[0] * k[1], Ho, Wo).max(2)
    out = _from_4d(vals if sign > 0 else -vals, batched, nd)
    if not return_indices:
        return out
    xp = xp_of(arg._data)
    ki, kj = arg._data // k[1], arg._data % k[1]
    rows = xp.arange(Ho)[:, None] * s[0] - pad[0] + ki * d[0]
    cols_ = xp.arange(Wo)[None, :] * s[1] - pad[2] + kj * d[1]
    idx = _wrap((rows * x.shape[3] + cols_).astype(np.int64), False, None, 0)
    return out, _from_4d(idx, batched, nd)


class _Keep:
    """A ctx that keeps what forward leaves on it (for the indices of an unrecorded call)."""

    def save_for_backward(self, *a):
        pass


def _tiled_offsets(x, k, sign):
    ctx = _Keep()
    TiledMaxPool.forward(ctx, x, k, sign)
    return ctx.idx


def max_pool2d(input: Tensor, kernel_size, stride=None, padding=0, dilation=1,
               ceil_mode: bool = False, return_indices: bool = False):
    """The maximum over each kernel window. Shape: (N, C, H, W) -> (N, C, H_out, W_out).

    With ``return_indices`` also the flat position (h * W + w) of each maximum.
    """
    return _max("max_pool2d", input, kernel_size, stride, padding, dilation, ceil_mode,
                return_indices, 2)


def max_pool1d(input: Tensor, kernel_size, stride=None, padding=0, dilation=1,
               ceil_mode: bool = False, return_indices: bool = False):
    """The maximum over each window of a (N, C, L) input."""
    return _max("max_pool1d", input, kernel_size, stride, padding, dilation, ceil_mode,
                return_indices, 1)


def min_pool2d(input: Tensor, kernel_size, stride=None, padding=0, dilation=1,
               ceil_mode: bool = False, return_indices: bool = False):
    """The minimum over each kernel window (the lectures' min pooling; not in PyTorch).

    min_pool2d(x) = -max_pool2d(-x); padding counts as +inf (never the minimum).
    """
    return _max("min_pool2d", input, kernel_size, stride, padding, dilation, ceil_mode,
                return_indices, 2, sign=-1.0)


def _avg(name, input, kernel_size, stride, padding, ceil_mode, count_include_pad,
         divisor_override, nd, dnnl=True):
    x, batched = _as_4d(input, name, nd)
    k, s, pad, d, (Ho, Wo) = _pool_geometry(name, x, kernel_size, stride, padding, 1,
                                            ceil_mode, nd)
    N, C, H, W = x.shape
    # oneDNN divides by the whole window (or by its part inside the image); PyTorch's
    # ceil_mode windows past the padding count only up to it: those stay on NumPy
    if dnnl and not divisor_override and pad[1] == pad[0] and pad[3] == pad[2]:
        alg = _dnn_pool.AVG_INCLUDE_PAD if count_include_pad else _dnn_pool.AVG_EXCLUDE_PAD
        out = _pool_dnnl(x, alg, k, s, pad, d, (Ho, Wo), lambda t: _avg(
            name, t, k, s, (pad[0], pad[2]), ceil_mode, count_include_pad, None, 2,
            dnnl=False))
        if out is not None:
            return _from_4d(out, batched, nd)
    if _tiles(k, s, pad, d):  # sums of strided views, no gathered copy
        scale = 1.0 / (divisor_override or k[0] * k[1])
        return _from_4d(TiledAvgPool.apply(x, k, scale), batched, nd)
    cols = Im2Col.apply(x, k, s, pad, d, 0.0, False)
    total = cols.sum((2, 3))
    if divisor_override:
        return _from_4d(total / float(divisor_override), batched, nd)
    if not any(pad):  # every window lies inside the image: a constant divisor
        return _from_4d(total * (1.0 / (k[0] * k[1])), batched, nd)
    p = (pad[0], pad[2])
    # How many positions of each window lie in the input (or in the symmetric padding).
    xp = xp_of(x._data)
    ones = xp.ones((1, 1, H + 2 * p[0], W + 2 * p[1]) if count_include_pad else (1, 1, H, W),
                   dtype=x._data.dtype)
    extra = (0, pad[1] - p[0], 0, pad[3] - p[1]) if count_include_pad else pad
    counts = Im2Col.forward(_NoCtx(), ones, k, s, extra, d, 0.0, False).sum(axis=(2, 3))
    return _from_4d(total / _wrap(counts, False, None, 0), batched, nd)


class _NoCtx:
    def save_for_backward(self, *a):
        pass


def avg_pool2d(input: Tensor, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
               count_include_pad: bool = True, divisor_override=None) -> Tensor:
    """The mean over each kernel window (sub-sampling). Shape: (N, C, H, W) -> (N, C, Ho, Wo)."""
    return _avg("avg_pool2d", input, kernel_size, stride, padding, ceil_mode, count_include_pad,
                divisor_override, 2)


def avg_pool1d(input: Tensor, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
               count_include_pad: bool = True) -> Tensor:
    """The mean over each window of a (N, C, L) input."""
    return _avg("avg_pool1d", input, kernel_size, stride, padding, ceil_mode, count_include_pad,
                None, 1)


def lp_pool2d(input: Tensor, norm_type: float, kernel_size, stride=None,
              ceil_mode: bool = False) -> Tensor:
    """(sum over the window of x^p)^(1/p), as PyTorch computes it (through avg_pool2d)."""
    kh, kw = _pair(kernel_size)
    out = avg_pool2d(input ** norm_type, (kh, kw), stride, 0, ceil_mode) * (kh * kw)
    return E.sign(out) * E.relu(E.abs(out)) ** (1.0 / norm_type)


def _adaptive_bounds(n, o):
    starts = [(i * n) // o for i in range(o)]
    ends = [-((-(i + 1) * n) // o) for i in range(o)]
    return starts, ends


def _avg_matrix(n, o, dtype, xp):
    a = np.zeros((o, n), dtype=dtype)
    for i, (lo, hi) in enumerate(zip(*_adaptive_bounds(n, o))):
        a[i, lo:hi] = 1.0 / (hi - lo)
    return _wrap(xp.asarray(a), False, None, 0)


def _out_size(output_size, H, W):
    o = _pair(output_size, "output_size") if not isinstance(output_size, (tuple, list)) else \
        tuple(output_size)
    return (o[0] if o[0] is not None else H, o[1] if o[1] is not None else W)


def adaptive_avg_pool2d(input: Tensor, output_size) -> Tensor:
    """Average pooling to a fixed output size: window i spans [floor(iH/o), ceil((i+1)H/o))."""
    if amp_state.on:
        return autocast_call("adaptive_avg_pool2d", adaptive_avg_pool2d, input, output_size)
    from .products import einsum  # noqa: PLC0415

    x, batched = _as_4d(input, "adaptive_avg_pool2d", 2)
    H, W = x.shape[2], x.shape[3]
    Ho, Wo = _out_size(output_size, H, W)
    xp = xp_of(x._data)
    ah = _avg_matrix(H, Ho, x._data.dtype, xp)
    aw = _avg_matrix(W, Wo, x._data.dtype, xp)
    out = einsum("ih,nchw,jw->ncij", ah, x, aw)  # separable and linear: two small GEMMs
    return _from_4d(out, batched, 2)


def adaptive_avg_pool1d(input: Tensor, output_size) -> Tensor:
    x = input.unsqueeze(-2)
    o = output_size[0] if isinstance(output_size, (tuple, list)) else output_size
    return adaptive_avg_pool2d(x, (1, o)).squeeze(-2)


def adaptive_max_pool2d(input: Tensor, output_size, return_indices: bool = False):
    """Max pooling to a fixed output size (windows as in adaptive_avg_pool2d)."""
    x, batched = _as_4d(input, "adaptive_max_pool2d", 2)
    N, C, H, W = x.shape
    Ho, Wo = _out_size(output_size, H, W)
    xp = xp_of(x._data)

    def table(n, o):
        lo, hi = _adaptive_bounds(n, o)
        kmax = max(h - l_ for l_, h in zip(lo, hi))
        idx = np.array([[min(a + j, b - 1) for j in range(kmax)] for a, b in zip(lo, hi)])
        return xp.asarray(idx), kmax

    ri, kh = table(H, Ho)
    ci, kw = table(W, Wo)
    # windows (N, C, Ho, kh, Wo, kw) by advanced indexing; repeated edge positions are
    # duplicates of a real element, so they never change the maximum.
    win = x[:, :, ri[:, :, None, None], ci[None, None, :, :]]
    win = win.permute(0, 1, 2, 4, 3, 5).reshape(N, C, Ho, Wo, kh * kw)
    vals, arg = win.max(-1)
    out = _from_4d(vals, batched, 2)
    if not return_indices:
        return out
    a = arg._data
    r = xp.take_along_axis(xp.broadcast_to(ri[:, None, :], (Ho, Wo, kh))[None, None],
                           (a // kw)[..., None], -1)[..., 0]
    c = xp.take_along_axis(xp.broadcast_to(ci[None, :, :], (Ho, Wo, kw))[None, None],
                           (a % kw)[..., None], -1)[..., 0]
    return out, _from_4d(_wrap((r * W + c).astype(np.int64), False, None, 0), batched, 2)


def max_unpool2d(input: Tensor, indices: Tensor, kernel_size, stride=None, padding=0,
                 output_size=None) -> Tensor:
    """Put each value back at the position ``max_pool2d(..., return_indices=True)`` recorded."""
    if amp_state.on:
        return autocast_call("max_unpool2d", max_unpool2d, input, indices, kernel_size, stride,
                             padding, output_size)
    from .index import scatter  # noqa: PLC0415

    x, batched = _as_4d(input, "max_unpool2d", 2)
    idx, _ = _as_4d(indices, "max_unpool2d", 2)
    k = _pair(kernel_size)
    s = _pair(stride if stride is not None else kernel_size)
    p = _pair(padding)
    N, C, H, W = x.shape
    if output_size is None:
        Ho = (H - 1) * s[0] - 2 * p[0] + k[0]
        Wo = (W - 1) * s[1] - 2 * p[1] + k[1]
    else:
        Ho, Wo = tuple(output_size)[-2:]
    if tuple(idx.shape) != tuple(x.shape):
        raise RuntimeError(f"max_unpool2d: indices {list(indices.shape)} must have the input's "
                           f"shape {list(input.shape)}")
    if idx.numel() and (int(idx._data.max()) >= Ho * Wo or int(idx._data.min()) < 0):
        raise RuntimeError(f"max_unpool2d: Found an invalid max index (output size "
                           f"{[Ho, Wo]})")
    zeros = _wrap(xp_of(x._data).zeros((N, C, Ho * Wo), dtype=x._data.dtype), False, None, 0)
    out = scatter(zeros, 2, idx.reshape(N, C, H * W), x.reshape(N, C, H * W))
    return _from_4d(out.reshape(N, C, Ho, Wo), batched, 2)


del _out_len
