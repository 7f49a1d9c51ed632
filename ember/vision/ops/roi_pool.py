"""RoI max pooling (Girshick, Fast R-CNN, 2015), as ``torchvision.ops.roi_pool``.

The boxes are rounded to whole pixels and cut into PH x PW bins; each output is the maximum
of its bin. The bins of all boxes are read at once (padded to the largest bin, the padding
masked out), the arg-max found on the raw arrays, and the output is the input gathered at
those positions: an ember indexing op, whose backward sends each gradient to the position
that won, as torchvision's does.
"""
from __future__ import annotations

import numpy as np

from ... import nn, ops
from ...ops._util import xp_of
from ...tensor import Tensor, _wrap
from ._utils import check_roi_boxes_shape, convert_boxes_to_roi_format
from .roi_align import _pair

__all__ = ["roi_pool", "RoIPool"]

_CHUNK = 1 << 23  # gathered elements per chunk of boxes
_FLT_MAX = float(np.finfo(np.float32).max)


def _round_half_away(xp, v):
    return xp.sign(v) * xp.floor(xp.abs(v) + v.dtype.type(0.5))


def _bins(xp, start, end, pooled, size, dtype):
    """Rounded box edges -> (K, pooled) bin starts and ends, clipped to [0, size]."""
    extent = xp.maximum(end - start + 1, 1)
    bin_size = extent.astype(dtype) / dtype.type(pooled)
    p = xp.arange(pooled, dtype=dtype)[None, :]
    lo = xp.floor(p * bin_size[:, None]).astype(np.int64) + start[:, None]
    hi = xp.ceil((p + 1) * bin_size[:, None]).astype(np.int64) + start[:, None]
    return xp.clip(lo, 0, size), xp.clip(hi, 0, size)


def _argmax_positions(x, rois, scale, ph, pw):
    """For a chunk of boxes: the flat input position of each output's maximum (K, C, PH,
    PW), whether one was found, and whether its bin is empty."""
    xp = xp_of(x)
    n, c, h, w = x.shape
    dtype = rois.dtype
    batch = rois[:, 0].astype(np.int64)
    edges = _round_half_away(xp, rois[:, 1:] * dtype.type(scale)).astype(np.int64)
    h0, h1 = _bins(xp, edges[:, 1], edges[:, 3], ph, h, dtype)
    w0, w1 = _bins(xp, edges[:, 0], edges[:, 2], pw, w, dtype)
    bh = max(int((h1 - h0).max()) if h0.size else 0, 1)
    bw = max(int((w1 - w0).max()) if w0.size else 0, 1)
    rows = h0[:, :, None] + xp.arange(bh)[None, None, :]  # (K, PH, Bh)
    cols = w0[:, :, None] + xp.arange(bw)[None, None, :]  # (K, PW, Bw)
    inside = (rows < h1[:, :, None])[:, :, None, :, None] & \
        (cols < w1[:, :, None])[:, None, :, None, :]  # (K, PH, PW, Bh, Bw)
    rows, cols = xp.minimum(rows, h - 1), xp.minimum(cols, w - 1)
    r = rows[:, :, None, :, None]
    q = cols[:, None, :, None, :]
    vals = x[batch[:, None, None, None, None], :, r, q]  # (K, PH, PW, Bh, Bw, C)
    vals = xp.where(inside[..., None] & ~xp.isnan(vals), vals, -xp.inf)
    k = rois.shape[0]
    vals = vals.reshape(k, ph, pw, bh * bw, c)
    best = vals.argmax(axis=3)  # the first maximum in row-major order, as the kernel's loop
    top = xp.take_along_axis(vals, best[:, :, :, None, :], axis=3)[:, :, :, 0, :]
    found = top > -_FLT_MAX  # the kernel starts from -FLT_MAX and keeps strict improvements
    hh = xp.take_along_axis(xp.broadcast_to(r, inside.shape).reshape(k, ph, pw, bh * bw),
                            best, axis=3)
    ww = xp.take_along_axis(xp.broadcast_to(q, inside.shape).reshape(k, ph, pw, bh * bw),
                            best, axis=3)
    chan = xp.arange(c)[None, None, None, :]
    flat = ((batch[:, None, None, None] * c + chan) * h + hh) * w + ww
    empty = ((h1 <= h0)[:, :, None] | (w1 <= w0)[:, None, :])[:, :, :, None]
    to_kcpq = (0, 3, 1, 2)
    return (flat.transpose(to_kcpq), found.transpose(to_kcpq),
            xp.broadcast_to(empty, found.shape).transpose(to_kcpq))


def roi_pool(input: Tensor, boxes, output_size, spatial_scale: float = 1.0) -> Tensor:
    """RoI max pooling (Fast R-CNN).

    Args:
        input: (N, C, H, W) feature maps.
        boxes: a (K, 5) tensor of ``(batch index, x1, y1, x2, y2)`` or a list of (L, 4)
            tensors, one per image.
        output_size: ``(PH, PW)`` bins (an int for both).
        spatial_scale: factor mapping box coordinates to the feature map.

    Returns:
        (K, C, PH, PW): each bin's maximum (0 for a bin outside the map). Differentiable
        with respect to ``input``: the gradient goes to the position of each maximum.
    """
    check_roi_boxes_shape(boxes)
    rois = boxes if isinstance(boxes, Tensor) else convert_boxes_to_roi_format(boxes)
    ph, pw = _pair(output_size)
    if input.ndim != 4:
        raise RuntimeError(f"roi_pool: expected input (N, C, H, W), got {list(input.shape)}")
    if input._data.dtype != rois._data.dtype:
        raise RuntimeError("input and rois must have the same dtype")
    if input._data.dtype not in (np.float32, np.float64):
        raise RuntimeError("roi_pool only supports float and double types")
    x, raw = input._data, rois.detach()._data
    xp = xp_of(x)
    n, c, h, w = input.shape
    k = raw.shape[0]
    if h == 0 or w == 0:  # nothing to pool: every bin is empty
        return ops.zeros(k, c, ph, pw, dtype=input.dtype, device=input.device) + input.sum() * 0
    per_box = ph * pw * c * (h // max(ph, 1) + 2) * (w // max(pw, 1) + 2)
    step = max(1, _CHUNK // max(per_box, 1))
    parts = [_argmax_positions(x, raw[lo:lo + step], spatial_scale, ph, pw)
             for lo in range(0, max(k, 1), step)]  # chunks of boxes bound the memory; usually one
    flat, found, empty = (xp.concatenate(a) if len(parts) > 1 else a[0] for a in zip(*parts))
    gathered = input.reshape(-1)[_wrap(xp.where(found, flat, 0), False, None, 0)]
    fill = xp.where(empty, x.dtype.type(0), x.dtype.type(-_FLT_MAX))
    return ops.where(_wrap(found, False, None, 0), gathered, _wrap(fill, False, None, 0))


class RoIPool(nn.Module):
    """:func:`roi_pool` as a module."""

    def __init__(self, output_size, spatial_scale: float):
        super().__init__()
        self.output_size = output_size
        self.spatial_scale = spatial_scale

    def forward(self, input: Tensor, rois) -> Tensor:
        return roi_pool(input, rois, self.output_size, self.spatial_scale)

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(output_size={self.output_size}, "
                f"spatial_scale={self.spatial_scale})")
