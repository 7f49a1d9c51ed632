"""The distance IoU loss, as ``torchvision.ops.distance_box_iou_loss``."""
from __future__ import annotations

from ... import ops
from ...tensor import Tensor
from ._utils import _loss_inter_union, _reduce, _upcast_non_float

__all__ = ["distance_box_iou_loss"]


def _diou_iou_loss(boxes1, boxes2, eps=1e-7):
    inter, union = _loss_inter_union(boxes1, boxes2)
    iou = inter / (union + eps)
    x1, y1, x2, y2 = boxes1.unbind(dim=-1)
    x1g, y1g, x2g, y2g = boxes2.unbind(dim=-1)
    diagonal = (ops.maximum(x2, x2g) - ops.minimum(x1, x1g)) ** 2 + \
        (ops.maximum(y2, y2g) - ops.minimum(y1, y1g)) ** 2 + eps
    centers = ((x2 + x1) / 2 - (x1g + x2g) / 2) ** 2 + ((y2 + y1) / 2 - (y1g + y2g) / 2) ** 2
    return 1 - iou + centers / diagonal, iou


def distance_box_iou_loss(boxes1: Tensor, boxes2: Tensor, reduction: str = "none",
                          eps: float = 1e-7) -> Tensor:
    """``1 - IoU`` plus the squared distance of the centres over the squared diagonal of
    the enclosing box, for paired boxes (N, 4) in ``(x1, y1, x2, y2)``. ``reduction``:
    ``'none'``, ``'mean'`` or ``'sum'``."""
    boxes1, boxes2 = _upcast_non_float(boxes1), _upcast_non_float(boxes2)
    loss, _ = _diou_iou_loss(boxes1, boxes2, eps)
    return _reduce(loss, reduction)
