"""3-D pooling as two passes of 2-D pooling: over (H, W), then over D.

A pooling window of a volume is a box, and the maximum (or the sum) over a box is the
maximum (sum) over its depth rows of the maxima (sums) over its planes. So each 3-D
pooling runs the 2-D pooling of ``pool.py`` twice on views of the same array, whole-array
both times: first over (H, W) with the depth folded into the channels, (N, C*D, H, W); then
over the depth, with the pooled planes flattened into one axis, (N, C, D, Ho*Wo), and a
(kd, 1) window. Padding, dilation and ``ceil_mode`` act per axis in PyTorch's formulas, so
the two passes give PyTorch's windows; average pooling divides by the product of the
per-axis counts, as PyTorch's divisor is (``divisor_override`` divides once, at the end).
Gradients, ties (the first maximum in (d, h, w) order) and the fast tiled paths come from
the 2-D ops; the recorded indices are combined into flat d*H*W + h*W + w positions.
"""
from __future__ import annotations

import numpy as np

from ..tensor import Tensor, _wrap
from ._autocast import amp_state, autocast_call
from .conv import _pair
from .index import scatter
from .products import einsum
from .pool import _avg_matrix, adaptive_avg_pool2d, adaptive_max_pool2d, avg_pool2d, max_pool2d
from ._util import xp_of

__all__ = ["max_pool3d", "avg_pool3d", "adaptive_avg_pool3d", "adaptive_max_pool3d",
           "max_unpool3d"]


def _batched5(name, input):
    if input.ndim not in (4, 5) or (input.numel() == 0 and input.ndim == 4):
        raise RuntimeError("non-empty 4D or 5D (batch mode) tensor expected for input")
    x = input if input.ndim == 5 else input.unsqueeze(0)
    if 0 in tuple(x.shape[1:]):
        dim = tuple(x.shape[1:]).index(0) + 1 - (input.ndim == 4)
        raise RuntimeError(f"{name}: Expected input's non-batch dimensions to have positive "
                           f"length, but input has a shape of {list(input.shape)} and "
                           f"non-batch dimension {dim} has length zero!")
    return x, input.ndim == 5


def _geometry(name, x, kernel_size, stride, padding, dilation, ceil_mode):
    """Kernel, stride, padding, dilation triples; checks and the output size, as PyTorch."""
    k = _pair(kernel_size, "kernel_size", 3)
    s = _pair(stride if stride not in (None, []) else kernel_size, "stride", 3)
    p, d = _pair(padding, "padding", 3), _pair(dilation, "dilation", 3)
    if min(s) == 0:
        raise RuntimeError("stride should not be zero")
    if min(k) <= 0 or min(s) < 0 or min(d) <= 0:
        raise RuntimeError(f"{name}: kernel_size, stride and dilation must be positive, got "
                           f"kernel_size={k}, stride={s}, dilation={d}")
    for i in range(3):
        if p[i] > k[i] // 2:
            raise RuntimeError(f"pad should be at most half of effective kernel size, but got "
                               f"pad={p[i]}, kernel_size={k[i]} and dilation={d[i]}")
    out = []
    for i, n in enumerate(x.shape[2:]):
        o = (n + 2 * p[i] - d[i] * (k[i] - 1) - 1 + (s[i] - 1 if ceil_mode else 0)) // s[i] + 1
        if ceil_mode and (o - 1) * s[i] >= n + p[i]:
            o -= 1
        out.append(o)
    if min(out) < 1:
        sizes = "x".join(map(str, x.shape[1:]))
        raise RuntimeError(f"Given input size: ({sizes}). Calculated output size: "
                           f"({x.shape[1]}x{'x'.join(map(str, out))}). Output size is too small")
    return k, s, p, d


def _combine_indices(plane_idx, depth_idx, hw, plane_area):
    """Flat (d, h, w) positions from the plane pass's indices (N, C, D, Ho*Wo), h*W + w of
    each plane maximum, and the depth pass's (N, C, Do, Ho*Wo), d*Ho*Wo + j of the row."""
    xp = xp_of(plane_idx)
    d = depth_idx // hw
    within = xp.take_along_axis(plane_idx, d, axis=2)
    return d * plane_area + within


