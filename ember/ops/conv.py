"""Convolution as im2col + one (batched) GEMM, and its adjoint col2im.

``Im2Col`` copies every receptive field of a (padded) input into one array of
layout (N, C, kh, kw, Ho, Wo), one strided slice copy per kernel offset (no
Python loop over batch, channels or pixels); ``Col2Im`` scatters such an array
back, with one strided add per kernel offset. The two are each other's
backward, so every op built from them (conv, transposed conv, unfold/fold,
pooling) has first and higher-order gradients for free, and a convolution
keeps exactly one im2col buffer alive for its backward (the matmul's saved
input). The layout is PyTorch's ``unfold`` layout: (N, C*kh*kw, Ho*Wo) is a
view of it, and the GEMM W (O, C*kh*kw) @ cols gives NCHW output directly.
"""
from __future__ import annotations

from .. import backend
from ..autograd.function import Op
from ..backends.mkldnn import conv as _dnn_conv
from ..backends.mkldnn._flags import use as _use_dnnl
from ..tensor import Tensor
from ._autocast import amp_state, autocast_call
from ._util import xp_of

__all__ = ["conv1d", "conv2d", "conv_transpose1d", "conv_transpose2d", "unfold", "fold"]


def _pair(v, name="value", n=2):
    if isinstance(v, (tuple, list)):
        if len(v) != n:
            raise ValueError(f"{name} must be an int or a tuple of {n} ints, got {v!r}")
        return tuple(int(a) for a in v)
    return (int(v),) * n


def _out_len(size, k, s, p_total, d):
    return (size + p_total - d * (k - 1) - 1) // s + 1


_scratch = backend.scratch


def _offsets(k, s, d, Ho, Wo):
    """(i, j, row slice, column slice) for every kernel offset."""
    for i in range(k[0]):
        rs = slice(i * d[0], i * d[0] + s[0] * (Ho - 1) + 1, s[0])
        for j in range(k[1]):
            yield i, j, rs, slice(j * d[1], j * d[1] + s[1] * (Wo - 1) + 1, s[1])


class Im2Col(Op):
    """Every k-window of x (padded with ``value``), stride s, dilation d, as one array.

    Shape: x (N, C, H, W) -> (N, C, kh, kw, Ho, Wo), or with ``batch_inner``
    (C, kh, kw, Ho, Wo, N): the batch innermost, the layout in which a convolution
    is one GEMM over the whole batch, each window copy moves whole (Wo, N) blocks
    (long contiguous runs even for small images), and a convolution's output
    (O, Ho, Wo, N), seen as (N, O, Ho, Wo), feeds the next convolution's im2col
    without a transposing copy. ``pad`` = (top, bottom, left, right).
    Backward: col2im of the gradient.
    """

    @staticmethod
    def forward(ctx, x, k, s, pad, d, value, batch_inner=False):
        ctx.meta = (x.shape, k, s, pad, d, batch_inner)
        return _im2col(x, k, s, pad, d, value, batch_inner)

    @staticmethod
    def backward(ctx, g):
        return (Col2Im.apply(g, *ctx.meta),) + (None,) * 6

    @staticmethod
    def fast_backward(ctx, g):
        return (_col2im(g, *ctx.meta),) + (None,) * 6


def _im2col(x, k, s, pad, d, value, batch_inner=False):
    """Im2Col's forward on raw arrays."""
    xp = xp_of(x)
    N, C, H, W = x.shape
    Ho = _out_len(H, k[0], s[0], pad[0] + pad[1], d[0])
    Wo = _out_len(W, k[1], s[1], pad[2] + pad[3], d[1])
    if batch_inner:
        xt = x.transpose(1, 2, 3, 0)  # (C, H, W, N): free when x came from a convolution
        if any(pad):
            xpad = _scratch.empty(xp, (C, H + pad[0] + pad[1], W + pad[2] + pad[3], N),
                                  x.dtype)
            xpad.fill(value)
            xpad[:, pad[0]:pad[0] + H, pad[2]:pad[2] + W] = xt
        else:
            xpad = xp.ascontiguousarray(xt)
        cols = _scratch.empty(xp, (C, k[0], k[1], Ho, Wo, N), x.dtype)
        for i, j, rs, cs in _offsets(k, s, d, Ho, Wo):
            cols[:, i, j] = xpad[:, rs, cs]
    else:
        if any(pad):
            xpad = xp.pad(x, ((0, 0), (0, 0), (pad[0], pad[1]), (pad[2], pad[3])),
                          constant_values=value)
        else:
            xpad = x
        cols = _scratch.empty(xp, (N, C, k[0], k[1], Ho, Wo), x.dtype)
        for i, j, rs, cs in _offsets(k, s, d, Ho, Wo):
            cols[:, :, i, j] = xpad[:, :, rs, cs]
    return cols


