"""Ops behind torchvision's box functions that ember's other families lack: the arctangent
of box aspect ratios (the CIoU penalty of ``ember.vision.ops``)."""
from __future__ import annotations

from ..autograd.function import Op
from ._util import xp_of
from .elementwise import _float_in

__all__ = ["arctan"]


class Arctan(Op):
    """atan x, elementwise. Backward: g / (1 + x^2)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return xp_of(x).arctan(x)

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return g / (x * x + 1)


def arctan(input):
    """The arctangent of each element (floating results, in radians)."""
    return Arctan.apply(_float_in(input, "arctan"))
