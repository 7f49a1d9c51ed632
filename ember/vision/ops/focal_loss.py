"""The focal loss of RetinaNet (Lin et al., 2017), as ``torchvision.ops.sigmoid_focal_loss``."""
from __future__ import annotations

from ... import ops
from ...nn import functional as F
from ...tensor import Tensor
from ._utils import _reduce

__all__ = ["sigmoid_focal_loss"]


def sigmoid_focal_loss(inputs: Tensor, targets: Tensor, alpha: float = 0.25, gamma: float = 2,
                       reduction: str = "none") -> Tensor:
    """Binary cross-entropy on logits weighted by ``(1 - p_t) ** gamma`` (and by ``alpha`` for
    positives, ``1 - alpha`` for negatives; ``alpha = -1`` weighs both alike).

    Args:
        inputs: logits, any shape.
        targets: 0/1 labels (floats) of the same shape.
        alpha: weight of the positive class in [0, 1], or -1 for none.
        gamma: focusing exponent.
        reduction: ``'none'``, ``'mean'`` or ``'sum'``.
    """
    if not (0 <= alpha <= 1) and alpha != -1:
        raise ValueError(f"Invalid alpha value: {alpha}. alpha must be in the range [0,1] or -1 "
                         "for ignore.")
    p = ops.sigmoid(inputs)
    ce_loss = F.binary_cross_entropy_with_logits(inputs, targets, reduction="none")
    p_t = p * targets + (1 - p) * (1 - targets)
    loss = ce_loss * ((1 - p_t) ** gamma)
    if alpha >= 0:
        loss = (alpha * targets + (1 - alpha) * (1 - targets)) * loss
    return _reduce(loss, reduction)
