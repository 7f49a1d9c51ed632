"""Convolution as im2col + one GEMM, and its adjoint col2im.

``Im2Col`` copies every receptive field of a (padded) input into one array
through a strided view (no Python loop over pixels); ``Col2Im`` scatters such
an array back, with one strided add per kernel offset. The two are each
other's backward, so every op built from them (conv, transposed conv,
unfold/fold, pooling) has first and higher-order gradients for free, and a
convolution keeps exactly one im2col buffer alive for its backward (the
matmul's saved input).

Layouts: ``channels_last=True`` gives (N, Ho, Wo, C, kh, kw), so that the
GEMM of a convolution reads (N*Ho*Wo, C*kh*kw) as a view; ``False`` gives
(N, C, Ho, Wo, kh, kw) for pooling.
"""
from __future__ import annotations

from ..autograd.function import Op
from ..tensor import Tensor
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


def _windows(xpad, k, s, d, Ho, Wo, channels_last):
    sN, sC, sH, sW = xpad.strides
    N, C = xpad.shape[:2]
    if channels_last:
        shape = (N, Ho, Wo, C, k[0], k[1])
        strides = (sN, sH * s[0], sW * s[1], sC, sH * d[0], sW * d[1])
    else:
        shape = (N, C, Ho, Wo, k[0], k[1])
        strides = (sN, sC, sH * s[0], sW * s[1], sH * d[0], sW * d[1])
    return xp_of(xpad).lib.stride_tricks.as_strided(xpad, shape, strides, writeable=False)


class Im2Col(Op):
    """Every k-window of x (padded with ``value``), stride s, dilation d, as one array.

    Shape: x (N, C, H, W) -> (N, Ho, Wo, C, kh, kw) (channels_last) or
    (N, C, Ho, Wo, kh, kw). ``pad`` = (top, bottom, left, right).
    Backward: col2im of the gradient.
    """

    @staticmethod
    def forward(ctx, x, k, s, pad, d, channels_last, value):
        xp = xp_of(x)
        N, C, H, W = x.shape
        Ho = _out_len(H, k[0], s[0], pad[0] + pad[1], d[0])
        Wo = _out_len(W, k[1], s[1], pad[2] + pad[3], d[1])
        if any(pad):
            xpad = xp.pad(x, ((0, 0), (0, 0), (pad[0], pad[1]), (pad[2], pad[3])),
                          constant_values=value)
        else:
            xpad = x
        ctx.meta = (x.shape, k, s, pad, d, channels_last)
        return xp.ascontiguousarray(_windows(xpad, k, s, d, Ho, Wo, channels_last))

    @staticmethod
    def backward(ctx, g):
        return (Col2Im.apply(g, *ctx.meta),) + (None,) * 6

    @staticmethod
    def fast_backward(ctx, g):
        return (_col2im(g, *ctx.meta),) + (None,) * 6


def _col2im(cols, in_shape, k, s, pad, d, channels_last):
    xp = xp_of(cols)
    N, C, H, W = in_shape
    Ho, Wo = (cols.shape[1], cols.shape[2]) if channels_last else (cols.shape[2], cols.shape[3])
    out = xp.zeros((N, C, H + pad[0] + pad[1], W + pad[2] + pad[3]), dtype=cols.dtype)
    for i in range(k[0]):
        for j in range(k[1]):
            piece = cols[..., i, j]
            if channels_last:
                piece = piece.transpose(0, 3, 1, 2)
            out[:, :, i * d[0]:i * d[0] + s[0] * (Ho - 1) + 1:s[0],
                j * d[1]:j * d[1] + s[1] * (Wo - 1) + 1:s[1]] += piece
    return out[:, :, pad[0]:pad[0] + H, pad[2]:pad[2] + W]


class Col2Im(Op):
    """The adjoint of Im2Col: scatter-add windows back into an (N, C, H, W) image.

    Backward: im2col of the gradient (zero padding).
    """

    @staticmethod
    def forward(ctx, cols, in_shape, k, s, pad, d, channels_last):
        ctx.meta = (k, s, pad, d, channels_last)
        return xp_of(cols).ascontiguousarray(_col2im(cols, in_shape, k, s, pad, d,
                                                     channels_last))

    @staticmethod
    def backward(ctx, g):
        k, s, pad, d, cl = ctx.meta
        return (Im2Col.apply(g, k, s, pad, d, cl, 0.0),) + (None,) * 6


