"""Box arithmetic and non-maximum suppression, as ``torchvision.ops.boxes``.

Boxes are (..., 4) tensors, ``(x1, y1, x2, y2)`` unless a ``fmt`` says otherwise. The IoU
functions are compositions of ember ops, so they are differentiable (to any order) with
respect to both sets of boxes; ``nms`` and friends return int64 indices.
"""
from __future__ import annotations

import math

import numpy as np

from ... import ops
from ...ops._util import xp_of
from ...ops.trig import atan as arctan
from ...tensor import Tensor, _wrap
from ._utils import _upcast

__all__ = ["nms", "batched_nms", "remove_small_boxes", "clip_boxes_to_image", "box_convert",
           "box_area", "box_iou", "generalized_box_iou", "complete_box_iou", "distance_box_iou",
           "masks_to_boxes"]


def _indices(xp, values) -> Tensor:
    return _wrap(xp.asarray(values, dtype=np.int64), False, None, 0)


def _check_nms(boxes, scores):
    if boxes.ndim != 2:
        raise RuntimeError(f"boxes should be a 2d tensor, got {boxes.ndim}D")
    if boxes.shape[1] != 4:
        raise RuntimeError(f"boxes should have 4 elements in dimension 1, got {boxes.shape[1]}")
    if scores.ndim != 1:
        raise RuntimeError(f"scores should be a 1d tensor, got {scores.ndim}D")
    if boxes.shape[0] != scores.shape[0]:
        raise RuntimeError(f"boxes and scores should have same number of elements in dimension "
                           f"0, got {boxes.shape[0]} and {scores.shape[0]}")
    if boxes._data.dtype != scores._data.dtype:
        raise RuntimeError("dets should have the same type as scores")
    if boxes._data.dtype.kind != "f":
        raise RuntimeError(f"nms: expected floating-point boxes, got {boxes.dtype}")


def _descending(xp, scores):
    """Positions by decreasing score, ties in index order, NaN scores first (as a stable
    descending sort puts them)."""
    order = xp.argsort(-scores, kind="stable")
    nan = xp.isnan(scores[order])
    return xp.concatenate([order[nan], order[~nan]]) if bool(nan.any()) else order


def nms(boxes: Tensor, scores: Tensor, iou_threshold: float) -> Tensor:
    """Non-maximum suppression: visiting the boxes by decreasing score, keep a box and drop
    every later box whose IoU with it exceeds ``iou_threshold``.

    Args:
        boxes: (N, 4) boxes ``(x1, y1, x2, y2)``.
        scores: (N,) scores, of the boxes' dtype.
        iou_threshold: boxes overlapping a kept one by more than this IoU are discarded.

    Returns:
        int64 (K,) indices of the kept boxes, by decreasing score.
    """
    _check_nms(boxes, scores)
    b, s = boxes._data, scores._data
    xp = xp_of(b)
    if b.shape[0] == 0:
        return _indices(xp, [])
    x1, y1, x2, y2 = b[:, 0], b[:, 1], b[:, 2], b[:, 3]
    areas = (x2 - x1) * (y2 - y1)
    rest = _descending(xp, s)
    keep = []
    while rest.size:  # one pass per kept box; the IoU with the rest is one vector
        i, rest = rest[0], rest[1:]
        keep.append(i)
        if not rest.size:
            break
        w = xp.maximum(xp.minimum(x2[i], x2[rest]) - xp.maximum(x1[i], x1[rest]), 0)
        h = xp.maximum(xp.minimum(y2[i], y2[rest]) - xp.maximum(y1[i], y1[rest]), 0)
        inter = w * h
        with np.errstate(invalid="ignore", divide="ignore"):
            iou = inter / (areas[i] + areas[rest] - inter)
        rest = rest[~(iou > iou_threshold)]  # NaN IoU (empty boxes) suppresses nothing
    return _indices(xp, xp.stack(keep))


def batched_nms(boxes: Tensor, scores: Tensor, idxs: Tensor, iou_threshold: float) -> Tensor:
    """NMS within each category of ``idxs`` (N,), never across categories. Returns int64
    indices of the kept boxes by decreasing score. As torchvision, up to 4,000 box
    coordinates go through one NMS with the categories shifted apart, more through one NMS
    per category."""
    if boxes.numel() > 4000:
        return _batched_nms_vanilla(boxes, scores, idxs, iou_threshold)
    return _batched_nms_coordinate_trick(boxes, scores, idxs, iou_threshold)