def max_pool3d(input: Tensor, kernel_size, stride=None, padding=0, dilation=1,
               ceil_mode: bool = False, return_indices: bool = False):
    """The maximum over each (kd, kh, kw) window of a volume.

    Shape: (N, C, D, H, W) or (C, D, H, W) -> (N, C, D_out, H_out, W_out), each output size
    (n + 2p - d(k - 1) - 1) // s + 1 (rounded up with ``ceil_mode``). ``return_indices``
    also gives the flat position d*H*W + h*W + w of each maximum (for ``max_unpool3d``).
    """
    if amp_state.on:
        return autocast_call("max_pool3d", max_pool3d, input, kernel_size, stride, padding,
                             dilation, ceil_mode, return_indices)
    x, batched = _batched5("max_pool3d", input)
    k, s, p, d = _geometry("max_pool3d", x, kernel_size, stride, padding, dilation, ceil_mode)
    N, C, D, H, W = x.shape
    planes = max_pool2d(x.reshape(N, C * D, H, W), k[1:], s[1:], p[1:], d[1:], ceil_mode,
                        return_indices)
    pi = None
    if return_indices:
        planes, pi = planes
    Ho, Wo = planes.shape[2], planes.shape[3]
    rows = max_pool2d(planes.reshape(N, C, D, Ho * Wo), (k[0], 1), (s[0], 1), (p[0], 0),
                      (d[0], 1), ceil_mode, return_indices)
    if return_indices:
        rows, ri = rows
    out = rows.reshape(N, C, rows.shape[2], Ho, Wo)
    if not batched:
        out = out.squeeze(0)
    if not return_indices:
        return out
    flat = _combine_indices(pi._data.reshape(N, C, D, Ho * Wo), ri._data, Ho * Wo, H * W)
    idx = _wrap(flat.reshape(out.shape), False, None, 0)
    return out, idx


def avg_pool3d(input: Tensor, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
               count_include_pad: bool = True, divisor_override=None) -> Tensor:
    """The mean over each (kd, kh, kw) window of a volume (PyTorch's divisors: padding
    counted with ``count_include_pad``; ``divisor_override`` replaces the count).

    Shape: (N, C, D, H, W) or (C, D, H, W) -> (N, C, D_out, H_out, W_out).
    """
    if amp_state.on:
        return autocast_call("avg_pool3d", avg_pool3d, input, kernel_size, stride, padding,
                             ceil_mode, count_include_pad, divisor_override)
    x, batched = _batched5("avg_pool3d", input)
    k, s, p, _ = _geometry("avg_pool3d", x, kernel_size, stride, padding, 1, ceil_mode)
    if divisor_override is not None and divisor_override == 0:
        raise RuntimeError("divisor must be not zero")
    N, C, D, H, W = x.shape
    # with an override, the plane pass sums (divisor 1) and the depth pass divides once
    planes = avg_pool2d(x.reshape(N, C * D, H, W), k[1:], s[1:], p[1:], ceil_mode,
                        count_include_pad, 1 if divisor_override else None)
    Ho, Wo = planes.shape[2], planes.shape[3]
    rows = avg_pool2d(planes.reshape(N, C, D, Ho * Wo), (k[0], 1), (s[0], 1), (p[0], 0),
                      ceil_mode, count_include_pad, divisor_override or None)
    out = rows.reshape(N, C, rows.shape[2], Ho, Wo)
    return out if batched else out.squeeze(0)


def _adaptive_size(name, output_size, spatial):
    if isinstance(output_size, (tuple, list)):
        if len(output_size) != 3:
            raise RuntimeError(f"{name}: output_size must be 3")
        o = tuple(spatial[i] if v is None else int(v) for i, v in enumerate(output_size))
    else:
        o = (int(output_size),) * 3
    if min(o) < 0:
        raise RuntimeError(f"{name}: elements of output_size must be greater than or equal to "
                           f"0 but received {list(o)}")
    return o


def _adaptive_input(name, input):
    if input.ndim not in (4, 5):
        raise RuntimeError(f"{name}(): Expected 4D or 5D tensor, but got: {list(input.shape)}")
    shape = tuple(input.shape)
    for i in range(input.ndim - 4, input.ndim):
        if shape[i] == 0:
            raise RuntimeError(f"{name}(): Expected input to have non-zero size for non-batch "
                               f"dimensions, but input has sizes {list(shape)} with dimension "
                               f"{i} being empty")
    return (input, True) if input.ndim == 5 else (input.unsqueeze(0), False)


def adaptive_avg_pool3d(input: Tensor, output_size) -> Tensor:
    """Average pooling to a fixed output size (D_out, H_out, W_out); window i of an axis of
    size n spans [floor(i n / o), ceil((i + 1) n / o)). ``None`` keeps that axis's size."""
    if amp_state.on:
        return autocast_call("adaptive_avg_pool3d", adaptive_avg_pool3d, input, output_size)
    x, batched = _adaptive_input("adaptive_avg_pool3d", input)
    N, C, D, H, W = x.shape
    Do, Ho, Wo = _adaptive_size("adaptive_avg_pool3d", output_size, (D, H, W))
    planes = adaptive_avg_pool2d(x.reshape(N, C * D, H, W), (Ho, Wo))
    ad = _avg_matrix(D, Do, x._data.dtype, xp_of(x._data))
    out = einsum("id,ncdj->ncij", ad, planes.reshape(N, C, D, Ho * Wo))
    out = out.reshape(N, C, Do, Ho, Wo)
    return out if batched else out.squeeze(0)


