"""Op-table rows of ``ember.vision.ops``.

The box functions and losses are compared with torchvision's own (pure PyTorch) functions.
torchvision's compiled RoI kernels do not load beside the CPU torch of the tests, so
``roi_align`` and ``roi_pool`` are compared with references in plain torch written loop by
loop from the definitions of torchvision's CPU kernels (tests/vision/_references.py).
Every row also gets the checker's finite-difference gradcheck and gradgradcheck in float64.
"""
from __future__ import annotations

import numpy as np

import ember
import ember.vision.ops as EV

from ..opcheck import C, I, N, T, torch
from ..vision._references import roi_align_reference, roi_pool_reference
from .cases import row, unary

if torch is not None:
    import torchvision.ops as TV
else:  # pragma: no cover - without the oracle only ember's side of each row runs
    TV = None


def V(m):
    """The vision ops of either library."""
    return EV if m is ember else TV


def _boxes(m, a):
    """Valid (x1, y1, x2, y2) boxes from any real (..., 4) input: corners from the first two
    numbers, sizes exp() of the last two (so both are differentiable)."""
    xy = a[..., :2] * 3
    return m.cat([xy, xy + m.exp(a[..., 2:])], -1)


BOX_PAIRS = [(N(3, 4), N(5, 4)), (N(1, 4), N(0, 4)), (N(2, 3, 4), N(2, 2, 4)),
             (T(3, 4), N(2, 4))]
PAIRED = [(N(5, 4), N(5, 4)), (N(4), N(4)), (N(0, 4), N(0, 4)), (T(3, 4), N(3, 4))]


def _roi(m, name, *args, **kwargs):
    if m is ember:
        return getattr(EV, name)(*args, **kwargs)
    return {"roi_align": roi_align_reference, "roi_pool": roi_pool_reference}[name](*args,
                                                                                    **kwargs)


ROIS = C([[0, 1.2, 2.3, 7.7, 5.1], [1, 0.5, 0.5, 6.0, 5.0], [1, 3.0, 1.0, 3.4, 1.2],
          [0, -2.0, -3.0, 2.5, 2.0], [1, 4.0, 3.0, 9.5, 7.8]])
ROIS_SCALED = C([[0, 2.0, 3.0, 13.0, 11.0], [1, 0.0, 1.0, 6.0, 6.0]])
NO_ROIS = C(np.zeros((0, 5)))


def _listed(m, x, a, b):
    return _roi(m, "roi_align", x, [a, b], (2, 3), 0.5, 2)


