"""Resampling of tensor images: resize (nearest, nearest-exact, bilinear, bicubic, with or
without antialiasing) and grid sampling (the interpolation behind rotate, affine, perspective
and elastic_transform).

Both are separable or gather-based compositions of ember ops on whole arrays: a resize is,
per axis, a few gathers of the input along that axis times per-output weights (the taps of
PyTorch's ``interpolate``, antialiased ones included, computed once per call from the sizes);
a grid sample is four gathers (one for nearest) with the bilinear weights of
``grid_sample(align_corners=False, padding_mode='zeros')``. So both carry gradients back to
a float input that requires them. The index and weight tables follow PyTorch's formulas in
the same floating precision (float32 for float32 and integer images), and outputs accumulate
their taps in PyTorch's order, so results agree with torchvision to rounding.
"""
from __future__ import annotations

import math

import numpy as np

from ... import backend
from ...ops.elementwise import to_dtype, where
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


def _nearest_index(n_in: int, n_out: int, exact: bool) -> np.ndarray:
    i = np.arange(n_out)
    if not exact and n_out == n_in:
        return i
    if not exact and n_out == 2 * n_in:
        return i >> 1
    scale = np.float32(n_in) / np.float32(n_out)
    if exact:  # (i + 0.5) in double, times the float scale, rounded to float, floored
        src = np.floor(((i + 0.5) * np.float64(scale)).astype(np.float32))
    else:
        src = np.floor(i.astype(np.float32) * scale)
    return np.minimum(src.astype(np.int64), n_in - 1)


def _cubic(x, a):
    """Keys' cubic convolution kernel (a = -0.75 for plain bicubic, -0.5 antialiased)."""
    x = np.abs(x)
    near = ((a + 2) * x - (a + 3)) * x * x + 1
    far = ((a * x - 5 * a) * x + 8 * a) * x - 4 * a
    return np.where(x < 1, near, np.where(x < 2, far, 0)).astype(x.dtype)


def _taps_plain(n_in: int, n_out: int, cubic: bool, ft):
    """(index (n_out, K), weight (n_out, K)) of bilinear (K=2) / bicubic (K=4) interpolation
    with align_corners=False, the way PyTorch computes them."""
    scale = ft(n_in) / ft(n_out)
    src = scale * (np.arange(n_out).astype(ft) + ft(0.5)) - ft(0.5)
    if not cubic:
        src = np.maximum(src, ft(0))
    i0 = np.floor(src).astype(np.int64)
    t = np.clip(src - i0.astype(ft), ft(0), ft(1))
    if not cubic:
        i0 = np.minimum(i0, n_in - 1)
        i1 = i0 + (i0 < n_in - 1)
        return np.stack([i0, i1], 1), np.stack([ft(1) - t, t], 1)
    a = ft(-0.75)
    w = np.stack([_cubic(t + ft(1), a), _cubic(t, a), _cubic(ft(1) - t, a),
                  _cubic(ft(2) - t, a)], 1)
    idx = np.clip(i0[:, None] + np.arange(-1, 3), 0, n_in - 1)
    return idx, w


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


def _take(x: Tensor, index, axis: int) -> Tensor:
    """``x`` picked at ``index`` (an int array) along ``axis``: one ``take`` when there is no
    graph to record, else ember's (differentiable) indexing."""
    if not x.requires_grad:
        return _wrap(backend.xp(x._data).take(x._data, index, axis=axis), False, None, 0)
    return x[(Ellipsis, index) + (slice(None),) * (-1 - axis)]


def _apply_taps(x: Tensor, dim: int, idx: np.ndarray, w: np.ndarray) -> Tensor:
    """sum_k x[along dim at idx[:, k]] * w[:, k], accumulated in order k = 0, 1, ..."""
    xp = backend.xp(x._data)
    out = None
    for k in range(idx.shape[1]):
        g = _take(x, xp.asarray(idx[:, k]), dim)
        wk = w[:, k] if dim == -1 else w[:, k, None]
        term = g * _const(xp, wk)
        out = term if out is None else out + term
    return out


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
        rows = xp.asarray(_nearest_index(h, oh, exact))
        cols = xp.asarray(_nearest_index(w, ow, exact))
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


def _flat(cy, cx, h: int, w: int) -> np.ndarray:
    """Flat pixel indices of the (clamped) rows and columns."""
    return np.clip(cy, 0, h - 1).astype(np.int64) * w + np.clip(cx, 0, w - 1).astype(np.int64)


def grid_sample(img: Tensor, gx: np.ndarray, gy: np.ndarray, mode: str, fill) -> Tensor:
    """Sample ``img`` (..., C, H, W) (or (H, W)) at the normalised coordinates (gx, gy), the
    same grid for every leading index; outside the image the value is 0, or ``fill`` (a
    number or one per channel) blended in by how much of each sample fell outside."""
    if mode not in ("nearest", "bilinear"):
        raise ValueError(f"Interpolation mode '{mode}' is unsupported with Tensor input")
    in_dtype = img._data.dtype
    ft = gx.dtype.type
    xp = backend.xp(img._data)
    x = to_dtype(img, ft) if in_dtype != ft else img
    h, w = img.shape[-2], img.shape[-1]
    lead = img.shape[:-2]
    x = x.reshape(*lead, h * w)  # gathers index the flattened pixels
    ix = (gx + ft(1)) * ft(w / 2) - ft(0.5)
    iy = (gy + ft(1)) * ft(h / 2) - ft(0.5)
    if mode == "nearest":
        cx, cy = np.rint(ix), np.rint(iy)
        inside = (cx >= 0) & (cx < w) & (cy >= 0) & (cy < h)
        out = where(_const(xp, inside), _take(x, xp.asarray(_flat(cy, cx, h, w)), -1),
                    _const(xp, ft(0)))
        mask = inside.astype(ft)
    else:
        x0, y0 = np.floor(ix), np.floor(iy)
        we, ns = ix - x0, iy - y0
        ea, so = ft(1) - we, ft(1) - ns
        out, mask = None, None
        for dy, dx, wt in ((0, 0, so * ea), (0, 1, so * we), (1, 0, ns * ea), (1, 1, ns * we)):
            cx, cy = x0 + dx, y0 + dy
            inside = (cx >= 0) & (cx < w) & (cy >= 0) & (cy < h)
            wt = np.where(inside, wt, ft(0)).astype(ft)
            term = _take(x, xp.asarray(_flat(cy, cx, h, w)), -1) * _const(xp, wt)
            out = term if out is None else out + term
            mask = wt if mask is None else (mask + wt).astype(ft)
    vals = _fill_values(fill)
    if vals is not None:
        shape = (-1, 1, 1) if img.ndim > 2 else (1, 1)
        fv = np.asarray(vals, dtype=ft).reshape(shape if len(vals) > 1 else (1, 1))
        if mode == "nearest":
            out = where(_const(xp, mask < 0.5), _const(xp, np.broadcast_to(fv, out.shape)),
                        out)
        else:
            out = out * _const(xp, mask) + _const(xp, (ft(1) - mask) * fv)
    return _cast_back(out, in_dtype)
