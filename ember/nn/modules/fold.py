"""Unfold and Fold: sliding blocks to columns (im2col) and back (col2im), as layers."""
from __future__ import annotations

from ... import ops
from ...tensor import Tensor
from ..module import Module

__all__ = ["Unfold", "Fold"]


class Unfold(Module):
    """Each sliding (kh, kw) block of a batched image as a column.

    Shape: Input (N, C, H, W) or (C, H, W); Output (N, C * kh * kw, L) or (C * kh * kw, L),
    L = the number of blocks, prod over H, W of
    (n + 2 padding - dilation (kernel - 1) - 1) // stride + 1.
    """

    def __init__(self, kernel_size, dilation=1, padding=0, stride=1):
        super().__init__()
        self.kernel_size, self.dilation = kernel_size, dilation
        self.padding, self.stride = padding, stride

    def forward(self, input: Tensor) -> Tensor:
        return ops.unfold(input, self.kernel_size, self.dilation, self.padding, self.stride)

    def extra_repr(self):
        return (f"kernel_size={self.kernel_size}, dilation={self.dilation}, "
                f"padding={self.padding}, stride={self.stride}")


class Fold(Module):
    """Columns of sliding blocks summed back into an image of ``output_size`` (the adjoint
    of Unfold; overlapping values add up).

    Shape: Input (N, C * kh * kw, L) or (C * kh * kw, L); Output (N, C, H, W) or (C, H, W)
    with (H, W) = ``output_size``.
    """

    def __init__(self, output_size, kernel_size, dilation=1, padding=0, stride=1):
        super().__init__()
        self.output_size, self.kernel_size = output_size, kernel_size
        self.dilation, self.padding, self.stride = dilation, padding, stride

    def forward(self, input: Tensor) -> Tensor:
        return ops.fold(input, self.output_size, self.kernel_size, self.dilation, self.padding,
                        self.stride)

    def extra_repr(self):
        return (f"output_size={self.output_size}, kernel_size={self.kernel_size}, "
                f"dilation={self.dilation}, padding={self.padding}, stride={self.stride}")
