"""Resizing: interpolate (nearest, nearest-exact, (bi/tri)linear, bicubic, area) and pixel
(un)shuffle, as compositions.

Every interpolating mode is separable: per spatial axis, a few gathers of the input along
that axis times per-output weights (the taps), whose index and weight tables follow
PyTorch's kernels formula by formula in the same floating precision. The taps serve the
tensor transforms' resize as well. 'area' is adaptive average pooling.
"""
from __future__ import annotations

import math

import numpy as np

from .. import backend
from ..tensor import Tensor, _wrap
from ._autocast import amp_state, autocast_call
from ._util import xp_of
from .elementwise import to_dtype
from .pool import adaptive_avg_pool1d, adaptive_avg_pool2d
from .pool3d import adaptive_avg_pool3d

__all__ = ["interpolate", "upsample", "pixel_shuffle", "pixel_unshuffle"]


_MODES = "nearest | linear | bilinear | bicubic | trilinear | lanczos | area | nearest-exact"
_MODE_DIMS = {"linear": 1, "bilinear": 2, "bicubic": 2, "trilinear": 3, "lanczos": 2}


def _is_int(v) -> bool:
    return isinstance(v, (int, np.integer)) and not isinstance(v, bool)


def _output_size(input, size, scale_factor, n, recompute_scale_factor, mode):
    """(output size, per-axis scale factors or None), with PyTorch's checks and messages."""
    if size is not None and scale_factor is not None:
        raise ValueError("only one of size or scale_factor should be defined")
    spatial = list(input.shape[2:])
    if size is not None:
        if isinstance(size, (list, tuple)):
            if len(size) != n:
                raise ValueError(
                    f"Input and output must have the same number of spatial dimensions, but got "
                    f"input with spatial dimensions of {spatial} and output size of {size}. "
                    "Please provide input tensor in (N, C, d1, d2, ...,dK) format and output "
                    "size in (o1, o2, ...,oK) format.")
            if not all(_is_int(v) for v in size):
                raise TypeError("expected size to be one of int or Tuple[int] or Tuple[int, int] "
                                "or Tuple[int, int, int], but got size with types "
                                f"{[type(v) for v in size]}")
            out, scales = [int(v) for v in size], None
        else:
            out, scales = [int(size)] * n, None
    elif scale_factor is not None:
        if isinstance(scale_factor, (list, tuple)):
            if len(scale_factor) != n:
                raise ValueError(
                    f"Input and scale_factor must have the same number of spatial dimensions, "
                    f"but got input with spatial dimensions of {spatial} and scale_factor of "
                    f"shape {scale_factor}. Please provide input tensor in (N, C, d1, d2, "
                    "...,dK) format and scale_factor in (s1, s2, ...,sK) format.")
            scales = [float(v) for v in scale_factor]
        else:
            scales = [float(scale_factor)] * n
        out = [int(math.floor(spatial[i] * scales[i])) for i in range(n)]
    else:
        raise ValueError("either size or scale_factor should be defined")
    if recompute_scale_factor and size is not None:
        raise ValueError("recompute_scale_factor is not meaningful with an explicit size.")
    if recompute_scale_factor or mode == "area":
        out = [int(spatial[i] * scales[i]) for i in range(n)] if scales is not None else out
        scales = None
    return out, scales


def _check_sizes(spatial, out):
    if min(spatial, default=1) > 0 and min(out, default=1) > 0:
        return
    names = ("D", "H", "W")[3 - len(out):]
    fmt = ", ".join(f"{a}: {b}" for a, b in zip(names, spatial))
    fo = ", ".join(f"{a}: {b}" for a, b in zip(names, out))
    raise RuntimeError(f"Input and output sizes should be greater than 0, but got input ({fmt}) "
                       f"output ({fo})")


def _nearest_index(n_in: int, n_out: int, scale, exact: bool) -> np.ndarray:
    """Source index of each output position, as PyTorch's nearest / nearest-exact kernels
    compute it (a float32 scale: 1 / scale_factor when given, else in / out)."""
    i = np.arange(n_out)
    if not exact and n_out == n_in:
        return i
    if not exact and n_out == 2 * n_in:
        return i >> 1
    f = np.float32(1.0 / scale) if scale is not None and scale > 0 else \
        np.float32(n_in) / np.float32(n_out)
    if exact:  # (i + 0.5) in double, times the float scale, rounded to float, floored
        src = np.floor(((i + 0.5) * np.float64(f)).astype(np.float32))
    else:
        src = np.floor(i.astype(np.float32) * f)
    return np.minimum(src.astype(np.int64), n_in - 1)