def adaptive_max_pool3d(input: Tensor, output_size, return_indices: bool = False):
    """Max pooling to a fixed output size (windows as in ``adaptive_avg_pool3d``); with
    ``return_indices`` also the flat d*H*W + h*W + w position of each maximum."""
    if amp_state.on:
        return autocast_call("adaptive_max_pool3d", adaptive_max_pool3d, input, output_size,
                             return_indices)
    x, batched = _adaptive_input("adaptive_max_pool3d", input)
    N, C, D, H, W = x.shape
    Do, Ho, Wo = _adaptive_size("adaptive_max_pool3d", output_size, (D, H, W))
    planes, pi = adaptive_max_pool2d(x.reshape(N, C * D, H, W), (Ho, Wo), True)
    rows, ri = adaptive_max_pool2d(planes.reshape(N, C, D, Ho * Wo), (Do, Ho * Wo), True)
    out = rows.reshape(N, C, Do, Ho, Wo)
    if not batched:
        out = out.squeeze(0)
    if not return_indices:
        return out
    flat = _combine_indices(pi._data.reshape(N, C, D, Ho * Wo), ri._data, Ho * Wo, H * W)
    return out, _wrap(flat.reshape(out.shape), False, None, 0)


def _unpool_size(input, k, s, p, output_size):
    """PyTorch's output size of max unpooling: the default, or ``output_size`` (its last
    three entries) when it lies strictly within one stride of the default."""
    n = len(k)
    default = [(input.shape[-n + i] - 1) * s[i] + k[i] - 2 * p[i] for i in range(n)]
    if output_size is None:
        return default
    size = list(output_size)
    if len(size) == n + 2:
        size = size[2:]
    if len(size) != n:
        raise ValueError(f"output_size should be a sequence containing {n} or {n + 2} elements, "
                         f"but it has a length of '{len(size)}'")
    for i in range(n):
        lo, hi = default[i] - s[i], default[i] + s[i]
        if not lo < size[i] < hi:
            raise ValueError(f'invalid output_size "{tuple(output_size)}" (dim {i} must be '
                             f"between {lo} and {hi})")
    return [int(v) for v in size]


def max_unpool3d(input: Tensor, indices: Tensor, kernel_size, stride=None, padding=0,
                 output_size=None) -> Tensor:
    """The partial inverse of ``max_pool3d``: each value put back at the flat position its
    index names, zeros elsewhere.

    Shape: (N, C, D, H, W) or (C, D, H, W) -> (N, C, D_out, H_out, W_out) with
    D_out = (D - 1) stride - 2 padding + kernel_size, or ``output_size``.
    """
    if amp_state.on:
        return autocast_call("max_unpool3d", max_unpool3d, input, indices, kernel_size, stride,
                             padding, output_size)
    k = _pair(kernel_size, "kernel_size", 3)
    s = _pair(stride if stride is not None else kernel_size, "stride", 3)
    p = _pair(padding, "padding", 3)
    if input.ndim not in (4, 5):
        raise RuntimeError(f"max_unpool3d: Input to max_unpooling3d should be a 4d or 5d Tensor, "
                           f"but got a tensor with {input.ndim} dimensions.")
    if tuple(indices.shape) != tuple(input.shape):
        raise RuntimeError(f"Expected shape of indices to be same as that of the input tensor "
                           f"({list(input.shape)}) but got indices tensor with shape: "
                           f"{list(indices.shape)}")
    if indices._data.dtype != np.int64:
        raise RuntimeError(f"elements in indices should be type int64 but got: {indices.dtype}")
    Do, Ho, Wo = _unpool_size(input, k, s, p, output_size)
    batched = input.ndim == 5
    x = input if batched else input.unsqueeze(0)
    idx = indices if batched else indices.unsqueeze(0)
    N, C = x.shape[0], x.shape[1]
    n_in = int(np.prod(x.shape[2:]))
    if idx.numel():
        lo, hi = int(idx._data.min()), int(idx._data.max())
        if lo < 0 or hi >= Do * Ho * Wo:
            bad = lo if lo < 0 else hi
            raise RuntimeError(f"Found an invalid max index: {bad} (output volumes are of size "
                               f"{Do}x{Ho}x{Wo}")
    zeros = _wrap(xp_of(x._data).zeros((N, C, Do * Ho * Wo), dtype=x._data.dtype), False,
                  None, 0)
    out = scatter(zeros, 2, idx.reshape(N, C, n_in), x.reshape(N, C, n_in))
    out = out.reshape(N, C, Do, Ho, Wo)
    return out if batched else out.squeeze(0)
