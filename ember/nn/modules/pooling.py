"""Pooling layers (and the lectures' MinPool2d), thin wrappers over the functional forms."""
from __future__ import annotations

from ... import ops
from ...ops.conv import _pair
from ..module import Module

__all__ = ["MaxPool1d", "MaxPool2d", "MinPool2d", "AvgPool1d", "AvgPool2d", "LPPool2d",
           "AdaptiveAvgPool1d", "AdaptiveAvgPool2d", "AdaptiveMaxPool2d", "MaxUnpool2d",
           "MaxPool3d", "AvgPool3d", "AdaptiveAvgPool3d", "AdaptiveMaxPool3d", "MaxUnpool3d"]


class _MaxPoolNd(Module):
    _fn = None

    def __init__(self, kernel_size, stride=None, padding=0, dilation=1,
                 return_indices: bool = False, ceil_mode: bool = False):
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding, self.dilation = padding, dilation
        self.return_indices, self.ceil_mode = return_indices, ceil_mode

    def forward(self, input):
        return type(self)._fn(input, self.kernel_size, self.stride, self.padding, self.dilation,
                              self.ceil_mode, self.return_indices)

    def extra_repr(self):
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
                f"dilation={self.dilation}, ceil_mode={self.ceil_mode}")


class MaxPool2d(_MaxPoolNd):
    """The maximum over each window. Shape: (N, C, H, W) -> (N, C, H_out, W_out)."""

    _fn = staticmethod(ops.max_pool2d)


class MaxPool1d(_MaxPoolNd):
    """The maximum over each window of (N, C, L)."""

    _fn = staticmethod(ops.max_pool1d)


class MinPool2d(_MaxPoolNd):
    """The minimum over each window (the lectures' min pooling; not in PyTorch)."""

    _fn = staticmethod(ops.min_pool2d)


class AvgPool2d(Module):
    """The mean over each window (sub-sampling). Shape: (N, C, H, W) -> (N, C, H_out, W_out)."""

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
                 count_include_pad: bool = True, divisor_override=None):
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding, self.ceil_mode = padding, ceil_mode
        self.count_include_pad, self.divisor_override = count_include_pad, divisor_override

    def forward(self, input):
        return ops.avg_pool2d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                              self.count_include_pad, self.divisor_override)

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AvgPool1d(Module):
    """The mean over each window of (N, C, L)."""

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
                 count_include_pad: bool = True):
        super().__init__()
        self.kernel_size = (kernel_size,) if isinstance(kernel_size, int) else kernel_size
        s = stride if stride is not None else kernel_size
        self.stride = (s,) if isinstance(s, int) else s
        self.padding = (padding,) if isinstance(padding, int) else padding
        self.ceil_mode, self.count_include_pad = ceil_mode, count_include_pad

    def forward(self, input):
        return ops.avg_pool1d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                              self.count_include_pad)

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class LPPool2d(Module):
    """Power-average pooling: (sum over the window of x^p)^(1/p)."""

    def __init__(self, norm_type: float, kernel_size, stride=None, ceil_mode: bool = False):
        super().__init__()
        self.norm_type, self.kernel_size, self.stride = norm_type, kernel_size, stride
        self.ceil_mode = ceil_mode

    def forward(self, input):
        return ops.lp_pool2d(input, self.norm_type, self.kernel_size, self.stride,
                             self.ceil_mode)

    def extra_repr(self):
        return (f"norm_type={self.norm_type}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}, ceil_mode={self.ceil_mode}")


class _Adaptive(Module):
    _fn = None

    def __init__(self, output_size):
        super().__init__()
        self.output_size = output_size

    def forward(self, input):
        return type(self)._fn(input, self.output_size)

    def extra_repr(self):
        return f"output_size={self.output_size}"


class AdaptiveAvgPool2d(_Adaptive):
    """Average pooling to a fixed output size (e.g. 1 for global average pooling)."""

    _fn = staticmethod(ops.adaptive_avg_pool2d)


class AdaptiveAvgPool1d(_Adaptive):
    _fn = staticmethod(ops.adaptive_avg_pool1d)


class AdaptiveMaxPool2d(Module):
    """Max pooling to a fixed output size."""

    def __init__(self, output_size, return_indices: bool = False):
        super().__init__()
        self.output_size, self.return_indices = output_size, return_indices

    def forward(self, input):
        return ops.adaptive_max_pool2d(input, self.output_size, self.return_indices)

    def extra_repr(self):
        return f"output_size={self.output_size}"


class MaxUnpool2d(Module):
    """The partial inverse of MaxPool2d: values back at their arg-max positions, zeros elsewhere."""

    def __init__(self, kernel_size, stride=None, padding=0):
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding = padding

    def forward(self, input, indices, output_size=None):
        return ops.max_unpool2d(input, indices, self.kernel_size, self.stride, self.padding,
                                output_size)

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class MaxPool3d(_MaxPoolNd):
    """The maximum over each (kd, kh, kw) window of a volume.

    Shape: Input (N, C, D, H, W) or (C, D, H, W); Output (N, C, D_out, H_out, W_out), each
    size (n + 2 padding - dilation (kernel - 1) - 1) // stride + 1 (rounded up with
    ``ceil_mode``); with ``return_indices`` also the flat positions of the maxima.
    """

    _fn = staticmethod(ops.max_pool3d)


class AvgPool3d(Module):
    """The mean over each (kd, kh, kw) window of a volume (PyTorch's divisors: padding
    counted with ``count_include_pad``; ``divisor_override`` replaces the count).

    Shape: Input (N, C, D, H, W) or (C, D, H, W); Output (N, C, D_out, H_out, W_out).
    """

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
                 count_include_pad: bool = True, divisor_override=None):
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding, self.ceil_mode = padding, ceil_mode
        self.count_include_pad, self.divisor_override = count_include_pad, divisor_override

    def forward(self, input):
        return ops.avg_pool3d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                              self.count_include_pad, self.divisor_override)

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AdaptiveAvgPool3d(_Adaptive):
    """Average pooling of a volume to a fixed output size (D_out, H_out, W_out); None keeps
    that axis. Shape: (N, C, D, H, W) or (C, D, H, W) -> (N, C, D_out, H_out, W_out)."""

    _fn = staticmethod(ops.adaptive_avg_pool3d)


class AdaptiveMaxPool3d(Module):
    """Max pooling of a volume to a fixed output size; with ``return_indices`` also the flat
    positions of the maxima. Shape: (N, C, D, H, W) -> (N, C, D_out, H_out, W_out)."""

    def __init__(self, output_size, return_indices: bool = False):
        super().__init__()
        self.output_size, self.return_indices = output_size, return_indices

    def forward(self, input):
        return ops.adaptive_max_pool3d(input, self.output_size, self.return_indices)

    def extra_repr(self):
        return f"output_size={self.output_size}"


class MaxUnpool3d(Module):
    """The partial inverse of MaxPool3d: values back at their arg-max positions, zeros
    elsewhere. Shape: (N, C, D, H, W) -> (N, C, D_out, H_out, W_out) with
    D_out = (D - 1) stride - 2 padding + kernel_size, or ``output_size`` in forward."""

    def __init__(self, kernel_size, stride=None, padding=0):
        super().__init__()
        self.kernel_size = _pair(kernel_size, "kernel_size", 3)
        self.stride = _pair(stride if stride is not None else kernel_size, "stride", 3)
        self.padding = _pair(padding, "padding", 3)

    def forward(self, input, indices, output_size=None):
        return ops.max_unpool3d(input, indices, self.kernel_size, self.stride, self.padding,
                                output_size)

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"