# ---------------------------------------------------------------------------- convolution


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
    cols = Im2Col.apply(x, (kh, kw), s, pad, d, True, 0.0)  # (N, Ho, Wo, C, kh, kw)
    _, Ho, Wo = cols.shape[:3]
    K = Cg * kh * kw
    if groups == 1:
        out = cols.reshape(N * Ho * Wo, K) @ w.reshape(O, K).mT  # one GEMM
    else:
        cg = cols.reshape(N * Ho * Wo, groups, K).permute(1, 0, 2)
        out = (cg @ w.reshape(groups, O // groups, K).mT).permute(1, 0, 2)
    if bias is not None:
        out = out + bias if groups == 1 else out + bias.reshape(groups, O // groups)
    out = out.reshape(N, Ho, Wo, O).permute(0, 3, 1, 2)
    return _from_4d(out, batched, nd)


def conv2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0,
           dilation=1, groups: int = 1) -> Tensor:
    """2-D convolution (cross-correlation, as every framework computes it).

    Shape: input (N, C_in, H, W) or (C_in, H, W); weight (C_out, C_in/groups, kh, kw);
    output (N, C_out, H_out, W_out) with H_out = (H + 2p - d(kh - 1) - 1) // s + 1.
    ``padding``: int, pair, 'valid' or 'same'.
    """
    return _conv("conv2d", 2, input, weight, bias, stride, padding, dilation, groups)


def conv1d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0,
           dilation=1, groups: int = 1) -> Tensor:
    """1-D convolution. Shape: (N, C_in, L) or (C_in, L); weight (C_out, C_in/groups, k)."""
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
    O = Og * groups
    Cg = C // groups
    xf = x.permute(0, 2, 3, 1).reshape(N * H * W, groups, Cg).permute(1, 0, 2)  # (g, NHW, Cg)
    wg = w.reshape(groups, Cg, Og * kh * kw)
    cols = (xf @ wg).permute(1, 0, 2).reshape(N, H, W, O, kh, kw)  # channels-last windows
    # The padded output grid on which the input's windows land: Col2Im with the padding
    # as a crop (and the output_padding as an extra row/column at the end).
    full = (N, O, Ho + 2 * p[0] - op[0], Wo + 2 * p[1] - op[1])
    out = Col2Im.apply(cols, (N, O, full[2] + op[0], full[3] + op[1]), (kh, kw), s,
                       (0, 0, 0, 0), d, True)
    if p[0] or p[1]:
        out = out[:, :, p[0]:p[0] + Ho, p[1]:p[1] + Wo]
    if bias is not None:
        out = out + bias.reshape(1, O, 1, 1)
    return _from_4d(out, batched, nd)


def conv_transpose2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1,
                     padding=0, output_padding=0, groups: int = 1, dilation=1) -> Tensor:
    """Transposed convolution (the gradient of conv2d w.r.t. its input; "up-convolution").

    Shape: input (N, C_in, H, W); weight (C_in, C_out/groups, kh, kw);
    H_out = (H - 1)s - 2p + d(kh - 1) + output_padding + 1.
    """
    return _conv_t("conv_transpose2d", 2, input, weight, bias, stride, padding, output_padding,
                   groups, dilation)


def conv_transpose1d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1,
                     padding=0, output_padding=0, groups: int = 1, dilation=1) -> Tensor:
    """1-D transposed convolution. Shape: (N, C_in, L); weight (C_in, C_out/groups, k)."""
    return _conv_t("conv_transpose1d", 1, input, weight, bias, stride, padding, output_padding,
                   groups, dilation)


def unfold(input: Tensor, kernel_size, dilation=1, padding=0, stride=1) -> Tensor:
    """im2col: (N, C, H, W) -> (N, C*kh*kw, L), the sliding blocks as columns."""
    if input.ndim != 4:
        raise RuntimeError(f"unfold: expected a 4D input (N, C, H, W), got {list(input.shape)}")
    k, d, s = _pair(kernel_size), _pair(dilation), _pair(stride)
    p = _pair(padding)
    cols = Im2Col.apply(input, k, s, (p[0], p[0], p[1], p[1]), d, False, 0.0)
    N, C, Ho, Wo = cols.shape[:4]
    return cols.permute(0, 1, 4, 5, 2, 3).reshape(N, C * k[0] * k[1], Ho * Wo)


def fold(input: Tensor, output_size, kernel_size, dilation=1, padding=0, stride=1) -> Tensor:
    """col2im: (N, C*kh*kw, L) -> (N, C, H, W), summing overlapping values."""
    k, d, s = _pair(kernel_size), _pair(dilation), _pair(stride)
    p, (H, W) = _pair(padding), _pair(output_size)
    if input.ndim != 3:
        raise RuntimeError(f"fold: expected a 3D input (N, C*kh*kw, L), got {list(input.shape)}")
    N, CK, L = input.shape
    if CK % (k[0] * k[1]):
        raise RuntimeError(f"fold: expected size of input's dimension 1 to be divisible by the "
                           f"product of kernel_size, but got input.size(1)={CK} and "
                           f"kernel_size={k}")
    C = CK // (k[0] * k[1])
    Ho = _out_len(H, k[0], s[0], 2 * p[0], d[0])
    Wo = _out_len(W, k[1], s[1], 2 * p[1], d[1])
    if Ho * Wo != L:
        raise RuntimeError(f"fold: expected input's dimension 2 to match the calculated number "
                           f"of sliding blocks {Ho} * {Wo} = {Ho * Wo}, but got {L}")
    cols = input.reshape(N, C, k[0], k[1], Ho, Wo).permute(0, 1, 4, 5, 2, 3)
    return Col2Im.apply(cols, (N, C, H, W), k, s, (p[0], p[0], p[1], p[1]), d, False)