def _col2im(cols, in_shape, k, s, pad, d, batch_inner=False):
    xp = xp_of(cols)
    N, C, H, W = in_shape
    Ho, Wo = (cols.shape[3], cols.shape[4]) if batch_inner else (cols.shape[4], cols.shape[5])
    hp, wp = H + pad[0] + pad[1], W + pad[2] + pad[3]
    if batch_inner:  # accumulate in (C, H, W, N): each add moves whole (Wo, N) blocks
        acc = _scratch.zeros(xp, (C, hp, wp, N), cols.dtype)
        for i, j, rs, cs in _offsets(k, s, d, Ho, Wo):
            acc[:, rs, cs] += cols[:, i, j]
        out = acc.transpose(3, 0, 1, 2)
    else:
        out = _scratch.zeros(xp, (N, C, hp, wp), cols.dtype)
        for i, j, rs, cs in _offsets(k, s, d, Ho, Wo):
            out[:, :, rs, cs] += cols[:, :, i, j]
    return out[:, :, pad[0]:pad[0] + H, pad[2]:pad[2] + W]


class Col2Im(Op):
    """The adjoint of Im2Col: scatter-add (N, C, kh, kw, Ho, Wo) windows back into
    an (N, C, H, W) image. Backward: im2col of the gradient (zero padding)."""

    @staticmethod
    def forward(ctx, cols, in_shape, k, s, pad, d, batch_inner=False):
        ctx.meta = (k, s, pad, d, batch_inner)
        return _col2im(cols, in_shape, k, s, pad, d, batch_inner)

    @staticmethod
    def backward(ctx, g):
        k, s, pad, d, bi = ctx.meta
        return (Im2Col.apply(g, k, s, pad, d, 0.0, bi),) + (None,) * 6


# ---------------------------------------------------------------------------- convolution

# Bytes of windows (im2col) a convolution builds at once: a block of output rows whose
# windows stay in the core's cache between being copied and being multiplied.
_BLOCK_BYTES = 1 << 19


def _padded_chwn(x, pad, value=0.0):
    """x (N, C, H, W) as a padded (C, H', W', N) array (free of copies when x is a
    convolution's output and needs no padding)."""
    xp = xp_of(x)
    N, C, H, W = x.shape
    xt = x.transpose(1, 2, 3, 0)
    if not any(pad):
        return xp.ascontiguousarray(xt)
    out = _scratch.empty(xp, (C, H + pad[0] + pad[1], W + pad[2] + pad[3], N), x.dtype)
    out.fill(value)
    out[:, pad[0]:pad[0] + H, pad[2]:pad[2] + W] = xt
    return out


