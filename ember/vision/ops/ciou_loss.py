"""The complete IoU loss, as ``torchvision.ops.complete_box_iou_loss``."""
from __future__ import annotations

import math

from ...ops.trig import atan as arctan
from ...tensor import Tensor
from ._utils import _reduce, _upcast_non_float
from .diou_loss import _diou_iou_loss

__all__ = ["complete_box_iou_loss"]


def complete_box_iou_loss(boxes1: Tensor, boxes2: Tensor, reduction: str = "none",
                          eps: float = 1e-7) -> Tensor:
    """The distance IoU loss plus ``alpha * v``, ``v = 4/pi^2 (atan(w_gt/h_gt) -
    atan(w/h))^2`` and ``alpha = v / (1 - IoU + v + eps)`` held constant, for paired boxes
    (N, 4) in ``(x1, y1, x2, y2)``. ``reduction``: ``'none'``, ``'mean'`` or ``'sum'``.
    (As in torchvision, the distance term uses the default ``eps``.)"""
    boxes1, boxes2 = _upcast_non_float(boxes1), _upcast_non_float(boxes2)
    diou_loss, iou = _diou_iou_loss(boxes1, boxes2)
    x1, y1, x2, y2 = boxes1.unbind(dim=-1)
    x1g, y1g, x2g, y2g = boxes2.unbind(dim=-1)
    v = (4 / (math.pi ** 2)) * (arctan((x2g - x1g) / (y2g - y1g)) -
                                arctan((x2 - x1) / (y2 - y1))) ** 2
    alpha = (v / (1 - iou + v + eps)).detach()
    return _reduce(diou_loss + alpha * v, reduction)
