"""Resampling of tensor images: resize (nearest, nearest-exact, bilinear, bicubic, with or
without antialiasing) and grid sampling (the interpolation behind rotate, affine, perspective
and elastic_transform).

Both are separable or gather-based compositions of ember ops on whole arrays: a resize is,
per axis, a few gathers of the input along that axis times per-output weights (the taps of
``nn.functional.interpolate``, shared with it, and the antialiased ones, computed once per
call from the sizes); a grid sample is ``nn.functional.grid_sample(align_corners=False,
padding_mode='zeros')`` itself, four gathers (one for nearest) with bilinear weights. So
both carry gradients back to a float input that requires them. The index and weight tables
follow PyTorch's formulas in the same floating precision (float32 for float32 and integer
images), and outputs accumulate their taps in PyTorch's order, so results agree with
torchvision to rounding.
"""
from __future__ import annotations

import math

import numpy as np

from ... import backend
from ...ops.elementwise import to_dtype, where
from ...ops.grid_sample import _sample
from ...ops.upsample import _apply_taps, _cubic, _nearest_index, _take, _taps
from ...tensor import Tensor, _wrap

_INT_KINDS = "iub"


def _const(xp, arr) -> Tensor:
    return _wrap(xp.asarray(arr), False, None, 0)


def _compute_dtype(img: Tensor, allowed=(np.float32, np.float64)):
    dt = img._data.dtype
    return dt if dt in allowed else np.dtype(np.float32)


def _cast_back(out: Tensor, dtype) -> Tensor:
    """Back to the input's dtype; integer images are rounded first (half to even)."""
    if out._data.dtype == dtype:
        return out
    if np.dtype(dtype).kind in _INT_KINDS:
        out = out.round()
    return to_dtype(out, dtype)


# ---------------------------------------------------------------------------- resize


def _taps_plain(n_in: int, n_out: int, cubic: bool, ft):
    """The taps of ``interpolate``'s bilinear / bicubic modes with align_corners=False."""
    return _taps(n_in, n_out, None, False, cubic, ft)


def _taps_antialiased(n_in: int, n_out: int, cubic: bool, ft):
    """The antialiased taps of PyTorch's ``_upsample_bilinear2d_aa`` / ``_bicubic2d_aa``: a
    triangle (or a = -0.5 cubic) filter stretched by the downscaling factor, normalised per
    output; the float / double promotions of its C++ are kept term by term."""
    size = 4 if cubic else 2
    scale = ft(ft(n_in) / ft(n_out))
    support = ft(size * 0.5 * float(scale)) if scale >= 1 else ft(size * 0.5)
    invscale = ft(1.0 / float(scale)) if scale >= 1 else ft(1)
    k_max = int(math.ceil(float(support))) * 2 + 1
    i = np.arange(n_out)
    center = ((i + 0.5) * float(scale)).astype(ft)
    xmin = np.maximum(((center - support).astype(np.float64) + 0.5).astype(np.int64), 0)
    xsize = np.minimum(((center + support).astype(np.float64) + 0.5).astype(np.int64),
                       n_in) - xmin
    xsize = np.clip(xsize, 0, k_max)
    j = np.arange(k_max)
    d = (xmin[:, None] + j).astype(ft) - center[:, None]
    x = ((d.astype(np.float64) + 0.5) * float(invscale)).astype(ft)
    w = _cubic(x, ft(-0.5)) if cubic else np.maximum(ft(1) - np.abs(x), ft(0)).astype(ft)
    w = np.where(j < xsize[:, None], w, ft(0)).astype(ft)
    total = np.zeros(n_out, ft)
    for k in range(k_max):  # sequential float sum, as the kernel accumulates
        total = (total + w[:, k]).astype(ft)
    w = np.where(total[:, None] != 0, w / np.where(total == 0, ft(1), total)[:, None], w)
    idx = np.minimum(xmin[:, None] + j, n_in - 1)
    return idx, w.astype(ft)