def _row_blocks(Ho, row_bytes):
    rows = max(1, min(Ho, _BLOCK_BYTES // max(row_bytes, 1)))
    for r0 in range(0, Ho, rows):
        yield r0, min(Ho, r0 + rows)


def _block_windows(xpad, k, s, d, r0, r1, Wo, out=None):
    """Im2col (C, kh, kw, r1 - r0, Wo, N) of output rows r0:r1 from a padded CHWN input."""
    xp = xp_of(xpad)
    C, N = xpad.shape[0], xpad.shape[3]
    if out is None:
        out = xp.empty((C, k[0], k[1], r1 - r0, Wo, N), dtype=xpad.dtype)
    for i in range(k[0]):
        top = r0 * s[0] + i * d[0]
        rs = slice(top, top + s[0] * (r1 - r0 - 1) + 1, s[0])
        for j in range(k[1]):
            out[:, i, j] = xpad[:, rs, j * d[1]:j * d[1] + s[1] * (Wo - 1) + 1:s[1]]
    return out


class Conv2d(Op):
    """conv2d of x (N, C, H, W) with w (O, C/groups, kh, kw) and bias b (O,) or None.

    On oneDNN (float32 NumPy arrays, ``ember.backends.mkldnn.enabled``) forward and both
    backward passes are oneDNN's direct kernels on NHWC memory: the output is an
    (N, O, Ho, Wo) view of (N, Ho, Wo, O) memory, which the next convolution reads as it is.
    Otherwise (float64, CuPy, a case oneDNN does not cover) it runs in NumPy in blocks of
    output rows: each block's windows are copied (batch innermost) and multiplied while
    they are in the cache, and none are kept: backward copies them again from x. A
    convolution therefore holds its input and weight for backward, not kh*kw copies of the
    input, and every GEMM is one per group over the block's rows of the whole batch. That
    output is (O, Ho, Wo, N) in memory, seen as (N, O, Ho, Wo): the next convolution reads
    it without a transposing copy. ``backward`` (create_graph) is the same computation
    written with Im2Col/Col2Im and matmul, whichever path ran forward, so higher-order
    gradients hold.
    """

    @staticmethod
    def forward(ctx, x, w, b, s, pad, d, groups):
        if _use_dnnl(x, w) and (b is None or _use_dnnl(b)) and x.size and w.size:
            res = _dnn_conv.forward(x, w, b, s, pad, d, groups, any(ctx.needs_input_grad))
            if res is not None:
                out, state = res
                ctx.save_for_backward(x, w)
                ctx.dnnl = state
                return out
        xp = xp_of(x)
        N, C, H, W = x.shape
        O, Cg, kh, kw = w.shape
        Ho = _out_len(H, kh, s[0], pad[0] + pad[1], d[0])
        Wo = _out_len(W, kw, s[1], pad[2] + pad[3], d[1])
        K = Cg * kh * kw
        ctx.save_for_backward(x, w)
        ctx.geometry = (s, pad, d, groups, Ho, Wo)
        xpad = _padded_chwn(x, pad)
        wm = w.reshape(groups, O // groups, K)
        out = xp.empty((O, Ho, Wo, N), dtype=x.dtype)
        for r0, r1 in _row_blocks(Ho, C * kh * kw * Wo * N * x.itemsize):
            cols = _block_windows(xpad, (kh, kw), s, d, r0, r1, Wo)
            blk = xp.matmul(wm, cols.reshape(groups, K, -1))
            out[:, r0:r1] = blk.reshape(O, r1 - r0, Wo, N)
        if b is not None:
            out += b.reshape(O, 1, 1, 1)
        return out.transpose(3, 0, 1, 2)

    @staticmethod
    def fast_backward(ctx, g):
        x, w = ctx.saved_arrays
        need_x, need_w, need_b = ctx.needs_input_grad[:3]
        state = getattr(ctx, "dnnl", None)
        if state is not None:
            gx, gw, gb = _dnn_conv.backward(state, w, g, need_x, need_w, need_b)
            return gx, gw, gb, None, None, None, None
        s, pad, d, groups, Ho, Wo = ctx.geometry
        xp = xp_of(g)
        N, C, H, W = x.shape
        O, Cg, kh, kw = w.shape
        K = Cg * kh * kw
        gm = xp.ascontiguousarray(g.transpose(1, 2, 3, 0))  # (O, Ho, Wo, N)
        wm = w.reshape(groups, O // groups, K)
        xpad = _padded_chwn(x, pad)
        gw = xp.zeros((groups, O // groups, K), dtype=w.dtype) if need_w else None
        gpad = _scratch.zeros(xp, xpad.shape, x.dtype) if need_x else None
        wt = xp.swapaxes(wm, 1, 2) if need_x else None
        for r0, r1 in _row_blocks(Ho, C * kh * kw * Wo * N * x.itemsize):
            gb = gm[:, r0:r1].reshape(groups, O // groups, -1)
            if need_w:
                cols = _block_windows(xpad, (kh, kw), s, d, r0, r1, Wo)
                gw += xp.matmul(gb, xp.swapaxes(cols.reshape(groups, K, -1), 1, 2))
            if need_x:
                dcols = xp.matmul(wt, gb).reshape(C, kh, kw, r1 - r0, Wo, N)
                for i in range(kh):
                    top = r0 * s[0] + i * d[0]
                    rs = slice(top, top + s[0] * (r1 - r0 - 1) + 1, s[0])
                    for j in range(kw):
                        gpad[:, rs, j * d[1]:j * d[1] + s[1] * (Wo - 1) + 1:s[1]] += dcols[:, i, j]
        gx = None
        if need_x:
            gx = gpad[:, pad[0]:pad[0] + H, pad[2]:pad[2] + W].transpose(3, 0, 1, 2)
        gbias = gm.reshape(O, -1).sum(axis=1) if need_b else None
        return (gx, (gw.reshape(w.shape) if need_w else None), gbias, None, None, None, None)

    @staticmethod
    def backward(ctx, g):
        x, w = ctx.saved_tensors
        s, pad, d, groups = _geometry(ctx, x, w)[:4]
        need_x, need_w, need_b = ctx.needs_input_grad[:3]
        O, Cg, kh, kw = w.shape
        N, C = x.shape[0], x.shape[1]
        Ho, Wo = g.shape[2], g.shape[3]
        K = Cg * kh * kw
        gm = g.permute(1, 2, 3, 0).reshape(groups, O // groups, Ho * Wo * N)
        gx = gw = gb = None
        if need_w:
            cols = Im2Col.apply(x, (kh, kw), s, pad, d, 0.0, True)
            gw = (gm @ cols.reshape(groups, K, -1).mT).reshape(w.shape)
        if need_x:
            dcols = (w.reshape(groups, O // groups, K).mT @ gm).reshape(C, kh, kw, Ho, Wo, N)
            gx = Col2Im.apply(dcols, tuple(x.shape), (kh, kw), s, pad, d, True)
        if need_b:
            gb = g.sum((0, 2, 3))
        return gx, gw, gb, None, None, None, None


def _geometry(ctx, x, w):
    """(stride, pad, dilation, groups) of the call ``ctx`` recorded, whichever path ran."""
    if getattr(ctx, "dnnl", None) is not None:
        key = ctx.dnnl[0].key
        return key[7], key[8], key[9], key[10]
    return ctx.geometry[:4]


def _as_4d(x, name, nd):
    """(N, C, L) / (C, L) for 1-D, (N, C, H, W) / (C, H, W) for 2-D -> (N, C, H, W), batched?"""
    want = nd + 2
    if x.ndim == want:
        batched = True
    elif x.ndim == want - 1:
        batched = False
        x = x.unsqueeze(0)
    else:
        raise RuntimeError(f"{name}: expected a {want - 1}D (unbatched) or {want}D (batched) "
                           f"input, got input of shape {list(x.shape)}")
    if nd == 1:
        x = x.unsqueeze(2)
    return x, batched


def _from_4d(out, batched, nd):
    if nd == 1:
        out = out.squeeze(2)
    return out if batched else out.squeeze(0)


def _conv_padding(padding, k, d, s, name):
    """(top, bottom, left, right) for an int/tuple/'same'/'valid' padding."""
    if isinstance(padding, str):
        if padding == "valid":
            return (0, 0, 0, 0)
        if padding == "same":
            if s != (1, 1):
                raise ValueError(f"{name}: padding='same' is not supported for strided "
                                 "convolutions")
            tot = [d[i] * (k[i] - 1) for i in range(2)]
            return (tot[0] // 2, tot[0] - tot[0] // 2, tot[1] // 2, tot[1] - tot[1] // 2)
        raise ValueError(f"{name}: Invalid padding string '{padding}', should be one of "
                         "{'valid', 'same'}")
    p = _pair(padding, "padding")
    if min(p) < 0:
        raise RuntimeError(f"{name}: negative padding is not supported")
    return (p[0], p[0], p[1], p[1])


def _conv(name, nd, input, weight, bias, stride, padding, dilation, groups):
    x, batched = _as_4d(input, name, nd)
    w = weight if nd == 2 else weight.unsqueeze(2)
    if w.ndim != 4:
        raise RuntimeError(f"{name}: weight must be {nd + 2}D, got shape {list(weight.shape)}")
    s = _pair(stride, "stride", 2) if nd == 2 else (1, _pair(stride, "stride", 1)[0])
    d = _pair(dilation, "dilation", 2) if nd == 2 else (1, _pair(dilation, "dilation", 1)[0])
    if nd == 1 and not isinstance(padding, str):
        padding = (0, _pair(padding, "padding", 1)[0])
    O, Cg, kh, kw = w.shape
    N, C, H, W = x.shape
    if groups < 1 or C % groups or O % groups:
        raise RuntimeError(f"{name}: groups={groups} must divide the input channels ({C}) and "
                           f"the output channels ({O})")
    if Cg * groups != C:
        raise RuntimeError(f"{name}: expected input{list(input.shape)} to have {Cg * groups} "
                           f"channels, but got {C} channels instead (weight of shape "
                           f"{list(weight.shape)}, groups={groups})")
    pad = _conv_padding(padding, (kh, kw), d, s, name)
    if (H + pad[0] + pad[1] < d[0] * (kh - 1) + 1) or (W + pad[2] + pad[3] < d[1] * (kw - 1) + 1):
        raise RuntimeError(f"{name}: Kernel size can't be greater than actual input size: "
                           f"padded input {[H + pad[0] + pad[1], W + pad[2] + pad[3]]}, "
                           f"kernel {[d[0] * (kh - 1) + 1, d[1] * (kw - 1) + 1]} "
                           f"(input shape {list(input.shape)})")
    if bias is not None and tuple(bias.shape) != (O,):
        raise RuntimeError(f"{name}: bias must have shape ({O},), got {list(bias.shape)}")
    if x.dtype != w.dtype:  # as matmul: no promotion in a convolution
        raise RuntimeError(f"{name}: input type ({x.dtype}) and weight type ({w.dtype}) "
                           "should be the same")
    if bias is not None and bias.dtype != x.dtype:
        raise RuntimeError(f"{name}: input type ({x.dtype}) and bias type ({bias.dtype}) "
                           "should be the same")
    out = Conv2d.apply(x, w, bias, s, pad, d, groups)
    return _from_4d(out, batched, nd)


def conv2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0,
           dilation=1, groups: int = 1) -> Tensor:
    """2-D convolution (cross-correlation, as every framework computes it).

    Shape: input (N, C_in, H, W) or (C_in, H, W); weight (C_out, C_in/groups, kh, kw);
    output (N, C_out, H_out, W_out) with H_out = (H + 2p - d(kh - 1) - 1) // s + 1.
    ``padding``: int, pair, 'valid' or 'same'.
    """
    if amp_state.on:
        return autocast_call("conv2d", conv2d, input, weight, bias, stride, padding,
                             dilation, groups)
    return _conv("conv2d", 2, input, weight, bias, stride, padding, dilation, groups)


def conv1d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0,
           dilation=1, groups: int = 1) -> Tensor:
    """1-D convolution. Shape: (N, C_in, L) or (C_in, L); weight (C_out, C_in/groups, k)."""
    if amp_state.on:
        return autocast_call("conv1d", conv1d, input, weight, bias, stride, padding,
                             dilation, groups)
    return _conv("conv1d", 1, input, weight, bias, stride, padding, dilation, groups)


def _conv_t(name, nd, input, weight, bias, stride, padding, output_padding, groups, dilation):
    x, batched = _as_4d(input, name, nd)
    w = weight if nd == 2 else weight.unsqueeze(2)
    if nd == 2:
        s, p = _pair(stride, "stride"), _pair(padding, "padding")
        op, d = _pair(output_padding, "output_padding"), _pair(dilation, "dilation")
    else:
        s = (1, _pair(stride, "stride", 1)[0])
        p = (0, _pair(padding, "padding", 1)[0])
        op = (0, _pair(output_padding, "output_padding", 1)[0])
        d = (1, _pair(dilation, "dilation", 1)[0])
    Cin, Og, kh, kw = w.shape
    N, C, H, W = x.shape
    if C != Cin:
        raise RuntimeError(f"{name}: expected input{list(input.shape)} to have {Cin} channels, "
                           f"but got {C} channels instead (weight {list(weight.shape)})")
    if groups < 1 or C % groups:
        raise RuntimeError(f"{name}: groups={groups} must divide the input channels ({C})")
    for i in range(2):
        if op[i] >= max(s[i], d[i]):
            raise RuntimeError(f"{name}: output padding must be smaller than either stride or "
                               f"dilation, but got output_padding={op}, stride={s}, "
                               f"dilation={d}")
    Ho = (H - 1) * s[0] - 2 * p[0] + d[0] * (kh - 1) + op[0] + 1
    Wo = (W - 1) * s[1] - 2 * p[1] + d[1] * (kw - 1) + op[1] + 1
    if Ho <= 0 or Wo <= 0:
        raise RuntimeError(f"{name}: the output size {[Ho, Wo]} is too small for input "
                           f"{list(input.shape)}")
    if bias is not None and tuple(bias.shape) != (Og * groups,):
        raise RuntimeError(f"{name}: bias must have shape ({Og * groups},), got "
                           f"{list(bias.shape)}")
    for t, what in ((w, "weight"), (bias, "bias")):
        if t is not None and t.dtype != x.dtype:
            raise RuntimeError(f"{name}: input type ({x.dtype}) and {what} type ({t.dtype}) "
                               "should be the same")
    out = ConvTranspose2d.apply(x, w, bias, s, p, op, d, groups)
    return _from_4d(out, batched, nd)


class ConvTranspose2d(Op):
    """conv_transpose2d of x (N, Cin, H, W) with w (Cin, Cout/groups, kh, kw), bias (Cout,)
    or None: every input pixel scatters its weighted window onto the output grid.

    On oneDNN (float32 NumPy arrays) it is the backward-data pass of the convolution it is
    the adjoint of, and its backward that convolution's forward and backward-weights
    passes. Otherwise, in NumPy: cols (N, g, Cout/g*kh*kw, H*W) = W_g^T x_g, scattered onto
    the padded output (col2im) and cropped. Backward (both paths' reference): the windows of
    the gradient, gcols = im2col(g); grad x = W_g gcols, grad w = sum over the batch of
    x_g gcols^T, grad b = the sum of g over all but the channels.
    """

    @staticmethod
    def forward(ctx, x, w, b, s, p, op, d, groups):
        N, C, H, W = x.shape
        Cin, Og, kh, kw = w.shape
        O = Og * groups
        if _use_dnnl(x, w) and (b is None or _use_dnnl(b)) and x.size and w.size:
            res = _dnn_conv.transposed_forward(x, w, s, p, op, d, groups)
            if res is not None:
                out, state = res
                if b is not None:
                    out += b.reshape(1, O, 1, 1)
                ctx.save_for_backward(x, w)
                ctx.meta = (s, p, d, groups)
                ctx.dnnl = state
                return out
        xp = xp_of(x)
        Ho = (H - 1) * s[0] - 2 * p[0] + d[0] * (kh - 1) + op[0] + 1
        Wo = (W - 1) * s[1] - 2 * p[1] + d[1] * (kw - 1) + op[1] + 1
        Cg = C // groups
        wg = xp.swapaxes(w.reshape(1, groups, Cg, Og * kh * kw), 2, 3)
        cols = xp.matmul(wg, x.reshape(N, groups, Cg, H * W)).reshape(N, O, kh, kw, H, W)
        full = (N, O, Ho + 2 * p[0], Wo + 2 * p[1])
        out = _col2im(cols, full, (kh, kw), s, (0, 0, 0, 0), d, False)
        out = out[:, :, p[0]:p[0] + Ho, p[1]:p[1] + Wo]
        out = out + b.reshape(1, O, 1, 1) if b is not None else xp.ascontiguousarray(out)
        ctx.save_for_backward(x, w)
        ctx.meta = (s, p, d, groups)
        return out

    @staticmethod
    def fast_backward(ctx, g):
        x, w = ctx.saved_arrays
        need_x, need_w, need_b = ctx.needs_input_grad[:3]
        gb = g.sum(axis=(0, 2, 3)) if need_b else None
        state = getattr(ctx, "dnnl", None)
        if state is not None:
            gx, gw = _dnn_conv.transposed_backward(state, w, g, need_x, need_w)
            return gx, gw, gb, None, None, None, None, None
        xp = xp_of(g)
        s, p, d, groups = ctx.meta
        N, C, H, W = x.shape
        Cin, Og, kh, kw = w.shape
        Cg = C // groups
        gcols = _im2col(g, (kh, kw), s, (p[0], p[0], p[1], p[1]), d, 0.0)
        gcols = gcols[..., :H, :W].reshape(N, groups, Og * kh * kw, H * W)
        gx = gw = None
        if need_x:
            gx = xp.matmul(w.reshape(groups, Cg, Og * kh * kw), gcols).reshape(x.shape)
        if need_w:
            xg = x.reshape(N, groups, Cg, H * W)
            gw = xp.matmul(xg, xp.swapaxes(gcols, 2, 3)).sum(axis=0).reshape(w.shape)
        return gx, gw, gb, None, None, None, None, None

    @staticmethod
    def backward(ctx, g):
        x, w = ctx.saved_tensors
        s, p, d, groups = ctx.meta
        need_x, need_w, need_b = ctx.needs_input_grad[:3]
        N, C, H, W = x.shape
        Cin, Og, kh, kw = w.shape
        Cg = C // groups
        gcols = Im2Col.apply(g, (kh, kw), s, (p[0], p[0], p[1], p[1]), d, 0.0, False)
        gcols = gcols[..., :H, :W].reshape(N, groups, Og * kh * kw, H * W)
        gx = gw = gb = None
        if need_x:
            gx = (w.reshape(groups, Cg, Og * kh * kw) @ gcols).reshape(x.shape)
        if need_w:
            gw = (x.reshape(N, groups, Cg, H * W) @ gcols.mT).sum(0).reshape(w.shape)
        if need_b:
            gb = g.sum((0, 2, 3))
        return gx, gw, gb, None, None, None, None, None


def conv_transpose2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1,
                     padding=0, output_padding=0, groups: int = 1, dilation=1) -> Tensor:
    """Transposed convolution (the gradient of conv2d w.r.t. its input; "up-convolution").

    Shape: input (N, C_in, H, W); weight (C_in, C_out/groups, kh, kw);
    H_out = (H - 1)s - 2p + d(kh - 1) + output_padding + 1.
    """
    if amp_state.on:
        return autocast_call("conv_transpose2d", conv_transpose2d, input, weight, bias,
                             stride, padding, output_padding, groups, dilation)
    return _conv_t("conv_transpose2d", 2, input, weight, bias, stride, padding, output_padding,
                   groups, dilation)


def conv_transpose1d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1,
                     padding=0, output_padding=0, groups: int = 1, dilation=1) -> Tensor:
    """1-D transposed convolution. Shape: (N, C_in, L); weight (C_in, C_out/groups, k)."""
    if amp_state.on:
        return autocast_call("conv_transpose1d", conv_transpose1d, input, weight, bias,
                             stride, padding, output_padding, groups, dilation)
    return _conv_t("conv_transpose1d", 1, input, weight, bias, stride, padding, output_padding,
                   groups, dilation)


def _block_args(kernel_size, dilation, padding, stride):
    """The pairs of unfold/fold, checked as PyTorch checks them."""
    for name, v in (("kernel_size", kernel_size), ("dilation", dilation), ("padding", padding),
                    ("stride", stride)):
        if isinstance(v, (tuple, list)) and len(v) != 2:
            raise RuntimeError(f"It is expected {name} equals to 2, but got size {len(v)}")
    k, d, p, s = _pair(kernel_size), _pair(dilation), _pair(padding), _pair(stride)
    if min(k) <= 0:
        raise RuntimeError(f"kernel size should be greater than zero, but got kernel_height: "
                           f"{k[0]} kernel_width: {k[1]}")
    if min(s) <= 0:
        raise RuntimeError(f"stride should be greater than zero, but got stride_height: {s[0]} "
                           f"stride_width: {s[1]}")
    if min(d) <= 0:
        raise RuntimeError(f"dilation should be greater than zero, but got dilation_height: "
                           f"{d[0]} dilation_width: {d[1]}")
    if min(p) < 0:
        raise RuntimeError(f"padding should be non-negative, but got pad_height: {p[0]} "
                           f"pad_width: {p[1]}")
    return k, d, p, s


def unfold(input: Tensor, kernel_size, dilation=1, padding=0, stride=1) -> Tensor:
    """im2col: (N, C, H, W) or (C, H, W) -> (N, C*kh*kw, L) or (C*kh*kw, L), the sliding
    blocks as columns (L = number of blocks)."""
    k, d, p, s = _block_args(kernel_size, dilation, padding, stride)
    if input.ndim < 3:  # PyTorch's unfold reads the sizes of dims -3.. first
        raise IndexError(f"unfold: expected a 3D (unbatched) or 4D input, got "
                         f"{list(input.shape)} (dimension out of range)")
    if input.ndim not in (3, 4) or 0 in tuple(input.shape[input.ndim - 3:]):
        raise RuntimeError(f"Expected 3D or 4D (batch mode) tensor with possibly 0 batch size "
                           f"and other non-zero dimensions for input, but got: "
                           f"{list(input.shape)}")
    x = input if input.ndim == 4 else input.unsqueeze(0)
    H, W = x.shape[2], x.shape[3]
    blocks = [_out_len(n, k[i], s[i], 2 * p[i], d[i]) for i, n in enumerate((H, W))]
    if min(blocks) < 1:
        raise RuntimeError(f"Given input with spatial size ({H}, {W}), kernel_size={k}, "
                           f"dilation={d}, padding={p}, calculated shape of the array of sliding "
                           f"blocks as ({blocks[0]}, {blocks[1]}), but its components must be at "
                           "least one.")
    cols = Im2Col.apply(x, k, s, (p[0], p[0], p[1], p[1]), d, 0.0, False)
    N, C, _, _, Ho, Wo = cols.shape
    out = cols.reshape(N, C * k[0] * k[1], Ho * Wo)
    return out if input.ndim == 4 else out.squeeze(0)


def fold(input: Tensor, output_size, kernel_size, dilation=1, padding=0, stride=1) -> Tensor:
    """col2im: (N, C*kh*kw, L) or (C*kh*kw, L) -> (N, C, H, W) or (C, H, W), summing the
    values that overlapping blocks put on one position."""
    if isinstance(output_size, (tuple, list)) and len(output_size) != 2:
        raise RuntimeError(f"It is expected output_size equals to 2, but got size "
                           f"{len(output_size)}")
    k, d, p, s = _block_args(kernel_size, dilation, padding, stride)
    H, W = _pair(output_size)
    if input.ndim not in (2, 3) or 0 in tuple(input.shape[input.ndim - 2:]):
        raise RuntimeError(f"Expected 2D or 3D (batch mode) tensor for input with possibly 0 "
                           f"batch size and non-zero dimensions for input, but got: "
                           f"{list(input.shape)}")
    x = input if input.ndim == 3 else input.unsqueeze(0)
    N, CK, L = x.shape
    if CK % (k[0] * k[1]):
        raise RuntimeError(f"Expected size of input's dimension 1 to be divisible by the product "
                           f"of kernel_size, but got input.size(1)={CK} and kernel_size={k}.")
    C = CK // (k[0] * k[1])
    Ho = _out_len(H, k[0], s[0], 2 * p[0], d[0])
    Wo = _out_len(W, k[1], s[1], 2 * p[1], d[1])
    if Ho * Wo != L or Ho < 1 or Wo < 1:
        raise RuntimeError(f"Given output_size=({H}, {W}), kernel_size={k}, dilation={d}, "
                           f"padding={p}, stride={s}, expected size of input's dimension 2 to "
                           f"match the calculated number of sliding blocks {max(Ho, 0)} * "
                           f"{max(Wo, 0)} = {max(Ho, 0) * max(Wo, 0)}, but got "
                           f"input.size(2)={L}.")
    cols = x.reshape(N, C, k[0], k[1], Ho, Wo)
    out = Col2Im.apply(cols, (N, C, H, W), k, s, (p[0], p[0], p[1], p[1]), d, False)
    return out if input.ndim == 3 else out.squeeze(0)
