"""Batch normalisation with batch statistics (training) on oneDNN: forward and backward.

oneDNN reads the input in the memory it has: channels innermost (a convolution's NHWC
output) or plain (N, C, ...) rows; anything else is copied into channels-last memory
first. The output and the input gradient come back in that same memory. The mean and the
biased variance are oneDNN's, as PyTorch's are; ember moves the running statistics itself.
"""
from __future__ import annotations

import numpy as np

from . import _lib
from ._prim import MD, Cache, PrimitiveDesc, Primitive

__all__ = ["forward", "backward"]

_plans = Cache(128)
_NO_PLAN = object()
# channels-last tags by rank: (N, C, L) -> acb, (N, C, H, W) -> acdb, (N, C, D, H, W) -> acdeb
_CHANNELS_LAST = {3: 15, 4: 22, 5: 33}  # dnnl_acb, dnnl_acdb, dnnl_acdeb
_PLAIN = {2: _lib.TAG_AB, 3: _lib.TAG_ABC, 4: _lib.TAG_ABCD, 5: _lib.TAG_ABCDE}
MIN_CHANNELS = 8  # fewer channels: oneDNN measured no faster than NumPy (LeNet's 6)


class BatchNormPlan:
    """Forward-training and backward primitives of one shape, layout, eps and affine."""

    def __init__(self, key):
        shape, channels_last, eps, scale, shift = key
        self.key = key
        tag = _CHANNELS_LAST[len(shape)] if channels_last else _PLAIN[len(shape)]
        self.data = MD(shape, tag=tag)
        self.stat = MD((shape[1],), tag=_lib.TAG_A)
        self.flags = (_lib.USE_SCALE if scale else 0) | (_lib.USE_SHIFT if shift else 0)
        eng = _lib.load()["engine"]
        self.fwd_pd = PrimitiveDesc(lambda pd, attr: _lib.call(
            "dnnl_batch_normalization_forward_primitive_desc_create", pd, eng,
            _lib.FORWARD_TRAINING, self.data.ptr, self.data.ptr, eps, self.flags, attr))
        if self.fwd_pd.impl().startswith("ref"):
            raise _lib.DnnlError(self.fwd_pd.impl(), _lib.UNIMPLEMENTED)
        self.fwd = Primitive(self.fwd_pd)
        prop = _lib.BACKWARD if self.flags else _lib.BACKWARD_DATA
        self.bwd_pd = PrimitiveDesc(lambda pd, attr: _lib.call(
            "dnnl_batch_normalization_backward_primitive_desc_create", pd, eng, prop,
            self.data.ptr, self.data.ptr, self.data.ptr, eps, self.flags, self.fwd_pd.ptr,
            attr))
        self.bwd = Primitive(self.bwd_pd)


def _plan(key):
    if _lib.load() is None:
        return None

    def make():
        try:
            return BatchNormPlan(key)
        except _lib.DnnlError:
            return _NO_PLAN
    p = _plans.get(key, make)
    return None if p is _NO_PLAN else p


def _layout(x):
    """(channels_last?, the C-contiguous array oneDNN reads) for x (N, C, *)."""
    if x.ndim > 2:
        t = np.moveaxis(x, 1, -1)
        if t.flags.c_contiguous and x.dtype == np.float32:
            return True, t
        if not x.flags.c_contiguous:
            return True, np.ascontiguousarray(t, dtype=np.float32)
    return False, np.ascontiguousarray(x, dtype=np.float32)


def _like(a, channels_last):
    """``a`` (oneDNN's memory) seen as (N, C, *)."""
    return np.moveaxis(a, -1, 1) if channels_last else a


def forward(x, weight, bias, eps):
    """(out, mean (C,), biased var (C,), state) of batch norm over x (N, C, *) with batch
    statistics, or None where oneDNN does not run it."""
    if x.ndim not in _PLAIN or x.shape[1] < MIN_CHANNELS or x.size == 0:
        return None
    channels_last, xs = _layout(x)
    plan = _plan((tuple(x.shape), channels_last, float(eps), weight is not None, bias is not None))
    if plan is None:
        return None
    C = x.shape[1]
    out = np.empty(xs.shape, dtype=np.float32)
    mean = np.empty(C, dtype=np.float32)
    var = np.empty(C, dtype=np.float32)
    args = [(_lib.ARG_SRC, plan.data, xs), (_lib.ARG_DST, plan.data, out),
            (_lib.ARG_MEAN, plan.stat, mean), (_lib.ARG_VARIANCE, plan.stat, var)]
    scale = None
    if weight is not None:
        scale = np.ascontiguousarray(weight, dtype=np.float32)
        args.append((_lib.ARG_SCALE, plan.stat, scale))
    if bias is not None:
        args.append((_lib.ARG_SHIFT, plan.stat, np.ascontiguousarray(bias, dtype=np.float32)))
    plan.fwd.execute(args)
    return _like(out, channels_last), mean, var, (plan, channels_last, xs, mean, var, scale)


def backward(state, g, need_w, need_b):
    """(grad x, grad weight, grad bias) of ``forward`` for the upstream gradient g."""
    plan, channels_last, xs, mean, var, scale = state
    if tuple(g.shape) != tuple(plan.key[0]):
        raise ValueError(f"batch_norm backward: gradient of shape {g.shape}, expected "
                         f"{plan.key[0]}")
    gs = np.moveaxis(g, 1, -1) if channels_last else g
    gs = np.ascontiguousarray(gs, dtype=np.float32)
    dx = np.empty(xs.shape, dtype=np.float32)
    C = mean.shape[0]
    args = [(_lib.ARG_SRC, plan.data, xs), (_lib.ARG_MEAN, plan.stat, mean),
            (_lib.ARG_VARIANCE, plan.stat, var), (_lib.ARG_DIFF_DST, plan.data, gs),
            (_lib.ARG_DIFF_SRC, plan.data, dx)]
    dw = db = None
    if scale is not None:
        dw = np.empty(C, dtype=np.float32)
        args += [(_lib.ARG_SCALE, plan.stat, scale), (_lib.ARG_DIFF_SCALE, plan.stat, dw)]
    if plan.key[4]:
        db = np.empty(C, dtype=np.float32)
        args.append((_lib.ARG_DIFF_SHIFT, plan.stat, db))
    plan.bwd.execute(args)
    return _like(dx, channels_last), (dw if need_w else None), (db if need_b else None)