def _cubic(x, a):
    """Keys' cubic convolution kernel (a = -0.75 for plain bicubic, -0.5 antialiased)."""
    x = np.abs(x)
    near = ((a + 2) * x - (a + 3)) * x * x + 1
    far = ((a * x - 5 * a) * x + 8 * a) * x - 4 * a
    return np.where(x < 1, near, np.where(x < 2, far, 0)).astype(x.dtype)


def _taps(n_in: int, n_out: int, scale, align_corners: bool, cubic: bool, ft):
    """(index (n_out, K), weight (n_out, K)) of linear (K=2) or cubic (K=4, a = -0.75)
    interpolation along one axis, in PyTorch's formulas and in its compute precision ``ft``
    (float32 for float32 inputs): the source coordinate of output i is ``scale * i`` with
    align_corners, else ``scale * (i + 0.5) - 0.5`` (clamped at 0 for linear), where scale is
    (in - 1) / (out - 1), or 1 / scale_factor when given, or in / out. Cubic taps outside
    the input repeat its border."""
    if align_corners:
        sc = ft(n_in - 1) / ft(n_out - 1) if n_out > 1 else ft(0)
    elif scale is not None and scale > 0:
        sc = ft(1.0 / scale)
    else:
        sc = ft(n_in) / ft(n_out)
    dst = np.arange(n_out).astype(ft)
    src = (sc * dst).astype(ft) if align_corners else (sc * (dst + ft(0.5)) - ft(0.5)).astype(ft)
    if not cubic and not align_corners:
        src = np.maximum(src, ft(0))
    i0 = np.minimum(np.floor(src).astype(np.int64), n_in - 1)
    t = np.clip(src - i0.astype(ft), ft(0), ft(1)).astype(ft)
    if not cubic:
        i1 = i0 + (i0 < n_in - 1)
        return np.stack([i0, i1], 1), np.stack([ft(1) - t, t], 1)
    a = ft(-0.75)
    w = np.stack([_cubic(t + ft(1), a), _cubic(t, a), _cubic(ft(1) - t, a),
                  _cubic(ft(2) - t, a)], 1)
    return np.clip(i0[:, None] + np.arange(-1, 3), 0, n_in - 1), w


def _take(x: Tensor, index, axis: int) -> Tensor:
    """``x`` picked at ``index`` (a device int array) along ``axis`` (negative): one ``take``
    when there is no graph to record, else ember's (differentiable) indexing."""
    if not x.requires_grad:
        return _wrap(xp_of(x._data).take(x._data, index, axis=axis), False, None, 0)
    return x[(Ellipsis, index) + (slice(None),) * (-1 - axis)]


def _apply_taps(x: Tensor, axis: int, idx: np.ndarray, w: np.ndarray) -> Tensor:
    """sum_k x[along ``axis`` (negative) at idx[:, k]] * w[:, k], accumulated in order k."""
    xp = xp_of(x._data)
    out = None
    for k in range(idx.shape[1]):
        wk = w[:, k].reshape((-1,) + (1,) * (-1 - axis))
        term = _take(x, xp.asarray(idx[:, k]), axis) * _wrap(xp.asarray(wk), False, None, 0)
        out = term if out is None else out + term
    return out


