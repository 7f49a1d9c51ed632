"""The generalized IoU loss, as ``torchvision.ops.generalized_box_iou_loss``."""
from __future__ import annotations

from ... import ops
from ...tensor import Tensor
from ._utils import _loss_inter_union, _reduce, _upcast_non_float

__all__ = ["generalized_box_iou_loss"]


def generalized_box_iou_loss(boxes1: Tensor, boxes2: Tensor, reduction: str = "none",
                             eps: float = 1e-7) -> Tensor:
    """``1 - GIoU`` of paired boxes (N, 4) or (4,) in ``(x1, y1, x2, y2)``: IoU minus the
    empty part of the smallest enclosing box, so non-overlapping boxes still get a gradient.
    ``reduction``: ``'none'``, ``'mean'`` or ``'sum'``; ``eps`` keeps divisions finite."""
    boxes1, boxes2 = _upcast_non_float(boxes1), _upcast_non_float(boxes2)
    inter, union = _loss_inter_union(boxes1, boxes2)
    iou = inter / (union + eps)
    x1, y1, x2, y2 = boxes1.unbind(dim=-1)
    x1g, y1g, x2g, y2g = boxes2.unbind(dim=-1)
    area_c = (ops.maximum(x2, x2g) - ops.minimum(x1, x1g)) * \
        (ops.maximum(y2, y2g) - ops.minimum(y1, y1g))
    return _reduce(1 - (iou - (area_c - union) / (area_c + eps)), reduction)
