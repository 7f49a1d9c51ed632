"""RoI Align (He et al., Mask R-CNN, 2017), as ``torchvision.ops.roi_align``.

Each output bin averages bilinear samples of the input on a regular grid inside the bin.
The samples of one box form a grid, and bilinear weights factor into a row weight times a
column weight, so the whole operation is two linear maps per box:

    out[k, c] = A_y[k] @ input[b_k, c] @ A_x[k]^T

with ``A_y[k]`` (PH, H) the averaged row weights of box k's sample rows and ``A_x[k]``
(PW, W) those of its columns, built from the boxes at once (no loop over boxes or pixels).
The products are ember matmuls (all boxes in one GEMM against the images stacked
row-wise), so the gradient with respect to the input — and any higher-order one — comes
from matmul's own backward. Sample positions, the clamping at the borders and the
out-of-range rule are those of torchvision's CPU kernel; sums are taken in another order,
so float results agree to rounding.
"""
from __future__ import annotations

import numpy as np

from ... import nn, ops
from ...ops._util import xp_of
from ...tensor import Tensor, _wrap
from ._utils import check_roi_boxes_shape, convert_boxes_to_roi_format

__all__ = ["roi_align", "RoIAlign"]

_CHUNK = 1 << 22  # elements of the largest intermediate of one chunk of boxes


def _pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)


def _axis_weights(xp, start, bin_size, grid, pooled: int, size: int, dtype):
    """(K, pooled, size) weights: row ``p`` of box ``k`` averages the linear-interpolation
    weights of its ``grid[k]`` samples (zero where a sample lies outside [-1, size])."""
    k = start.shape[0]
    g_max = max(int(grid.max()) if grid.size else 0, 1)
    i = xp.arange(g_max, dtype=dtype)
    p = xp.arange(pooled, dtype=dtype)
    g = xp.maximum(grid, 1).astype(dtype)[:, None, None]
    # torchvision's positions, operation for operation: start + p*bin + (i + .5)*bin/grid
    pos = (start[:, None, None] + p[None, :, None] * bin_size[:, None, None]) + \
        (i[None, None, :] + dtype.type(0.5)) * bin_size[:, None, None] / g
    used = (xp.arange(g_max)[None, None, :] < grid[:, None, None]) & (pos >= -1) & (pos <= size)
    pos = xp.maximum(pos, dtype.type(0))
    low = pos.astype(np.int64)
    top = low >= size - 1
    low = xp.where(top, size - 1, low)
    high = xp.where(top, size - 1, low + 1)
    frac = xp.where(top, dtype.type(0), pos - low.astype(dtype))
    share = used / g  # each sample's part of the bin's average
    rows = (xp.arange(k)[:, None, None] * pooled + xp.arange(pooled)[None, :, None]) * size
    index = xp.concatenate([(rows + low).reshape(-1), (rows + high).reshape(-1)])
    value = xp.concatenate([((1 - frac) * share).reshape(-1), (frac * share).reshape(-1)])
    weights = xp.bincount(index, weights=value, minlength=k * pooled * size).astype(dtype)
    return weights.reshape(k, pooled, size)


def _weights(rois, spatial_scale, ph, pw, sampling_ratio, aligned, height, width, dtype, xp):
    """(batch index (K,), A_y (K, PH, H), A_x (K, PW, W)) for raw rois (K, 5)."""
    scale = dtype.type(spatial_scale)
    offset = dtype.type(0.5 if aligned else 0.0)
    start_w, start_h = rois[:, 1] * scale - offset, rois[:, 2] * scale - offset
    roi_w = rois[:, 3] * scale - offset - start_w
    roi_h = rois[:, 4] * scale - offset - start_h
    if not aligned:  # malformed boxes count as 1x1
        roi_w, roi_h = xp.maximum(roi_w, dtype.type(1)), xp.maximum(roi_h, dtype.type(1))
    bin_h, bin_w = roi_h / dtype.type(ph), roi_w / dtype.type(pw)
    if sampling_ratio > 0:
        grid_h = grid_w = xp.full(rois.shape[0], sampling_ratio, dtype=np.int64)
    else:
        grid_h = xp.ceil(roi_h / dtype.type(ph)).astype(np.int64)
        grid_w = xp.ceil(roi_w / dtype.type(pw)).astype(np.int64)
    a_y = _axis_weights(xp, start_h, bin_h, grid_h, ph, height, dtype)
    a_x = _axis_weights(xp, start_w, bin_w, grid_w, pw, width, dtype)
    return rois[:, 0].astype(np.int64), a_y, a_x


