"""2-D convolutions on oneDNN: forward, backward-data and backward-weights.

Activations are handed to oneDNN in NHWC memory (channels innermost): oneDNN's direct
kernels (``brgconv``/``jit``) run on it at the speed of its blocked layouts, and an NHWC
array is an ordinary strided (N, C, H, W) view for the rest of ember, so no activation is
reordered between two convolutions (a convolution's output is the next one's input as it
is). Plain NCHW descriptors would make oneDNN fall back to im2col + GEMM. Only outputs of
16 pixels or fewer go through oneDNN's blocked layouts (see ``ConvPlan``). Weights are
reordered into the layout oneDNN chose (``format_tag any``) at each call (they change at
every step); the reorders are primitives cached with the convolution's own.

A plan (the primitives of one geometry) is built once per shape and options and cached;
the backward primitives are built on first use. ``forward`` returns None where oneDNN does
not cover a case (then the caller runs its NumPy path), never a wrong result.
"""
from __future__ import annotations

import threading

import numpy as np

from . import _lib, _prim
from ._prim import MD, Cache, PrimitiveDesc, Primitive, Reorder, any_md, md_equal, plain_md

__all__ = ["forward", "backward", "nhwc"]

_TAG_NHWC = 22  # dnnl_acdb: (N, C, H, W) with C innermost
_plans = Cache(256)


class Unsupported(Exception):
    """oneDNN has no fast implementation for this geometry (the NumPy path runs)."""


def _out_len(size, k, s, p0, p1, d):
    return (size + p0 + p1 - d * (k - 1) - 1) // s + 1


class _Act:
    """One activation argument of a primitive: the layout oneDNN chose for it and the
    reorders between that layout and ember's NHWC memory (None where they are the same)."""

    __slots__ = ("desc", "into", "back")

    def __init__(self, desc, nhwc_md):
        same = md_equal(desc, nhwc_md)
        self.desc = desc
        self.into = None if same else Reorder(nhwc_md, desc)
        self.back = None if same else Reorder(desc, nhwc_md)

    def read(self, a):
        """The NHWC array ``a`` in this argument's layout."""
        return a if self.into is None else self.into(a, _buffer(self.desc))

    def target(self, out):
        """Where the primitive writes an output that ends in the NHWC array ``out``."""
        return out if self.back is None else _buffer(self.desc)

    def store(self, buf, out):
        """Move what the primitive wrote into ``buf`` to the NHWC array ``out``."""
        if self.back is not None:
            self.back(buf, out)
        return out