def interpolate(input: Tensor, size=None, scale_factor=None, mode: str = "nearest",
                align_corners=None, recompute_scale_factor=None, antialias: bool = False):
    """Resize the spatial dims of (N, C, L), (N, C, H, W) or (N, C, D, H, W) inputs.

    Modes: 'nearest' (src = floor(dst * scale)), 'nearest-exact' (floor((dst + 0.5) scale)),
    'linear' (3-D), 'bilinear' (4-D), 'bicubic' (4-D; Keys' cubic with a = -0.75, borders
    repeated), 'trilinear' (5-D), 'area' (adaptive average pooling), with ``align_corners``
    and ``scale_factor``/``recompute_scale_factor`` as in PyTorch. Separable: one pass of
    gathers and weights per spatial axis, differentiable w.r.t. the input.
    """
    if amp_state.on:
        return autocast_call("interpolate", interpolate, input, size, scale_factor, mode,
                             align_corners, recompute_scale_factor, antialias)
    if mode in ("nearest", "area", "nearest-exact"):
        if align_corners is not None:
            raise ValueError("align_corners option can only be set with the interpolating "
                             "modes: linear | bilinear | bicubic | trilinear")
    n = input.ndim - 2
    out_size, scales = _output_size(input, size, scale_factor, n, recompute_scale_factor, mode)
    if antialias and not (mode in ("bilinear", "bicubic", "lanczos") and input.ndim == 4):
        raise ValueError("Anti-alias option is restricted to bilinear, bicubic, and lanczos "
                         "modes and requires a 4-D tensor as input")
    known = mode in ("nearest", "nearest-exact", "area") or mode in _MODE_DIMS
    if n not in (1, 2, 3) or not known:
        raise NotImplementedError(f"Input Error: Only 3D, 4D and 5D input Tensors supported "
                                  f"(got {input.ndim}D) for the modes: {_MODES} (got {mode})")
    want = _MODE_DIMS.get(mode)
    if want is not None and want != n:
        if mode in ("bicubic", "lanczos"):
            raise NotImplementedError(f"Input Error: Only 3D, 4D and 5D input Tensors supported "
                                      f"(got {input.ndim}D) for the modes: {_MODES} (got "
                                      f"{mode})")
        raise NotImplementedError(f"Got {input.ndim}D input, but {mode} mode needs "
                                  f"{want + 2}D input")
    if mode == "lanczos":
        raise NotImplementedError("interpolate: mode='lanczos' is not supported by ember")
    if antialias:
        raise NotImplementedError("interpolate: antialias=True is not supported by ember "
                                  "(the plain filters are: antialias=False)")
    if mode == "area":
        fn = {1: adaptive_avg_pool1d, 2: adaptive_avg_pool2d, 3: adaptive_avg_pool3d}[n]
        return fn(input, out_size)
    _check_sizes(list(input.shape[2:]), out_size)
    xp = xp_of(input._data)
    out = input
    if mode in ("nearest", "nearest-exact"):
        for i in range(n):
            src = _nearest_index(input.shape[2 + i], out_size[i],
                                 scales[i] if scales else None, mode == "nearest-exact")
            out = _take(out, xp.asarray(src), i - n)
        return out
    dt = input._data.dtype
    low = dt == np.float16 or dt == backend.BF16  # computed in float32, rounded back
    if dt.kind != "f" and not low:
        raise NotImplementedError(f"interpolate: mode={mode!r} needs a floating input, got "
                                  f"{input.dtype}")
    ft = np.float64 if dt == np.float64 else np.float32
    if low:
        out = to_dtype(out, np.dtype(np.float32))
    for i in range(n):  # the last axis first, as PyTorch's separable kernels
        ax = n - 1 - i
        idx, w = _taps(input.shape[2 + ax], out_size[ax], scales[ax] if scales else None,
                       bool(align_corners), mode == "bicubic", ft)
        out = _apply_taps(out, ax - n, idx, w.astype(out._data.dtype))
    return to_dtype(out, dt) if low else out


def upsample(input, size=None, scale_factor=None, mode="nearest", align_corners=None):
    return interpolate(input, size, scale_factor, mode, align_corners)


def pixel_shuffle(input: Tensor, upscale_factor: int) -> Tensor:
    """(*, C r^2, H, W) -> (*, C, H r, W r) (sub-pixel convolution's rearrangement)."""
    r = upscale_factor
    *lead, c, h, w = input.shape
    if c % (r * r):
        raise RuntimeError(f"pixel_shuffle expects its input's 'channel' dimension to be "
                           f"divisible by the square of upscale_factor, but input.size(-3)={c} "
                           f"is not divisible by {r * r}")
    x = input.reshape(*lead, c // (r * r), r, r, h, w)
    k = len(lead)
    x = x.permute(*range(k), k, k + 3, k + 1, k + 4, k + 2)
    return x.reshape(*lead, c // (r * r), h * r, w * r)


def pixel_unshuffle(input: Tensor, downscale_factor: int) -> Tensor:
    """(*, C, H r, W r) -> (*, C r^2, H, W), the inverse of pixel_shuffle."""
    r = downscale_factor
    *lead, c, h, w = input.shape
    if h % r or w % r:
        raise RuntimeError(f"pixel_unshuffle expects height and width to be divisible by "
                           f"downscale_factor {r}, got {h} x {w}")
    x = input.reshape(*lead, c, h // r, r, w // r, r)
    k = len(lead)
    x = x.permute(*range(k), k, k + 2, k + 4, k + 1, k + 3)
    return x.reshape(*lead, c * r * r, h // r, w // r)