def _batched_nms_coordinate_trick(boxes, scores, idxs, iou_threshold):
    if boxes.numel() == 0:
        return _indices(xp_of(boxes._data), [])
    b = boxes._data
    offsets = idxs._data.astype(b.dtype) * (b.max() + b.dtype.type(1))
    shifted = _wrap(b + offsets[:, None], False, None, 0)
    return nms(shifted, scores.detach(), iou_threshold)


def _batched_nms_vanilla(boxes, scores, idxs, iou_threshold):
    b, s, c = boxes.detach(), scores.detach(), idxs._data
    xp = xp_of(c)
    keep_mask = xp.zeros(s.shape[0], dtype=bool)
    for class_id in xp.unique(c):  # one NMS per category
        where = xp.nonzero(c == class_id)[0]
        pos = _wrap(xp.asarray(where, dtype=np.int64), False, None, 0)
        kept = nms(b[pos], s[pos], iou_threshold)._data
        keep_mask[where[kept]] = True
    keep = xp.nonzero(keep_mask)[0]
    return _indices(xp, keep[xp.argsort(-s._data[keep], kind="stable")])


def remove_small_boxes(boxes: Tensor, min_size: float) -> Tensor:
    """int64 indices of the boxes whose width and height are both at least ``min_size``."""
    b = boxes._data
    ws, hs = b[..., 2] - b[..., 0], b[..., 3] - b[..., 1]
    xp = xp_of(b)
    return _indices(xp, xp.nonzero((ws >= min_size) & (hs >= min_size))[0])


def clip_boxes_to_image(boxes: Tensor, size) -> Tensor:
    """Boxes (..., 4) clamped into an image of ``size = (height, width)``."""
    height, width = size
    bx = boxes[..., 0::2].clamp(min=0, max=width)
    by = boxes[..., 1::2].clamp(min=0, max=height)
    return ops.stack((bx, by), dim=boxes.ndim).reshape(boxes.shape)


# ---------------------------------------------------------------------------- formats

def _cxcywh_to_xyxy(b):
    cx, cy, w, h = b.unbind(-1)
    return ops.stack((cx - 0.5 * w, cy - 0.5 * h, cx + 0.5 * w, cy + 0.5 * h), dim=-1)


def _xyxy_to_cxcywh(b):
    x1, y1, x2, y2 = b.unbind(-1)
    return ops.stack(((x1 + x2) / 2, (y1 + y2) / 2, x2 - x1, y2 - y1), dim=-1)


def _xywh_to_xyxy(b):
    x, y, w, h = b.unbind(-1)
    return ops.stack([x, y, x + w, y + h], dim=-1)


def _xyxy_to_xywh(b):
    x1, y1, x2, y2 = b.unbind(-1)
    return ops.stack((x1, y1, x2 - x1, y2 - y1), dim=-1)


def _rotated(fn):
    """Run a rotated-box conversion in floating point; integer boxes come back rounded."""
    def run(b):
        out = fn(b if b.is_floating_point() else b.float())
        return out if b.is_floating_point() else ops.round(out).to(b.dtype)
    return run


def _cos_sin(r):
    rad = r * math.pi / 180.0
    return ops.cos(rad), ops.sin(rad)


@_rotated
def _cxcywhr_to_xywhr(b):
    cx, cy, w, h, r = b.unbind(-1)
    cos, sin = _cos_sin(r)
    return ops.stack((cx - w / 2 * cos - h / 2 * sin, cy - h / 2 * cos + w / 2 * sin, w, h, r),
                     dim=-1)


@_rotated
def _xywhr_to_cxcywhr(b):
    x1, y1, w, h, r = b.unbind(-1)
    cos, sin = _cos_sin(r)
    return ops.stack([x1 + w / 2 * cos + h / 2 * sin, y1 - w / 2 * sin + h / 2 * cos, w, h, r],
                     dim=-1)


@_rotated
def _xywhr_to_xyxyxyxy(b):
    x1, y1, w, h, r = b.unbind(-1)
    cos, sin = _cos_sin(r)
    x2, y2 = x1 + w * cos, y1 - w * sin
    return ops.stack((x1, y1, x2, y2, x2 + h * sin, y2 + h * cos, x1 + h * sin, y1 + h * cos),
                     dim=-1)