def _sample(stacked: Tensor, n: int, c: int, batch, a_y, a_x) -> Tensor:
    """out[k, c] = a_y[k] @ input[batch[k], c] @ a_x[k]^T for one chunk of boxes, as two
    ember matmuls: the row maps of all boxes against the images stacked row-wise
    (``stacked`` = input as (N*H, C*W); the block of image b_k, zeros elsewhere), then each
    box's column map."""
    k, ph, h = a_y.shape
    w = a_x.shape[2]
    xp = xp_of(a_y)
    block = xp.zeros((k, ph, n, h), dtype=a_y.dtype)
    block[xp.arange(k), :, batch, :] = a_y
    rows = _wrap(block.reshape(k * ph, n * h), False, None, 0)
    t = ops.matmul(rows, stacked).reshape(k, ph, c, w).permute(0, 2, 1, 3)  # (K, C, PH, W)
    cols = _wrap(xp.ascontiguousarray(a_x.transpose(0, 2, 1))[:, None], False, None, 0)
    return ops.matmul(t, cols)  # (K, C, PH, PW)


def roi_align(input: Tensor, boxes, output_size, spatial_scale: float = 1.0,
              sampling_ratio: int = -1, aligned: bool = False) -> Tensor:
    """RoI Align with average pooling (Mask R-CNN).

    Args:
        input: (N, C, H, W) feature maps.
        boxes: a (K, 5) tensor of ``(batch index, x1, y1, x2, y2)`` or a list of (L, 4)
            tensors, one per image, in input coordinates before ``spatial_scale``.
        output_size: ``(PH, PW)`` bins (an int for both).
        spatial_scale: factor mapping box coordinates to the feature map (e.g. 1/16).
        sampling_ratio: samples per bin along each axis; ``<= 0`` takes
            ``ceil(box size / output size)`` per box.
        aligned: shift the boxes by -0.5 pixel (Detectron2's alignment); without it boxes
            smaller than a pixel are enlarged to one.

    Returns:
        (K, C, PH, PW). Differentiable with respect to ``input`` (not the boxes).
    """
    check_roi_boxes_shape(boxes)
    rois = boxes if isinstance(boxes, Tensor) else convert_boxes_to_roi_format(boxes)
    ph, pw = _pair(output_size)
    if input.ndim != 4:
        raise RuntimeError(f"roi_align: expected input (N, C, H, W), got {list(input.shape)}")
    if input._data.dtype != rois._data.dtype:
        raise RuntimeError("input should have the same type as rois")
    if input._data.dtype.kind != "f":
        raise RuntimeError(f"roi_align: expected a floating-point input, got {input.dtype}")
    raw = rois.detach()._data
    xp = xp_of(raw)
    n, c, h, w = input.shape
    k = raw.shape[0]
    dtype = raw.dtype
    per_box = ph * max(c * w, n * h) + c * ph * w
    step = max(1, _CHUNK // max(per_box, 1))
    stacked = input.permute(0, 2, 1, 3).reshape(n * h, c * w)
    outs = []
    for lo in range(0, max(k, 1), step):  # chunks of boxes bound the memory; usually one
        part = raw[lo:lo + step]
        batch, a_y, a_x = _weights(part, spatial_scale, ph, pw, sampling_ratio, aligned, h, w,
                                   dtype, xp)
        outs.append(_sample(stacked, n, c, batch, a_y, a_x))
    return outs[0] if len(outs) == 1 else ops.cat(outs, 0)


class RoIAlign(nn.Module):
    """:func:`roi_align` as a module."""

    def __init__(self, output_size, spatial_scale: float, sampling_ratio: int,
                 aligned: bool = False):
        super().__init__()
        self.output_size = output_size
        self.spatial_scale = spatial_scale
        self.sampling_ratio = sampling_ratio
        self.aligned = aligned

    def forward(self, input: Tensor, rois) -> Tensor:
        return roi_align(input, rois, self.output_size, self.spatial_scale,
                         self.sampling_ratio, self.aligned)

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(output_size={self.output_size}, spatial_scale="
                f"{self.spatial_scale}, sampling_ratio={self.sampling_ratio}, "
                f"aligned={self.aligned})")
