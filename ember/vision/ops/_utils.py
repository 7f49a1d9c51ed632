"""Helpers shared by the box and RoI functions."""
from __future__ import annotations

import numpy as np

from ... import ops
from ...backend import bfloat16, float16, int8, int16, uint8
from ...tensor import Tensor


def _upcast(t: Tensor) -> Tensor:
    """Half floats to float32, small ints to int32 (so products cannot overflow)."""
    if t.is_floating_point():
        return t.float() if t.dtype in (float16, bfloat16) else t
    return t.int() if t.dtype in (int8, int16, uint8) else t


def _upcast_non_float(t: Tensor) -> Tensor:
    """Anything but float32/float64 to float32."""
    return t if t._data.dtype in (np.float32, np.float64) else t.float()


def convert_boxes_to_roi_format(boxes) -> Tensor:
    """A list of (L_i, 4) box tensors as one (K, 5) tensor whose first column is the index
    of the image each box belongs to."""
    concat = boxes[0] if len(boxes) == 1 else ops.cat(list(boxes), 0)
    ids = [ops.full_like(b[:, :1], i) for i, b in enumerate(boxes)]
    return ops.cat([ids[0] if len(ids) == 1 else ops.cat(ids, 0), concat], 1)


def check_roi_boxes_shape(boxes) -> None:
    """Boxes for the RoI ops: a (K, 5) tensor or a list of (L, 4) tensors."""
    if isinstance(boxes, (list, tuple)):
        for t in boxes:
            if t.shape[1] != 4:
                raise AssertionError("The shape of the tensor in the boxes list is not correct "
                                     "as List[Tensor[L, 4]]")
    elif isinstance(boxes, Tensor):
        if boxes.shape[1] != 5:
            raise AssertionError("The boxes tensor shape is not correct as Tensor[K, 5]")
    else:
        raise AssertionError("boxes is expected to be a Tensor[L, 5] or a List[Tensor[K, 4]]")


def _loss_inter_union(boxes1: Tensor, boxes2: Tensor):
    """Intersection and union areas of paired boxes (the losses' form: zero intersection
    unless both overlaps are positive, and no gradient through it then)."""
    x1, y1, x2, y2 = boxes1.unbind(dim=-1)
    x1g, y1g, x2g, y2g = boxes2.unbind(dim=-1)
    xk1, yk1 = ops.maximum(x1, x1g), ops.maximum(y1, y1g)
    xk2, yk2 = ops.minimum(x2, x2g), ops.minimum(y2, y2g)
    overlap = ops.logical_and(yk2 > yk1, xk2 > xk1)
    inter = ops.where(overlap, (xk2 - xk1) * (yk2 - yk1), ops.zeros_like(x1))
    union = (x2 - x1) * (y2 - y1) + (x2g - x1g) * (y2g - y1g) - inter
    return inter, union


def _reduce(loss: Tensor, reduction: str) -> Tensor:
    if reduction == "none":
        return loss
    if reduction == "mean":
        return loss.mean() if loss.numel() > 0 else 0.0 * loss.sum()
    if reduction == "sum":
        return loss.sum()
    raise ValueError(f"Invalid Value for arg 'reduction': '{reduction} \n Supported reduction "
                     "modes: 'none', 'mean', 'sum'")
