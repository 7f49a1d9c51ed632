"""3-D convolution and transposed convolution, as sums of 2-D ones over the depth taps.

A (kd, kh, kw) kernel is kd planar (kh, kw) kernels: output depth slice ``o`` is the sum
over taps ``i`` of the planar convolution of input slice ``o * stride + i * dilation`` with
kernel slice ``i``. So ``conv3d`` folds the output depth into the batch and makes kd calls
of ``conv2d`` (each over every output slice at once: whole-array, no loop over depth or
batch), and ``conv_transpose3d`` makes kd calls of ``conv_transpose2d`` whose results are
spread onto the output depths with a stride. Everything the planar ops have — im2col and
one GEMM per group, their fast backward, their higher-order gradients, their kernels where
a kernel library serves them — the 3-D ops inherit; nothing of the im2col machinery is
written a second time.
"""
from __future__ import annotations

from ..tensor import Tensor
from ._autocast import amp_state, autocast_call
from .conv import _pair, conv2d, conv_transpose2d
from .shape import pad

__all__ = ["conv3d", "conv_transpose3d"]


def _batched5(name, input):
    if input.ndim not in (4, 5):
        raise RuntimeError(f"Expected 4D (unbatched) or 5D (batched) input to {name}, but got "
                           f"input of size: {list(input.shape)}")
    return (input, True) if input.ndim == 5 else (input.unsqueeze(0), False)


def _check_weight(name, weight, what):
    if weight.ndim != 5:
        raise RuntimeError(f"{name}: expected weight {what}, got shape {list(weight.shape)}")