CASES = [
    # ------------------------------------------------------------------ boxes
    row("box_area", lambda m, a: V(m).box_area(_boxes(m, a)), [(N(3, 4),), (N(0, 4),),
                                                              (T(2, 4),)]),
    row("box_area_cxcywh", lambda m, a: V(m).box_area(_boxes(m, a), fmt="cxcywh"),
        [(N(2, 3, 4),)]),
    row("box_iou", lambda m, a, b: V(m).box_iou(_boxes(m, a), _boxes(m, b)), BOX_PAIRS),
    row("box_iou_xywh", lambda m, a, b: V(m).box_iou(_boxes(m, a), _boxes(m, b), "xywh"),
        BOX_PAIRS[:1]),
    row("box_iou_cxcywh", lambda m, a, b: V(m).box_iou(_boxes(m, a), _boxes(m, b), "cxcywh"),
        BOX_PAIRS[:1]),
    row("generalized_box_iou", lambda m, a, b: V(m).generalized_box_iou(_boxes(m, a),
                                                                        _boxes(m, b)),
        BOX_PAIRS),
    row("distance_box_iou", lambda m, a, b: V(m).distance_box_iou(_boxes(m, a),
                                                                  _boxes(m, b)), BOX_PAIRS),
    # CIoU holds its alpha constant (no gradient through it), as torchvision does: its
    # gradient is not the derivative of its value, so only the comparison with torchvision
    # (forward and backward) checks these two rows.
    row("complete_box_iou", lambda m, a, b: V(m).complete_box_iou(_boxes(m, a), _boxes(m, b),
                                                                  eps=1e-6), BOX_PAIRS,
        gradcheck=False),
    row("clip_boxes_to_image", lambda m, a: V(m).clip_boxes_to_image(_boxes(m, a) * 2, (7, 9)),
        [(N(6, 4),), (N(2, 3, 4),), (N(0, 4),)]),
    row("box_convert_xywh_cxcywh", lambda m, a: V(m).box_convert(a, "xywh", "cxcywh"),
        [(N(3, 4),), (T(2, 4),), (N(0, 4),)]),
    row("box_convert_cxcywh_xywh", lambda m, a: V(m).box_convert(a, "cxcywh", "xywh"),
        [(N(2, 3, 4),)]),
    row("box_convert_xyxy_cxcywh", lambda m, a: V(m).box_convert(a, "xyxy", "cxcywh"),
        [(N(3, 4),)]),
    row("box_convert_cxcywhr_xyxyxyxy", lambda m, a: V(m).box_convert(a, "cxcywhr",
                                                                       "xyxyxyxy"),
        [(N(3, 5),), (N(0, 5),)]),
    row("box_convert_xywhr_cxcywhr", lambda m, a: V(m).box_convert(a, "xywhr", "cxcywhr"),
        [(N(3, 5),)]),
    # ------------------------------------------------------------------ losses
    row("generalized_box_iou_loss", lambda m, a, b: V(m).generalized_box_iou_loss(
        _boxes(m, a), _boxes(m, b)), PAIRED),
    row("generalized_box_iou_loss_mean", lambda m, a, b: V(m).generalized_box_iou_loss(
        _boxes(m, a), _boxes(m, b), reduction="mean"), PAIRED),
    row("distance_box_iou_loss_sum", lambda m, a, b: V(m).distance_box_iou_loss(
        _boxes(m, a), _boxes(m, b), reduction="sum"), PAIRED),
    row("complete_box_iou_loss", lambda m, a, b: V(m).complete_box_iou_loss(
        _boxes(m, a), _boxes(m, b), eps=1e-5), PAIRED, gradcheck=False),
    row("sigmoid_focal_loss", lambda m, x, t: V(m).sigmoid_focal_loss(x, t.to(x.dtype)),
        [(N(3, 4), I(2, 3, 4)), (N(), I(2)), (T(3, 4), I(2, 3, 4)), (N(0, 2), I(2, 0, 2))]),
    row("sigmoid_focal_loss_mean", lambda m, x, t: V(m).sigmoid_focal_loss(
        x, t.to(x.dtype), alpha=-1, gamma=1.5, reduction="mean"), [(N(5, 2), I(2, 5, 2))]),
    # ------------------------------------------------------------------ RoI Align / Pool
    row("roi_align_adaptive", lambda m, x, r: _roi(m, "roi_align", x, r, (2, 3)),
        [(N(2, 3, 6, 8), ROIS), (N(2, 1, 5, 4), ROIS), (T(2, 2, 6, 8), ROIS),
         (N(2, 3, 6, 8), NO_ROIS)]),
    row("roi_align_aligned_ratio", lambda m, x, r: _roi(m, "roi_align", x, r, 2, 1.0, 2, True),
        [(N(2, 2, 6, 8), ROIS)]),
    row("roi_align_scaled", lambda m, x, r: _roi(m, "roi_align", x, r, (3, 2), 0.5, -1, True),
        [(N(2, 2, 7, 6), ROIS_SCALED)]),
    row("roi_align_box_list", _listed, [(N(2, 2, 6, 7), C([[1.0, 1.0, 5.0, 4.0]]),
                                         C([[0.5, 2.0, 6.0, 5.5], [2.0, 0.0, 3.0, 1.0]]))]),
    row("roi_pool", lambda m, x, r: _roi(m, "roi_pool", x, r, (2, 3)),
        [(N(2, 3, 6, 8), ROIS), (T(2, 1, 6, 8), ROIS), (N(2, 3, 6, 8), NO_ROIS)]),
    row("roi_pool_scaled", lambda m, x, r: _roi(m, "roi_pool", x, r, 3, 0.5),
        [(N(2, 2, 7, 6), ROIS_SCALED)]),
]
