"""Spatial sampling: ``grid_sample`` and ``affine_grid`` (spatial transformer networks).

``grid_sample`` reads the input at the normalised coordinates of a grid: a composition of
ember ops on whole arrays. The coordinates are unnormalised, padded (border: clamped;
reflection: mirrored at the borders, then clamped) and split into integer corners and
fractional weights; each corner is one gather of the input's flattened spatial positions
for every channel at once, multiplied by its weight, and the terms are summed in
PyTorch's order (bilinear: nw, ne, sw, se; trilinear: the eight corners top to bottom;
bicubic: Keys' cubic with a = -0.75 over 4 x 4 taps, each tap padded on its own). The
weights are functions of the grid, so gradients reach both the input (through the
gathers' scatter-adds) and the grid, with PyTorch's conventions at the clamps (no gradient
at or beyond a border) — and higher-order gradients, as for any composition.

The tensor transforms of ``ember.vision`` (rotate, affine, perspective, elastic) sample
through this same function.
"""
from __future__ import annotations

import math
import warnings

import numpy as np

from ..tensor import Tensor, _wrap
from ._autocast import amp_state, autocast_call
from .elementwise import where
from ._util import xp_of

__all__ = ["grid_sample", "affine_grid"]

_ALIGN_WARNING = ("Default grid_sample and affine_grid behavior has changed to "
                  "align_corners=False since 1.3.0. Please specify align_corners=True if the "
                  "old behavior is desired. See the documentation of grid_sample for details.")
_A = -0.75  # the cubic convolution constant of PyTorch's bicubic modes


def _const(xp, a) -> Tensor:
    return _wrap(xp.asarray(a), False, None, 0)


def _unnormalize(g: Tensor, size: int, align_corners: bool) -> Tensor:
    """[-1, 1] -> pixel coordinates: [0, size - 1] with align_corners, else [-0.5, size - 0.5]."""
    if align_corners:
        return (g + 1) * ((size - 1) / 2)
    return (g + 1) * (size / 2) - 0.5


def _clip(c: Tensor, size: int) -> Tensor:
    """c clamped to [0, size - 1]; the gradient is 1 strictly inside, 0 at or beyond a
    border (PyTorch's clip_coordinates_set_grad)."""
    a = c._data
    xp = xp_of(a)
    inside = (a > 0) & (a < size - 1)
    if bool(inside.all()):
        return c
    return where(_const(xp, inside), c, _const(xp, xp.clip(a, 0, size - 1)))


def _reflect(c: Tensor, twice_low: int, twice_high: int) -> Tensor:
    """c mirrored at low and high (given doubled, so that half-integers are exact) until it
    lies between them; the gradient is +1 or -1 by the number of mirrorings."""
    a = c._data
    xp = xp_of(a)
    if twice_low == twice_high:
        return c * 0
    lo, span = twice_low / 2, (twice_high - twice_low) / 2
    d = c - lo
    neg = d._data < 0
    d = where(_const(xp, neg), -d, d)  # |c - lo|, with the gradient +1 at 0 as PyTorch's
    dist = d._data
    extra = _const(xp, xp.fmod(dist, span)) + (d - d.detach())  # fmod's value, d's gradient
    even = xp.floor(dist / span) % 2 == 0
    return where(_const(xp, even), extra + lo, (span + lo) - extra)


def _pad_coordinate(c: Tensor, size: int, padding_mode: str, align_corners: bool) -> Tensor:
    if padding_mode == "border":
        return _clip(c, size)
    if padding_mode == "reflection":
        c = _reflect(c, 0, 2 * (size - 1)) if align_corners else _reflect(c, -1, 2 * size - 1)
        return _clip(c, size)
    return c


def _gather(xf: Tensor, flat, batch_index):
    """xf (N, C, P) at flat positions (N, L) -> (N, C, L), every channel at once: one
    ``take`` when there is no graph to record, else ember's (differentiable) indexing."""
    xp = xp_of(xf._data)
    if not xf.requires_grad:
        a = xf._data
        out = xp.take(a, flat[0], axis=2) if batch_index is None else \
            xp.take_along_axis(a, flat[:, None, :], axis=2)
        return _wrap(out, False, None, 0)
    if batch_index is None:  # one sample: a 1-D index along the last axis
        return xf[:, :, flat[0]]
    return xf[batch_index, :, flat].permute(0, 2, 1)