class ConvPlan:
    """The primitives of one convolution geometry (see the module docstring).

    ``key`` = (N, C, H, W, O, kh, kw, stride, pad (top, bottom, left, right), dilation,
    groups, bias, blocked). With ``blocked`` the activations are handed over in the layout
    oneDNN prefers (``format_tag any``: its blocked layouts), reordered to and from NHWC
    around each call: for outputs of 16 pixels or fewer its NHWC kernels measured up to 1.6x
    slower (ResNet-18's last stage), and there the reorders are small.
    """

    def __init__(self, key):
        (N, C, H, W, O, kh, kw, s, pad, d, groups, bias, blocked) = key
        self.key = key
        Ho = _out_len(H, kh, s[0], pad[0], pad[1], d[0])
        Wo = _out_len(W, kw, s[1], pad[2], pad[3], d[1])
        self.out_shape = (N, O, Ho, Wo)
        self.src = MD((N, C, H, W), tag=_TAG_NHWC)
        self.dst = MD((N, O, Ho, Wo), tag=_TAG_NHWC)
        act_src = any_md((N, C, H, W)) if blocked else self.src
        act_dst = any_md((N, O, Ho, Wo)) if blocked else self.dst
        self._act_mds = (act_src, act_dst)
        wdims = ((O, C // groups, kh, kw) if groups == 1
                 else (groups, O // groups, C // groups, kh, kw))
        self.w_any = any_md(wdims)
        self.w_plain = plain_md(wdims)  # ember's (O, C/g, kh, kw), seen with a group axis
        self.bias = MD((O,), tag=_lib.TAG_A) if bias else None
        self.geom = (_prim._dims(s), _prim._dims((d[0] - 1, d[1] - 1)),
                     _prim._dims((pad[0], pad[2])), _prim._dims((pad[1], pad[3])))
        eng = _lib.load()["engine"]
        st, dl, pl, pr = self.geom
        bias_ptr = self.bias.ptr if bias else None
        self.fwd_pd = PrimitiveDesc(lambda pd, attr: _lib.call(
            "dnnl_convolution_forward_primitive_desc_create", pd, eng, _lib.FORWARD_TRAINING,
            _lib.CONV_DIRECT, act_src.ptr, self.w_any.ptr, bias_ptr, act_dst.ptr, st, dl, pl,
            pr, attr))
        _fast(self.fwd_pd)
        self.fwd = Primitive(self.fwd_pd)
        self.f_src = _Act(self.fwd_pd.md(_lib.Q_SRC), self.src)
        self.f_dst = _Act(self.fwd_pd.md(_lib.Q_DST), self.dst)
        self.w_fwd = self.fwd_pd.md(_lib.Q_WEIGHTS)
        self.w_to_fwd = _reorder(self.w_plain, self.w_fwd)
        self._bwd_lock = threading.Lock()
        self._bwd_data = self._bwd_weights = None

    def bwd_data(self):
        """(primitive, weights descriptor, the reorder into it or None, same weights layout as
        forward's?, diff_dst _Act, diff_src _Act), built once."""
        with self._bwd_lock:
            if self._bwd_data is None:
                eng = _lib.load()["engine"]
                st, dl, pl, pr = self.geom
                act_src, act_dst = self._act_mds
                pd = PrimitiveDesc(lambda pd, attr: _lib.call(
                    "dnnl_convolution_backward_data_primitive_desc_create", pd, eng,
                    _lib.CONV_DIRECT, act_src.ptr, self.w_any.ptr, act_dst.ptr, st, dl, pl, pr,
                    self.fwd_pd.ptr, attr))
                _fast(pd)
                w = pd.md(_lib.Q_WEIGHTS)
                self._bwd_data = (Primitive(pd), w, _reorder(self.w_plain, w),
                                  md_equal(w, self.w_fwd), _Act(pd.md(_lib.Q_DIFF_DST), self.dst),
                                  _Act(pd.md(_lib.Q_DIFF_SRC), self.src))
            return self._bwd_data

    def bwd_weights(self):
        """(primitive, diff-weights descriptor, the reorder out of it or None, src _Act,
        diff_dst _Act), built once."""
        with self._bwd_lock:
            if self._bwd_weights is None:
                eng = _lib.load()["engine"]
                st, dl, pl, pr = self.geom
                act_src, act_dst = self._act_mds
                bias_ptr = self.bias.ptr if self.bias is not None else None
                pd = PrimitiveDesc(lambda pd, attr: _lib.call(
                    "dnnl_convolution_backward_weights_primitive_desc_create", pd, eng,
                    _lib.CONV_DIRECT, act_src.ptr, self.w_any.ptr, bias_ptr, act_dst.ptr, st,
                    dl, pl, pr, self.fwd_pd.ptr, attr))
                _fast(pd)
                dw = pd.md(_lib.Q_DIFF_WEIGHTS)
                self._bwd_weights = (Primitive(pd), dw, _reorder(dw, self.w_plain),
                                     _Act(pd.md(_lib.Q_SRC), self.src),
                                     _Act(pd.md(_lib.Q_DIFF_DST), self.dst))
            return self._bwd_weights


def _reorder(a, b):
    return None if md_equal(a, b) else Reorder(a, b)


def _fast(pd):
    """Refuse oneDNN's reference kernels (correct but far slower than the NumPy path)."""
    if pd.impl().startswith("ref"):
        raise Unsupported(pd.impl())


def _plan(key):
    """The cached plan of ``key``, or None where oneDNN has no fast kernel for it (or
    does not load)."""
    if _lib.load() is None:
        return None

    def make():
        try:
            return ConvPlan(key)
        except (Unsupported, _lib.DnnlError):
            return _NO_PLAN
    p = _plans.get(key, make)
    return None if p is _NO_PLAN else p


_NO_PLAN = object()
BLOCKED_MAX_PIXELS = 16  # outputs this small use oneDNN's preferred layout (see ConvPlan)


def nhwc(a):
    """(N, C, H, W) array -> C-contiguous (N, H, W, C) array: a free view when ``a`` already
    has NHWC memory (a oneDNN convolution's output), else one copy."""
    t = a.transpose(0, 2, 3, 1)
    if t.flags.c_contiguous and t.dtype == np.float32:
        return t
    return np.ascontiguousarray(t, dtype=np.float32)


def _buffer(desc):
    return np.empty(desc.size, dtype=np.uint8)


def _weights_in(w, reorder, desc):
    """The weights in the layout ``desc`` (a reorder of ember's (O, C/g, kh, kw) array)."""
    wc = np.ascontiguousarray(w, dtype=np.float32)
    if reorder is None:
        return wc
    return reorder(wc, _buffer(desc))


def _trainable(plan):
    """Whether the backward primitives of ``plan`` exist too (built now, once): a case whose
    forward runs on oneDNN but whose backward would not must take the NumPy path whole."""
    try:
        plan.bwd_data()
        plan.bwd_weights()
    except (Unsupported, _lib.DnnlError):
        return False
    return True


def forward(x, w, b, stride, pad, dilation, groups, training=True):
    """conv2d of x (N, C, H, W) with w (O, C/groups, kh, kw) and bias b (O,) or None.

    Returns (out, state) with ``out`` an (N, O, Ho, Wo) view of NHWC memory and ``state``
    what ``backward`` needs, or None when oneDNN does not cover the case (with
    ``training``, its backward passes too). The caller has checked the shapes (as for its
    NumPy path); they are checked again here against the plan before any pointer is
    passed.
    """
    N, C, H, W = x.shape
    O, Cg, kh, kw = w.shape
    if Cg * groups != C or O % groups or (b is not None and b.shape != (O,)):
        return None
    Ho = _out_len(H, kh, stride[0], pad[0], pad[1], dilation[0])
    Wo = _out_len(W, kw, stride[1], pad[2], pad[3], dilation[1])
    key = (N, C, H, W, O, kh, kw, tuple(stride), tuple(pad), tuple(dilation), groups,
           b is not None, Ho * Wo <= BLOCKED_MAX_PIXELS)
    plan = _plan(key)
    if plan is None or (training and not _trainable(plan)):
        return None
    xs = nhwc(x)
    xin = plan.f_src.read(xs)
    wb = _weights_in(w, plan.w_to_fwd, plan.w_fwd)
    out = np.empty((N, Ho, Wo, O), dtype=np.float32)
    obuf = plan.f_dst.target(out)
    args = [(_lib.ARG_SRC, plan.f_src.desc, xin), (_lib.ARG_WEIGHTS, plan.w_fwd, wb),
            (_lib.ARG_DST, plan.f_dst.desc, obuf)]
    if b is not None:
        args.append((_lib.ARG_BIAS, plan.bias, np.ascontiguousarray(b, dtype=np.float32)))
    plan.fwd.execute(args)
    plan.f_dst.store(obuf, out)
    return out.transpose(0, 3, 1, 2), (plan, xs, xin, wb)


def backward(state, w, g, need_x, need_w, need_b):
    """(grad x, grad w, grad b) of a convolution ``forward`` ran, for the upstream gradient
    g (N, O, Ho, Wo) of any strides; None for what is not needed."""
    plan, xs, xin, w_fwd_buf = state
    if tuple(g.shape) != plan.out_shape:
        raise ValueError(f"conv backward: gradient of shape {g.shape}, expected "
                         f"{plan.out_shape}")
    gn = nhwc(g)
    gx = gw = gb = None
    g_read = None  # the gradient in the backward-data pass's layout, reused when it fits
    if need_x:
        prim, wdesc, reorder, same, d_dst, d_src = plan.bwd_data()
        wb = w_fwd_buf if same else _weights_in(w, reorder, wdesc)
        N, C, H, W = plan.key[:4]
        gxn = np.empty((N, H, W, C), dtype=np.float32)
        gbuf = d_src.target(gxn)
        g_read = (d_dst.desc, d_dst.read(gn))
        prim.execute([(_lib.ARG_DIFF_DST, d_dst.desc, g_read[1]), (_lib.ARG_WEIGHTS, wdesc, wb),
                      (_lib.ARG_DIFF_SRC, d_src.desc, gbuf)])
        gx = d_src.store(gbuf, gxn).transpose(0, 3, 1, 2)
    if need_w:
        prim, dwdesc, reorder, w_src, w_dst = plan.bwd_weights()
        src = xin if md_equal(w_src.desc, plan.f_src.desc) else w_src.read(xs)
        gin = g_read[1] if g_read is not None and md_equal(w_dst.desc, g_read[0]) \
            else w_dst.read(gn)
        gw = np.empty(w.shape, dtype=np.float32)
        dwb = gw if reorder is None else _buffer(dwdesc)
        args = [(_lib.ARG_SRC, w_src.desc, src), (_lib.ARG_DIFF_DST, w_dst.desc, gin),
                (_lib.ARG_DIFF_WEIGHTS, dwdesc, dwb)]
        if plan.bias is not None:
            gb = np.empty(plan.key[4], dtype=np.float32)
            args.append((_lib.ARG_DIFF_BIAS, plan.bias, gb))
        prim.execute(args)
        if reorder is not None:
            reorder(dwb, gw)
    if need_b and gb is None:
        gb = gn.reshape(-1, gn.shape[3]).sum(axis=0)
    return gx, gw, (gb if need_b else None)


def transposed_forward(x, w, stride, padding, output_padding, dilation, groups):
    """conv_transpose2d of x (N, Cin, H, W) with w (Cin, Cout/groups, kh, kw), no bias:
    the backward-data pass of the convolution it is the adjoint of, which maps a
    (N, Cout, Ho, Wo) input to x's shape with the same weights (padding p on the left,
    p - output_padding on the right). Returns (out, state) or None (as ``forward``)."""
    N, Cin, H, W = x.shape
    Ci, Og, kh, kw = w.shape
    s, p, op, d = stride, padding, output_padding, dilation
    if Ci != Cin or Cin % groups:
        return None
    Ho = (H - 1) * s[0] - 2 * p[0] + d[0] * (kh - 1) + op[0] + 1
    Wo = (W - 1) * s[1] - 2 * p[1] + d[1] * (kw - 1) + op[1] + 1
    pad = (p[0], p[0] - op[0], p[1], p[1] - op[1])
    key = (N, Og * groups, Ho, Wo, Cin, kh, kw, tuple(s), pad, tuple(d), groups, False, False)
    plan = _plan(key)
    if plan is None or plan.out_shape != (N, Cin, H, W) or not _trainable(plan):
        return None  # (its forward is the backward-data primitive: both passes are built)
    xs = nhwc(x)  # the adjoint convolution's output gradient
    prim, wdesc, reorder, _, d_dst, d_src = plan.bwd_data()
    wb = _weights_in(w, reorder, wdesc)
    out = np.empty((N, Ho, Wo, Og * groups), dtype=np.float32)
    obuf = d_src.target(out)
    prim.execute([(_lib.ARG_DIFF_DST, d_dst.desc, d_dst.read(xs)), (_lib.ARG_WEIGHTS, wdesc, wb),
                  (_lib.ARG_DIFF_SRC, d_src.desc, obuf)])
    return d_src.store(obuf, out).transpose(0, 3, 1, 2), (plan, xs)


def transposed_backward(state, w, g, need_x, need_w):
    """(grad x, grad w) of ``transposed_forward`` for the upstream gradient g: the
    convolution's forward pass of g, and its backward-weights pass with g as the source."""
    plan, xs = state
    out_shape = plan.key[:4]  # the transposed convolution's output: the convolution's input
    if tuple(g.shape) != tuple(out_shape):
        raise ValueError(f"conv_transpose2d backward: gradient of shape {g.shape}, expected "
                         f"{tuple(out_shape)}")
    gn = nhwc(g)
    gx = gw = None
    if need_x:
        wb = _weights_in(w, plan.w_to_fwd, plan.w_fwd)
        N, Cin, H, W = plan.out_shape
        gxn = np.empty((N, H, W, Cin), dtype=np.float32)
        gbuf = plan.f_dst.target(gxn)
        plan.fwd.execute([(_lib.ARG_SRC, plan.f_src.desc, plan.f_src.read(gn)),
                          (_lib.ARG_WEIGHTS, plan.w_fwd, wb),
                          (_lib.ARG_DST, plan.f_dst.desc, gbuf)])
        gx = plan.f_dst.store(gbuf, gxn).transpose(0, 3, 1, 2)
    if need_w:
        prim, dwdesc, reorder, w_src, w_dst = plan.bwd_weights()
        gw = np.empty(w.shape, dtype=np.float32)
        dwb = gw if reorder is None else _buffer(dwdesc)
        prim.execute([(_lib.ARG_SRC, w_src.desc, w_src.read(gn)),
                      (_lib.ARG_DIFF_DST, w_dst.desc, w_dst.read(xs)),
                      (_lib.ARG_DIFF_WEIGHTS, dwdesc, dwb)])
        if reorder is not None:
            reorder(dwb, gw)
    return gx, gw


def clear_cache():
    _plans.clear()