_FORMATS = ("xyxy", "xywh", "cxcywh", "xywhr", "cxcywhr", "xyxyxyxy")
_CONVERSIONS = {
    ("xywh", "xyxy"): [_xywh_to_xyxy], ("cxcywh", "xyxy"): [_cxcywh_to_xyxy],
    ("xyxy", "xywh"): [_xyxy_to_xywh], ("xyxy", "cxcywh"): [_xyxy_to_cxcywh],
    ("xywh", "cxcywh"): [_xywh_to_xyxy, _xyxy_to_cxcywh],
    ("cxcywh", "xywh"): [_cxcywh_to_xyxy, _xyxy_to_xywh],
    ("cxcywhr", "xywhr"): [_cxcywhr_to_xywhr], ("xywhr", "cxcywhr"): [_xywhr_to_cxcywhr],
    ("cxcywhr", "xyxyxyxy"): [_cxcywhr_to_xywhr, _xywhr_to_xyxyxyxy],
    ("xywhr", "xyxyxyxy"): [_xywhr_to_xyxyxyxy],
}


def box_convert(boxes: Tensor, in_fmt: str, out_fmt: str) -> Tensor:
    """Boxes (..., K) from ``in_fmt`` to ``out_fmt``: ``'xyxy'`` (corners), ``'xywh'``
    (corner, width, height), ``'cxcywh'`` (centre, width, height); rotated boxes
    ``'xywhr'``, ``'cxcywhr'`` (angle in degrees, counter-clockwise) and ``'xyxyxyxy'``
    (four corners). Converting from ``'xyxyxyxy'`` needs an atan2, which ember lacks: it
    raises ``NotImplementedError``."""
    if in_fmt not in _FORMATS or out_fmt not in _FORMATS:
        raise ValueError(f"Unsupported Bounding Box Conversions for given in_fmt {in_fmt} and "
                         f"out_fmt {out_fmt}")
    if in_fmt == out_fmt:
        return boxes.clone()
    steps = _CONVERSIONS.get((in_fmt, out_fmt))
    if steps is None:
        if in_fmt == "xyxyxyxy" and out_fmt in ("xywhr", "cxcywhr"):
            raise NotImplementedError(f"box_convert: {in_fmt} -> {out_fmt} needs atan2, which "
                                      "ember does not have yet")
        raise NotImplementedError(f"Unsupported Bounding Box Conversions for given in_fmt "
                                  f"{in_fmt} and out_fmt {out_fmt}")
    for step in steps:
        boxes = step(boxes)
    return boxes


# ---------------------------------------------------------------------------- areas and IoUs

_AXIS_ALIGNED = ("xyxy", "xywh", "cxcywh")


def box_area(boxes: Tensor, fmt: str = "xyxy") -> Tensor:
    """The areas of boxes (..., 4) given in ``fmt`` (``'xyxy'``, ``'xywh'``, ``'cxcywh'``).
    Half floats are computed in float32, small ints in int32."""
    if fmt not in _AXIS_ALIGNED:
        raise ValueError(f"Unsupported Bounding Box area for given format {fmt}")
    boxes = _upcast(boxes)
    if fmt == "xyxy":
        return (boxes[..., 2] - boxes[..., 0]) * (boxes[..., 3] - boxes[..., 1])
    return boxes[..., 2] * boxes[..., 3]


def _box_inter_union(boxes1, boxes2, fmt="xyxy"):
    area1, area2 = box_area(boxes1, fmt=fmt), box_area(boxes2, fmt=fmt)
    a_lo, a_wh = boxes1[..., None, :2], boxes1[..., None, 2:]
    b_lo, b_wh = boxes2[..., None, :, :2], boxes2[..., None, :, 2:]
    if fmt == "xyxy":
        lt, rb = ops.maximum(a_lo, b_lo), ops.minimum(a_wh, b_wh)
    elif fmt == "xywh":
        lt, rb = ops.maximum(a_lo, b_lo), ops.minimum(a_lo + a_wh, b_lo + b_wh)
    else:
        lt = ops.maximum(a_lo - a_wh / 2, b_lo - b_wh / 2)
        rb = ops.minimum(a_lo + a_wh / 2, b_lo + b_wh / 2)
    wh = _upcast(rb - lt).clamp(min=0)
    inter = wh[..., 0] * wh[..., 1]
    return inter, area1[..., None] + area2[..., None, :] - inter


def box_iou(boxes1: Tensor, boxes2: Tensor, fmt: str = "xyxy") -> Tensor:
    """Intersection over union of every pair: (..., N, 4) and (..., M, 4) -> (..., N, M).
    ``fmt`` as in :func:`box_area`; the rotated formats need torchvision's compiled kernel
    and raise ``NotImplementedError``."""
    if fmt in _AXIS_ALIGNED:
        inter, union = _box_inter_union(boxes1, boxes2, fmt=fmt)
        return inter / union
    if fmt in ("cxcywhr", "xywhr", "xyxyxyxy"):
        raise NotImplementedError(f"box_iou: rotated boxes (fmt={fmt!r}) are not supported by "
                                  "ember")
    raise ValueError(f"Unsupported format '{fmt}'. Supported axis-aligned formats: "
                     f"{_AXIS_ALIGNED}. Supported rotated formats: ('cxcywhr', 'xywhr', "
                     "'xyxyxyxy').")