def _axis_part(c, size: int, stride: int, xp):
    """(flat-index part, inside) of the integer coordinates ``c`` (floats) along one axis:
    a coordinate outside [0, size) is read at its clamped neighbour and flagged."""
    return xp.clip(c, 0, size - 1).astype(np.int64) * stride, (c >= 0) & (c < size)


def _corner(xf, parts, batch_index):
    """(values (N, C, L), inside (N, L)) at the corner whose per-axis parts are ``parts``."""
    flat, inside = parts[0]
    for f, ok in parts[1:]:
        flat, inside = flat + f, inside & ok
    return _gather(xf, flat, batch_index), inside


def _cubic_coefficients(t: Tensor):
    """Keys' cubic weights of the taps at -1, 0, 1, 2 for a fraction t in [0, 1)."""
    a = _A
    t1, s, s1 = t + 1, 1 - t, 2 - t
    return (((a * t1 - 5 * a) * t1 + 8 * a) * t1 - 4 * a,
            ((a + 2) * t - (a + 3)) * t * t + 1,
            ((a + 2) * s - (a + 3)) * s * s + 1,
            ((a * s1 - 5 * a) * s1 + 8 * a) * s1 - 4 * a)


def _check(input, grid, mode, padding_mode):
    if mode not in ("bilinear", "nearest", "bicubic"):
        raise ValueError(f"nn.functional.grid_sample(): expected mode to be 'bilinear', "
                         f"'nearest' or 'bicubic', but got: '{mode}'")
    if padding_mode not in ("zeros", "border", "reflection"):
        raise ValueError(f"nn.functional.grid_sample(): expected padding_mode to be 'zeros', "
                         f"'border', or 'reflection', but got: '{padding_mode}'")
    shape, gshape = list(input.shape), list(grid.shape)
    if input.ndim < 1 or grid.ndim < 1 or input.shape[0] != grid.shape[0]:
        raise RuntimeError(f"grid_sampler(): expected grid and input to have same batch size, "
                           f"but got input with sizes {shape} and grid with sizes {gshape}")
    if input.ndim not in (4, 5) or grid.ndim != input.ndim:
        raise RuntimeError(f"grid_sampler(): expected {input.ndim}D input and grid with same "
                           f"number of dimensions, but got input with sizes {shape} and grid "
                           f"with sizes {gshape}")
    n = input.ndim - 2
    if grid.shape[-1] != n:
        raise RuntimeError(f"grid_sampler(): expected grid to have size {n} in last dimension, "
                           f"but got grid with sizes {gshape}")
    for i in range(2, input.ndim):
        if shape[i] == 0:
            raise RuntimeError(f"grid_sampler(): expected input to have non-empty spatial "
                               f"dimensions, but input has sizes {shape} with dimension {i} "
                               "being empty")
    if mode == "bicubic" and n != 2:
        raise RuntimeError("grid_sampler(): bicubic interpolation only supports 4D input")
    if input.dtype != grid.dtype:
        raise RuntimeError(f"grid_sampler(): expected input and grid to have the same dtype, "
                           f"but got input {input.dtype} and grid {grid.dtype}")


def grid_sample(input: Tensor, grid: Tensor, mode: str = "bilinear",
                padding_mode: str = "zeros", align_corners: bool | None = None) -> Tensor:
    """The input sampled at the grid's normalised coordinates (x, y[, z]) in [-1, 1].

    Shape: input (N, C, H, W) with grid (N, H_out, W_out, 2) -> (N, C, H_out, W_out), or
    input (N, C, D, H, W) with grid (N, D_out, H_out, W_out, 3) -> (N, C, D_out, H_out,
    W_out). ``mode``: 'bilinear' (trilinear for volumes), 'nearest' (half to even),
    'bicubic' (4-D only). ``padding_mode``: 'zeros', 'border' or 'reflection'.
    ``align_corners``: -1 and 1 are the centres (True) or the outer edges (False, the
    default, with a warning when not given, as PyTorch) of the corner pixels.
    """
    if amp_state.on:
        return autocast_call("grid_sample", grid_sample, input, grid, mode, padding_mode,
                             align_corners)
    if align_corners is None:
        warnings.warn(_ALIGN_WARNING, stacklevel=2)
        align_corners = False
    return _sample(input, grid, mode, padding_mode, align_corners)[0]