def resize(img: Tensor, size, interpolation: str = "bilinear", antialias=True) -> Tensor:
    """``img`` (..., H, W) resized to ``size`` = [h, w] by ``interpolation`` ('nearest',
    'nearest-exact', 'bilinear', 'bicubic'); ``antialias`` applies to the last two."""
    if interpolation not in ("nearest", "nearest-exact", "bilinear", "bicubic"):
        raise ValueError(f"Interpolation mode '{interpolation}' is unsupported with Tensor "
                         "input")
    antialias = bool(antialias) and interpolation in ("bilinear", "bicubic")
    xp = backend.xp(img._data)
    in_dtype = img._data.dtype
    oh, ow = int(size[0]), int(size[1])
    h, w = img.shape[-2], img.shape[-1]
    if oh <= 0 or ow <= 0:
        raise RuntimeError(f"Input and output sizes should be greater than 0, but got input "
                           f"(H: {h}, W: {w}) output (H: {oh}, W: {ow})")
    if interpolation.startswith("nearest"):
        exact = interpolation == "nearest-exact"
        rows = xp.asarray(_nearest_index(h, oh, None, exact))
        cols = xp.asarray(_nearest_index(w, ow, None, exact))
        return _take(_take(img, rows, -2), cols, -1)
    ft = _compute_dtype(img).type
    x = to_dtype(img, ft) if in_dtype != ft else img
    cubic = interpolation == "bicubic"
    taps = _taps_antialiased if antialias else _taps_plain
    # the width first, then the height; with antialiasing an unchanged axis is skipped
    if ow != w or not antialias:
        x = _apply_taps(x, -1, *taps(w, ow, cubic, ft))
    if oh != h or not antialias:
        x = _apply_taps(x, -2, *taps(h, oh, cubic, ft))
    if cubic and in_dtype == np.uint8:
        x = x.clamp(0, 255)
    return _cast_back(x, in_dtype)


# ---------------------------------------------------------------------------- grid sampling


def _fma(a, b, c, ft):
    """a * b + c rounded once to ``ft`` (a fused multiply-add, as the matrix products behind
    PyTorch's affine grids compute on FMA hardware); float64 grids are computed plainly.

    For float32, a * b is exact in float64 and so is the rounding of the float64 sum to
    float32, except where that sum lands exactly halfway between two float32 values while
    the float64 addition itself rounded: there the sum is nudged towards the exact value."""
    if ft != np.float32:
        return (a * b + c).astype(ft)
    p = np.asarray(a, np.float64) * np.asarray(b, np.float64)
    c = np.asarray(c, np.float64)
    s = p + c
    halfway = (s.view(np.int64) & 0x1FFFFFFF) == 0x10000000
    if halfway.any():
        pb, cb, sb = np.broadcast_arrays(p, c, s)
        pk, ck, sk = pb[halfway], cb[halfway], sb[halfway]
        err = (pk - (sk - ck)) + (ck - (sk - (sk - ck)))  # exact remainder of the addition
        s = np.array(sb)
        s[halfway] = np.where(err == 0, sk, np.nextafter(sk, np.where(err > 0, np.inf, -np.inf)))
    return s.astype(np.float32)


def _plane(xs, ys, a, b, c, ft):
    """x a + y b + c over the grid, accumulated as a matrix product of (x, y, 1) rows."""
    return (_fma(ys, b, (xs * a).astype(ft), ft) + ft(c)).astype(ft)


def affine_grid(matrix, w: int, h: int, ow: int, oh: int, ft):
    """Normalised source coordinates (gx, gy), each (oh, ow), of the output pixels under the
    inverse affine ``matrix`` (6 numbers, pixel units about the image centre)."""
    theta = np.asarray(matrix, dtype=ft).reshape(2, 3)
    r = (theta / np.asarray([[0.5 * w], [0.5 * h]], dtype=ft)).astype(ft)
    xs = (np.arange(ow, dtype=ft) - ft(ow * 0.5) + ft(0.5))[None, :]
    ys = (np.arange(oh, dtype=ft) - ft(oh * 0.5) + ft(0.5))[:, None]
    xs, ys = np.broadcast_arrays(xs, ys)
    return _plane(xs, ys, *r[0], ft), _plane(xs, ys, *r[1], ft)