def _depth_padding(padding, k, d, s):
    """((front, back), H/W padding as conv2d takes it) for an int/tuple/'same'/'valid'."""
    if isinstance(padding, str):
        if padding == "valid":
            return (0, 0), "valid"
        if padding == "same":
            if s != (1, 1, 1):
                raise RuntimeError("padding='same' is not supported for strided convolutions")
            tot = d[0] * (k[0] - 1)
            return (tot // 2, tot - tot // 2), "same"  # conv2d splits H and W the same way
        raise RuntimeError(f"Invalid padding string: '{padding}'")
    p = _pair(padding, "padding", 3)
    if min(p) < 0:
        raise RuntimeError("negative padding is not supported")
    return (p[0], p[0]), (p[1], p[2])


def conv3d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0,
           dilation=1, groups: int = 1) -> Tensor:
    """3-D convolution (cross-correlation) over volumes or clips.

    Shape: input (N, C_in, D, H, W) or (C_in, D, H, W); weight (C_out, C_in/groups, kd, kh,
    kw); output (N, C_out, D_out, H_out, W_out) with
    D_out = (D + 2p - d(kd - 1) - 1) // s + 1 (likewise H_out, W_out).
    ``padding``: int, triple, 'valid' or 'same' (stride 1).
    """
    if amp_state.on:
        return autocast_call("conv3d", conv3d, input, weight, bias, stride, padding, dilation,
                             groups)
    x, batched = _batched5("conv3d", input)
    _check_weight("conv3d", weight, "(out, in/groups, kd, kh, kw)")
    s, d = _pair(stride, "stride", 3), _pair(dilation, "dilation", 3)
    O, Cg, kd, kh, kw = weight.shape
    N, C, D, H, W = x.shape
    if groups < 1 or C % groups or O % groups:
        raise RuntimeError(f"conv3d: groups={groups} must divide the input channels ({C}) and "
                           f"the output channels ({O})")
    if Cg * groups != C:
        raise RuntimeError(f"Given groups={groups}, weight of size {list(weight.shape)}, "
                           f"expected input{list(input.shape)} to have {Cg * groups} channels, "
                           f"but got {C} channels instead")
    (pf, pb), hw_pad = _depth_padding(padding, (kd, kh, kw), d, s)
    if hw_pad == "same":
        hw = [(t // 2, t - t // 2) for t in (d[1] * (kh - 1), d[2] * (kw - 1))]
    elif hw_pad == "valid":
        hw = [(0, 0), (0, 0)]
    else:
        hw = [(hw_pad[0], hw_pad[0]), (hw_pad[1], hw_pad[1])]
    padded = [D + pf + pb, H + sum(hw[0]), W + sum(hw[1])]
    span = [d[0] * (kd - 1) + 1, d[1] * (kh - 1) + 1, d[2] * (kw - 1) + 1]
    if any(p < k for p, k in zip(padded, span)):
        raise RuntimeError(f"conv3d: Kernel size can't be greater than actual input size: "
                           f"padded input {padded}, kernel {span} (input shape "
                           f"{list(input.shape)})")
    if bias is not None and tuple(bias.shape) != (O,):
        raise RuntimeError(f"conv3d: bias must have shape ({O},), got {list(bias.shape)}")
    if x.dtype != weight.dtype:
        raise RuntimeError(f"conv3d: input type ({x.dtype}) and weight type ({weight.dtype}) "
                           "should be the same")
    if pf or pb:
        x = pad(x, (0, 0, 0, 0, pf, pb))
    Do = (padded[0] - span[0]) // s[0] + 1
    xt = x.permute(0, 2, 1, 3, 4)  # (N, D, C, H, W): output depth joins the batch
    out = None
    for i in range(kd):
        top = i * d[0]
        planes = xt[:, top:top + s[0] * (Do - 1) + 1:s[0]].reshape(N * Do, C, H, W)
        y = conv2d(planes, weight[:, :, i], None, s[1:], hw_pad, d[1:], groups)
        out = y if out is None else out + y
    out = out.reshape(N, Do, O, out.shape[2], out.shape[3]).permute(0, 2, 1, 3, 4)
    if bias is not None:
        out = out + bias.reshape(1, O, 1, 1, 1)
    return out if batched else out.squeeze(0)


def conv_transpose3d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1,
                     padding=0, output_padding=0, groups: int = 1, dilation=1) -> Tensor:
    """3-D transposed convolution (the gradient of conv3d w.r.t. its input).

    Shape: input (N, C_in, D, H, W) or (C_in, D, H, W); weight (C_in, C_out/groups, kd, kh,
    kw); D_out = (D - 1)s - 2p + d(kd - 1) + output_padding + 1 (likewise H_out, W_out).
    """
    if amp_state.on:
        return autocast_call("conv_transpose3d", conv_transpose3d, input, weight, bias, stride,
                             padding, output_padding, groups, dilation)
    x, batched = _batched5("conv_transpose3d", input)
    _check_weight("conv_transpose3d", weight, "(in, out/groups, kd, kh, kw)")
    s, p = _pair(stride, "stride", 3), _pair(padding, "padding", 3)
    op, d = _pair(output_padding, "output_padding", 3), _pair(dilation, "dilation", 3)
    Cin, Og, kd, kh, kw = weight.shape
    N, C, D, H, W = x.shape
    if C != Cin:
        raise RuntimeError(f"Given transposed=1, weight of size {list(weight.shape)}, expected "
                           f"input{list(input.shape)} to have {Cin} channels, but got {C} "
                           "channels instead")
    if groups < 1 or C % groups:
        raise RuntimeError(f"conv_transpose3d: groups={groups} must divide the input channels "
                           f"({C})")
    if min(p) < 0:
        raise RuntimeError("negative padding is not supported")
    for i in range(3):
        if op[i] >= max(s[i], d[i]):
            raise RuntimeError(f"conv_transpose3d: output padding must be smaller than either "
                               f"stride or dilation, but got output_padding={op}, stride={s}, "
                               f"dilation={d}")
    k = (kd, kh, kw)
    size = [(n - 1) * s[i] - 2 * p[i] + d[i] * (k[i] - 1) + op[i] + 1
            for i, n in enumerate((D, H, W))]
    if min(size) <= 0:
        raise RuntimeError(f"conv_transpose3d: the output size {size} is too small for input "
                           f"{list(input.shape)}")
    O = Og * groups
    if bias is not None and tuple(bias.shape) != (O,):
        raise RuntimeError(f"conv_transpose3d: bias must have shape ({O},), got "
                           f"{list(bias.shape)}")
    if x.dtype != weight.dtype:
        raise RuntimeError(f"conv_transpose3d: input type ({x.dtype}) and weight type "
                           f"({weight.dtype}) should be the same")
    planes = x.permute(0, 2, 1, 3, 4).reshape(N * D, C, H, W)
    spread = (D - 1) * s[0] + 1  # the input depths, s[0] apart
    full = spread + d[0] * (kd - 1) + op[0]  # every output depth before cropping the padding
    out = None
    for i in range(kd):
        y = conv_transpose2d(planes, weight[:, :, i], None, s[1:], p[1:], op[1:], groups, d[1:])
        Ho, Wo = y.shape[2], y.shape[3]
        y = y.reshape(N, D, 1, O, Ho, Wo)
        if s[0] > 1:  # s[0] - 1 zero slices after each input depth
            y = pad(y, (0, 0, 0, 0, 0, 0, 0, s[0] - 1)).reshape(N, D * s[0], O, Ho, Wo)
            y = y[:, :spread]
        else:
            y = y.reshape(N, D, O, Ho, Wo)
        y = pad(y, (0, 0, 0, 0, 0, 0, i * d[0], full - spread - i * d[0]))
        out = y if out is None else out + y
    out = out[:, p[0]:p[0] + size[0]].permute(0, 2, 1, 3, 4)
    if bias is not None:
        out = out + bias.reshape(1, O, 1, 1, 1)
    return out if batched else out.squeeze(0)