def _enclosing_wh(boxes1, boxes2):
    lti = ops.minimum(boxes1[..., None, :2], boxes2[..., None, :, :2])
    rbi = ops.maximum(boxes1[..., None, 2:], boxes2[..., None, :, 2:])
    return _upcast(rbi - lti).clamp(min=0)


def generalized_box_iou(boxes1: Tensor, boxes2: Tensor) -> Tensor:
    """Generalized IoU of every pair (Rezatofighi et al., 2019): IoU minus the part of the
    smallest enclosing box the union leaves empty. (..., N, 4), (..., M, 4) -> (..., N, M)."""
    inter, union = _box_inter_union(boxes1, boxes2)
    iou = inter / union
    whi = _enclosing_wh(boxes1, boxes2)
    areai = whi[..., 0] * whi[..., 1]
    return iou - (areai - union) / areai


def _box_diou_iou(boxes1, boxes2, eps):
    iou = box_iou(boxes1, boxes2)
    whi = _enclosing_wh(boxes1, boxes2)
    diagonal = whi[..., 0] ** 2 + whi[..., 1] ** 2 + eps
    x_p, y_p = (boxes1[..., 0] + boxes1[..., 2]) / 2, (boxes1[..., 1] + boxes1[..., 3]) / 2
    x_g, y_g = (boxes2[..., 0] + boxes2[..., 2]) / 2, (boxes2[..., 1] + boxes2[..., 3]) / 2
    centers = _upcast(x_p[..., None] - x_g[..., None, :]) ** 2 + \
        _upcast(y_p[..., None] - y_g[..., None, :]) ** 2
    return iou - centers / diagonal, iou


def distance_box_iou(boxes1: Tensor, boxes2: Tensor, eps: float = 1e-7) -> Tensor:
    """Distance IoU of every pair (Zheng et al., 2019): IoU minus the squared distance of
    the centres over the squared diagonal of the enclosing box (plus ``eps``)."""
    diou, _ = _box_diou_iou(_upcast(boxes1), _upcast(boxes2), eps)
    return diou


def complete_box_iou(boxes1: Tensor, boxes2: Tensor, eps: float = 1e-7) -> Tensor:
    """Complete IoU of every pair (Zheng et al., 2019): the distance IoU minus an
    aspect-ratio term ``alpha * v``, ``v = 4/pi^2 (atan(w1/h1) - atan(w2/h2))^2``, with
    ``alpha = v / (1 - IoU + v + eps)`` held constant (no gradient through it)."""
    boxes1, boxes2 = _upcast(boxes1), _upcast(boxes2)
    diou, iou = _box_diou_iou(boxes1, boxes2, eps)
    w_pred = boxes1[..., None, 2] - boxes1[..., None, 0]
    h_pred = boxes1[..., None, 3] - boxes1[..., None, 1]
    w_gt = boxes2[..., None, :, 2] - boxes2[..., None, :, 0]
    h_gt = boxes2[..., None, :, 3] - boxes2[..., None, :, 1]
    v = (4 / (math.pi ** 2)) * (arctan(w_pred / h_pred) - arctan(w_gt / h_gt)) ** 2
    alpha = (v / (1 - iou + v + eps)).detach()
    return diou - alpha * v


def masks_to_boxes(masks: Tensor) -> Tensor:
    """The smallest boxes ``(x1, y1, x2, y2)`` (float32 (N, 4)) around the non-zero pixels
    of masks (N, H, W); an empty mask gives ``[0, 0, 0, 0]``."""
    m = masks._data
    xp = xp_of(m)
    if m.size == 0:
        return _wrap(xp.zeros((0, 4), dtype=np.float32), False, None, 0)
    _, h, w = m.shape
    m = m.astype(bool)
    rows, cols = m.any(axis=2), m.any(axis=1)
    y1, x1 = rows.argmax(axis=1), cols.argmax(axis=1)
    y2 = (h - 1) - rows[:, ::-1].argmax(axis=1)
    x2 = (w - 1) - cols[:, ::-1].argmax(axis=1)
    out = xp.stack([x1, y1, x2, y2], axis=1).astype(np.float32)
    out[~rows.any(axis=1)] = 0
    return _wrap(out, False, None, 0)