def perspective_grid(coeffs, ow: int, oh: int, ft):
    """Normalised source coordinates of the output pixels under perspective ``coeffs``
    (a, b, c, d, e, f, g, h): x' = (a x + b y + c) / (g x + h y + 1), y' likewise."""
    a, b, c, d, e, f, g, hh = (ft(v) for v in coeffs)
    xs = (np.arange(ow, dtype=ft) + ft(0.5))[None, :]
    ys = (np.arange(oh, dtype=ft) + ft(0.5))[:, None]
    xs, ys = np.broadcast_arrays(xs, ys)
    sx, sy = ft(0.5 * ow), ft(0.5 * oh)
    den = _plane(xs, ys, g, hh, ft(1), ft)
    gx = _plane(xs, ys, a / sx, b / sx, c / sx, ft) / den - ft(1)
    gy = _plane(xs, ys, d / sy, e / sy, f / sy, ft) / den - ft(1)
    return gx.astype(ft), gy.astype(ft)


def _linspace32(start: float, end: float, steps: int) -> np.ndarray:
    """float32 linspace as PyTorch's CPU kernel computes it: from the start for the first
    half, from the end for the second, each point one fused multiply-add."""
    f = np.float32
    s, e = f(start), f(end)
    if steps == 1:
        return np.asarray([s], f)
    step = (e - s) / f(steps - 1)
    i = np.arange(steps)
    lo = _fma(np.full(steps, step, f), i.astype(f), np.full(steps, s, f), f)
    hi = _fma(np.full(steps, -step, f), (steps - i - 1).astype(f), np.full(steps, e, f), f)
    return np.where(i < steps // 2, lo, hi).astype(f)


def identity_grid(h: int, w: int):
    """The grid that samples every pixel of an (h, w) image at its own place."""
    gx = _linspace32((-w + 1) / w, (w - 1) / w, w)
    gy = _linspace32((-h + 1) / h, (h - 1) / h, h)
    return np.broadcast_to(gx[None, :], (h, w)), np.broadcast_to(gy[:, None], (h, w))


def _fill_values(fill):
    if fill is None:
        return None
    return [float(v) for v in fill] if isinstance(fill, (list, tuple)) else [float(fill)]


def grid_sample(img: Tensor, gx: np.ndarray, gy: np.ndarray, mode: str, fill) -> Tensor:
    """Sample ``img`` (..., C, H, W) (or (H, W)) at the normalised coordinates (gx, gy), the
    same grid for every leading index (``nn.functional.grid_sample`` with zeros padding and
    align_corners=False); outside the image the value is 0, or ``fill`` (a number or one per
    channel) blended in by how much of each sample fell outside."""
    if mode not in ("nearest", "bilinear"):
        raise ValueError(f"Interpolation mode '{mode}' is unsupported with Tensor input")
    in_dtype = img._data.dtype
    ft = gx.dtype.type
    xp = backend.xp(img._data)
    x = to_dtype(img, ft) if in_dtype != ft else img
    h, w = img.shape[-2], img.shape[-1]
    oh, ow = gx.shape
    grid = np.stack([gx, gy], -1)[None].astype(ft)  # (1, oh, ow, 2): one grid for all
    vals = _fill_values(fill)
    # with a fill: also how much of each sample fell inside (sampling an image of ones)
    out, mask = _sample(x.reshape(1, -1, h, w), _const(xp, grid), mode, "zeros", False,
                        with_mask=vals is not None)
    out = out.reshape(*img.shape[:-2], oh, ow)
    if vals is not None:
        mask = backend.to_host(mask[0])
        shape = (-1, 1, 1) if img.ndim > 2 else (1, 1)
        fv = np.asarray(vals, dtype=ft).reshape(shape if len(vals) > 1 else (1, 1))
        if mode == "nearest":
            out = where(_const(xp, mask < 0.5), _const(xp, np.broadcast_to(fv, out.shape)),
                        out)
        else:
            out = out * _const(xp, mask) + _const(xp, (ft(1) - mask) * fv)
    return _cast_back(out, in_dtype)