def _sample(input: Tensor, grid: Tensor, mode: str, padding_mode: str, align_corners: bool,
            with_mask: bool = False):
    """``grid_sample``'s work: (output, inside), where ``inside`` (N, *out) — computed when
    ``with_mask`` — is how much of each sample's weight fell inside the input (the output
    of sampling an input of ones; the tensor transforms blend their fill with it)."""
    _check(input, grid, mode, padding_mode)
    xp = xp_of(input._data)
    n = input.ndim - 2
    N, C = input.shape[0], input.shape[1]
    spatial = tuple(input.shape[2:])
    out_sp = tuple(grid.shape[1:-1])
    L = math.prod(out_sp)
    sizes = spatial[::-1]  # x runs along W, y along H, z along D
    strides = [math.prod(spatial[n - a:]) for a in range(n)]
    xf = input.reshape(N, C, math.prod(spatial))
    g = grid.reshape(N, L, n)
    batch_index = None if N == 1 else xp.arange(N)[:, None]
    ix = [_unnormalize(g[:, :, a], sizes[a], align_corners) for a in range(n)]
    if mode == "bicubic":
        out, mask = _bicubic(xf, ix, sizes, strides, padding_mode, align_corners, batch_index,
                             xp, with_mask)
    else:
        ix = [_pad_coordinate(c, sizes[a], padding_mode, align_corners)
              for a, c in enumerate(ix)]
        if mode == "nearest":
            parts = [_axis_part(xp.rint(c._data), sizes[a], strides[a], xp)
                     for a, c in enumerate(ix)]
            vals, inside = _corner(xf, parts, batch_index)
            zero = _const(xp, input._data.dtype.type(0))
            out = where(_const(xp, inside[:, None, :]), vals, zero)
            mask = inside.astype(input._data.dtype) if with_mask else None
        else:
            out, mask = _linear(xf, ix, sizes, strides, batch_index, xp, with_mask)
    out = out.reshape((N, C) + out_sp)
    return out, (None if mask is None else mask.reshape((N,) + out_sp))


def _linear(xf, ix, sizes, strides, batch_index, xp, with_mask):
    """Bilinear (trilinear) interpolation: the 2^n corners, each weight the product of the
    per-axis distances to the opposite corner, summed in PyTorch's order."""
    n = len(ix)
    low = [xp.floor(c._data) for c in ix]
    frac = [c - _const(xp, f) for c, f in zip(ix, low)]  # distance from the low corner
    rest = [1 - f for f in frac]
    parts = [[_axis_part(low[a] + o, sizes[a], strides[a], xp) for o in (0, 1)]
             for a in range(n)]
    zero = _const(xp, xf._data.dtype.type(0))
    out = mask = None
    for k in range(2 ** n):
        bits = [(k >> a) & 1 for a in range(n)]  # x varies fastest
        weight = None
        for a in reversed(range(n)):  # (z,) y, x: s * e, s * w, n * e, n * w in 2-D
            part = frac[a] if bits[a] else rest[a]
            weight = part if weight is None else weight * part
        vals, inside = _corner(xf, [parts[a][bits[a]] for a in range(n)], batch_index)
        weight = where(_const(xp, inside), weight, zero)
        term = vals * weight.unsqueeze(1)
        out = term if out is None else out + term
        if with_mask:
            w = weight._data
            mask = w if mask is None else mask + w
    return out, mask


