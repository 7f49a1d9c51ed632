"""Dropout layers (active in training mode only)."""
from __future__ import annotations

from ... import ops
from ..module import Module

__all__ = ["Dropout", "AlphaDropout", "Dropout1d", "Dropout2d", "Dropout3d"]


class _DropoutNd(Module):
    def __init__(self, p: float = 0.5, inplace: bool = False):
        super().__init__()
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
        self.p, self.inplace = p, inplace

    def extra_repr(self):
        return f"p={self.p}, inplace={self.inplace}"


class Dropout(_DropoutNd):
    """Inverted dropout: in training, zero each element with probability p and scale the
    survivors by 1/(1-p), so evaluation needs no rescaling (identity in eval mode)."""

    def forward(self, input):
        return ops.dropout(input, self.p, self.training, self.inplace)


class AlphaDropout(_DropoutNd):
    """Dropout that keeps SELU activations' mean and variance (training mode only)."""

    def forward(self, input):
        return ops.alpha_dropout(input, self.p, self.training)


class Dropout2d(_DropoutNd):
    """Zero whole channels of (N, C, H, W) in training (spatial dropout)."""

    def forward(self, input):
        return ops.dropout2d(input, self.p, self.training, self.inplace)


class Dropout1d(_DropoutNd):
    """Zero whole channels of (N, C, L) in training."""

    def forward(self, input):
        return ops.dropout1d(input, self.p, self.training, self.inplace)


class Dropout3d(_DropoutNd):
    """Zero whole channels of (N, C, D, H, W) or (C, D, H, W) in training (volumetric
    dropout), scaling the rest by 1/(1-p). Shape: the input's."""

    def forward(self, input):
        return ops.dropout3d(input, self.p, self.training, self.inplace)
