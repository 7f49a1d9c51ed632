"""Up-sampling: interpolate (nearest, (bi)linear) and pixel (un)shuffle, as compositions."""
from __future__ import annotations

import math

import numpy as np

from ..tensor import Tensor, _wrap
from ._autocast import amp_state, autocast_call
from ._util import xp_of

__all__ = ["interpolate", "upsample", "pixel_shuffle", "pixel_unshuffle"]


def _sizes(input, size, scale_factor, n):
    if (size is None) == (scale_factor is None):
        raise ValueError("interpolate: exactly one of size or scale_factor should be defined")
    spatial = tuple(input.shape[2:])
    if size is not None:
        size = (size,) * n if isinstance(size, int) else tuple(size)
        return size, [spatial[i] / size[i] for i in range(n)]
    sf = (scale_factor,) * n if not isinstance(scale_factor, (tuple, list)) else \
        tuple(scale_factor)
    out = tuple(int(math.floor(spatial[i] * sf[i])) for i in range(n))
    return out, [1.0 / sf[i] for i in range(n)]


def _linear_weights(n_in, n_out, scale, align_corners, xp, dtype):
    """Source indices i0, i1 and weight of i1 for each output position (PyTorch's rule)."""
    dst = np.arange(n_out, dtype=np.float64)
    if align_corners:
        src = dst * ((n_in - 1) / (n_out - 1) if n_out > 1 else 0.0)
    else:
        src = np.maximum((dst + 0.5) * scale - 0.5, 0.0)
    i0 = np.minimum(np.floor(src).astype(np.int64), n_in - 1)
    i1 = np.minimum(i0 + 1, n_in - 1)
    lam = src - i0
    return xp.asarray(i0), xp.asarray(i1), xp.asarray(lam.astype(dtype))


def interpolate(input: Tensor, size=None, scale_factor=None, mode: str = "nearest",
                align_corners=None, recompute_scale_factor=None, antialias: bool = False):
    """Resize the spatial dims of (N, C, L) or (N, C, H, W) inputs.

    Modes: 'nearest' (src = floor(dst * in/out)), 'linear' (3-D), 'bilinear' (4-D),
    with ``align_corners`` as in PyTorch.
    """
    if amp_state.on:
        return autocast_call("interpolate", interpolate, input, size, scale_factor, mode,
                             align_corners, recompute_scale_factor, antialias)
    if antialias:
        raise NotImplementedError("interpolate: antialias=True is not supported by ember")
    n = input.ndim - 2
    if n not in (1, 2):
        raise NotImplementedError(f"interpolate: only 3-D and 4-D inputs are supported, got "
                                  f"{list(input.shape)}")
    out_size, scales = _sizes(input, size, scale_factor, n)
    if recompute_scale_factor:
        scales = [input.shape[2 + i] / out_size[i] for i in range(n)]
    xp = xp_of(input._data)
    if mode == "nearest":
        if align_corners is not None:
            raise ValueError("align_corners option can only be set with the interpolating "
                             "modes: linear | bilinear | bicubic | trilinear")
        out = input
        for i in range(n):
            n_in = input.shape[2 + i]
            src = np.minimum(np.floor(np.arange(out_size[i]) * scales[i]).astype(np.int64),
                             n_in - 1)
            out = out[(slice(None),) * (2 + i) + (xp.asarray(src),)]
        return out
    if (mode, n) not in (("linear", 1), ("bilinear", 2)):
        raise NotImplementedError(f"interpolate: mode={mode!r} for a {input.ndim}-D input is "
                                  "not supported by ember (nearest, linear for 3-D, bilinear "
                                  "for 4-D)")
    ac = bool(align_corners)
    out = input
    for i in range(n):
        dim = 2 + i
        i0, i1, lam = _linear_weights(input.shape[dim], out_size[i], scales[i], ac, xp,
                                      input._data.dtype)
        shape = [1] * input.ndim
        shape[dim] = out_size[i]
        w1 = _wrap(lam.reshape(shape), False, None, 0)
        pre = (slice(None),) * dim
        out = out[pre + (i0,)] * (1 - w1) + out[pre + (i1,)] * w1
    return out


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