def _bicubic(xf, ix, sizes, strides, padding_mode, align_corners, batch_index, xp, with_mask):
    """Bicubic interpolation over the 4 x 4 taps around each point; each tap's integer
    coordinate is padded on its own (border / reflection) and reads 0 outside."""
    low = [xp.floor(c._data) for c in ix]
    cx, cy = (_cubic_coefficients(c - _const(xp, f)) for c, f in zip(ix, low))

    def parts(a):
        """The 4 taps' (flat part, inside) along axis a."""
        out = []
        for o in (-1, 0, 1, 2):
            c = low[a] + o
            if padding_mode != "zeros":
                c = _pad_coordinate(_const(xp, c), sizes[a], padding_mode, align_corners)._data
            out.append(_axis_part(c, sizes[a], strides[a], xp))
        return out

    px, py = parts(0), parts(1)
    zero = _const(xp, xf._data.dtype.type(0))
    out = mask = None
    for j in range(4):
        row = row_mask = None
        for i in range(4):
            vals, inside = _corner(xf, [px[i], py[j]], batch_index)
            term = where(_const(xp, inside[:, None, :]), vals, zero) * cx[i].unsqueeze(1)
            row = term if row is None else row + term
            if with_mask:
                w = xp.where(inside, cx[i]._data, 0)
                row_mask = w if row_mask is None else row_mask + w
        term = row * cy[j].unsqueeze(1)
        out = term if out is None else out + term
        if with_mask:
            w = row_mask * cy[j]._data
            mask = w if mask is None else mask + w
    return out, mask


def affine_grid(theta: Tensor, size, align_corners: bool | None = None) -> Tensor:
    """The sampling grid of a batch of affine maps, for ``grid_sample``.

    Shape: theta (N, 2, 3) with size (N, C, H, W) -> (N, H, W, 2); theta (N, 3, 4) with size
    (N, C, D, H, W) -> (N, D, H, W, 3). Output point (x, y[, z]) of the normalised base grid
    (pixel centres from -1 to 1 with align_corners, else shrunk by (n - 1) / n) maps to
    theta @ (x, y[, z], 1); differentiable w.r.t. theta.
    """
    if align_corners is None:
        warnings.warn(_ALIGN_WARNING, stacklevel=2)
        align_corners = False
    if theta._data.dtype.kind != "f":
        raise ValueError(f"Expected theta to have floating point type, but got {theta.dtype}")
    size = tuple(int(v) for v in size)
    if len(size) == 4:
        if theta.ndim != 3 or tuple(theta.shape[-2:]) != (2, 3):
            raise ValueError(f"Expected a batch of 2D affine matrices of shape Nx2x3 for size "
                             f"{size}. Got {theta.shape}.")
    elif len(size) == 5:
        if theta.ndim != 3 or tuple(theta.shape[-2:]) != (3, 4):
            raise ValueError(f"Expected a batch of 3D affine matrices of shape Nx3x4 for size "
                             f"{size}. Got {theta.shape}.")
    else:
        raise NotImplementedError(f"affine_grid only supports 4D and 5D sizes, for 2D and 3D "
                                  f"affine transforms, respectively. Got size {size}.")
    spatial = size[2:]
    if align_corners and min(spatial) == 1:
        warnings.warn("Since version 1.3.0, affine_grid behavior has changed for unit-size "
                      "grids when align_corners=True. This is not an intended use case of "
                      "affine_grid. See the documentation of affine_grid for details.",
                      stacklevel=2)
    elif min(size) <= 0:
        raise ValueError(f"Expected non-zero, positive output size. Got {size}")
    if theta.shape[0] != size[0]:
        raise RuntimeError(f"affine_grid: theta holds {theta.shape[0]} matrices for a batch of "
                           f"{size[0]} (size {list(size)})")
    xp = xp_of(theta._data)
    n = len(spatial)
    axes = []
    for steps in spatial[::-1]:  # x (W), y (H), z (D)
        if steps <= 1:
            axes.append(np.zeros(steps))
        else:
            a = 1.0 if align_corners else (steps - 1) / steps
            axes.append(np.linspace(-a, a, steps))
    mesh = np.meshgrid(*axes[::-1], indexing="ij")  # (D,) H, W
    base = np.stack([m for m in mesh[::-1]] + [np.ones(spatial)], -1)  # (*spatial, n + 1)
    base = _const(xp, base.reshape(-1, n + 1).astype(theta._data.dtype))
    grid = base @ theta.mT  # (N, P, n)
    return grid.reshape((size[0],) + spatial + (n,))
