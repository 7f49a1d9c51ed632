"""2-D max and average pooling on oneDNN: forward (training: the max's workspace kept) and
backward, in the input's own memory (channels innermost, a convolution's output, or plain
rows; anything else is copied into channels-last memory first)."""
from __future__ import annotations

import numpy as np

from . import _lib
from ._prim import MD, Cache, PrimitiveDesc, Primitive

__all__ = ["forward", "backward", "MAX", "AVG_INCLUDE_PAD", "AVG_EXCLUDE_PAD"]

MAX, AVG_INCLUDE_PAD, AVG_EXCLUDE_PAD = (_lib.POOL_MAX, _lib.POOL_AVG_INCLUDE,
                                         _lib.POOL_AVG_EXCLUDE)
_TAG_NHWC = 22
_plans = Cache(128)
_NO_PLAN = object()


class PoolPlan:
    """Forward and backward pooling primitives of one shape, layout, algorithm and window.

    ``key`` = (x shape, channels_last, algorithm, kernel, stride, pad (t, b, l, r),
    dilation, output shape).
    """

    def __init__(self, key):
        shape, channels_last, alg, k, s, pad, d, out = key
        tag = _TAG_NHWC if channels_last else _lib.TAG_ABCD
        self.key = key
        self.src = MD(shape, tag=tag)
        self.dst = MD(out, tag=tag)
        eng = _lib.load()["engine"]
        dims = _prim_dims(k, s, pad, d)
        self.fwd_pd = PrimitiveDesc(lambda pd, attr: _lib.call(
            "dnnl_pooling_forward_primitive_desc_create", pd, eng, _lib.FORWARD_TRAINING, alg,
            self.src.ptr, self.dst.ptr, *dims, attr))
        if self.fwd_pd.impl().startswith("ref"):
            raise _lib.DnnlError(self.fwd_pd.impl(), _lib.UNIMPLEMENTED)
        self.fwd = Primitive(self.fwd_pd)
        self.workspace = self.fwd_pd.md(_lib.Q_WORKSPACE)
        self.bwd_pd = PrimitiveDesc(lambda pd, attr: _lib.call(
            "dnnl_pooling_backward_primitive_desc_create", pd, eng, alg, self.src.ptr,
            self.dst.ptr, *dims, self.fwd_pd.ptr, attr))
        self.bwd = Primitive(self.bwd_pd)


def _prim_dims(k, s, pad, d):
    """oneDNN's (strides, kernel, dilation - 1, left padding, right padding)."""
    from ._prim import _dims  # noqa: PLC0415

    return (_dims(s), _dims(k), _dims((d[0] - 1, d[1] - 1)), _dims((pad[0], pad[2])),
            _dims((pad[1], pad[3])))


def _plan(key):
    if _lib.load() is None:
        return None

    def make():
        try:
            return PoolPlan(key)
        except _lib.DnnlError:
            return _NO_PLAN
    p = _plans.get(key, make)
    return None if p is _NO_PLAN else p


def _layout(x):
    """(channels_last?, the C-contiguous array oneDNN reads) for x (N, C, H, W)."""
    t = x.transpose(0, 2, 3, 1)
    channels_last = t.flags.c_contiguous or not x.flags.c_contiguous
    return channels_last, (t if channels_last else x)


def forward_plan(x, alg, k, s, pad, d, out_hw):
    """The plan ``forward`` would use for these arguments, or None."""
    if x.ndim != 4 or x.size == 0:
        return None
    channels_last, _ = _layout(x)
    return _plan((tuple(x.shape), channels_last, alg, tuple(k), tuple(s), tuple(pad), tuple(d),
                  tuple(x.shape[:2]) + tuple(out_hw)))


def forward(x, alg, k, s, pad, d, out_hw):
    """Pooling of x (N, C, H, W) with kernel k, stride s, padding (top, bottom, left, right)
    and dilation d to (N, C) + out_hw. Returns (out, state) or None where oneDNN does not
    run it."""
    plan = forward_plan(x, alg, k, s, pad, d, out_hw)
    if plan is None:
        return None
    channels_last, xs = _layout(x)
    xs = np.ascontiguousarray(xs, dtype=np.float32)
    N, C = x.shape[:2]
    out_shape = (N, C) + tuple(out_hw)
    out = np.empty((N,) + tuple(out_hw) + (C,) if channels_last else out_shape, np.float32)
    args = [(_lib.ARG_SRC, plan.src, xs), (_lib.ARG_DST, plan.dst, out)]
    ws = None
    if plan.workspace.size:
        ws = np.empty(plan.workspace.size, dtype=np.uint8)
        args.append((_lib.ARG_WORKSPACE, plan.workspace, ws))
    plan.fwd.execute(args)
    return (out.transpose(0, 3, 1, 2) if channels_last else out), (plan, ws)


def backward(state, g):
    """The input gradient of ``forward`` for the upstream gradient g."""
    plan, ws = state
    shape, channels_last = plan.key[0], plan.key[1]
    if tuple(g.shape) != plan.key[7]:
        raise ValueError(f"pooling backward: gradient of shape {g.shape}, expected "
                         f"{plan.key[7]}")
    gs = np.ascontiguousarray(g.transpose(0, 2, 3, 1) if channels_last else g,
                              dtype=np.float32)
    N, C, H, W = shape
    dx = np.empty((N, H, W, C) if channels_last else shape, dtype=np.float32)
    args = [(_lib.ARG_DIFF_DST, plan.dst, gs), (_lib.ARG_DIFF_SRC, plan.src, dx)]
    if ws is not None:
        args.append((_lib.ARG_WORKSPACE, plan.workspace, ws))
    plan.bwd.execute(args)
    return dx.transpose(0, 3, 1, 2) if channels_last else dx
