"""Image-shaped helpers: padding, up-sampling, pixel shuffle, instance norm, LRN, Dropout2d."""
from __future__ import annotations

from ... import ops
from ..module import Module

__all__ = ["ZeroPad2d", "ConstantPad2d", "ReflectionPad2d", "ReplicationPad2d", "Upsample",
           "UpsamplingNearest2d", "UpsamplingBilinear2d", "PixelShuffle", "PixelUnshuffle"]


class _Pad2d(Module):
    _mode = "constant"

    def __init__(self, padding, value: float = 0.0):
        super().__init__()
        self.padding = (padding,) * 4 if isinstance(padding, int) else tuple(padding)
        self.value = value

    def forward(self, input):
        if self._mode == "constant":
            return ops.pad(input, self.padding, "constant", self.value)
        return ops.pad(input, self.padding, self._mode)

    def extra_repr(self):
        return f"{self.padding}" + (f", value={self.value}" if type(self) is ConstantPad2d
                                    else "")


class ZeroPad2d(_Pad2d):
    """Pad the last two dims with zeros: padding = (left, right, top, bottom) or one int."""

    def __init__(self, padding):
        super().__init__(padding, 0.0)


class ConstantPad2d(_Pad2d):
    """Pad the last two dims with ``value``."""


class ReflectionPad2d(_Pad2d):
    """Pad by mirroring the border (without repeating the edge)."""

    _mode = "reflect"


class ReplicationPad2d(_Pad2d):
    """Pad by repeating the edge values."""

    _mode = "replicate"


class Upsample(Module):
    """Up-sample by ``scale_factor`` or to ``size`` ('nearest', 'linear', 'bilinear')."""

    def __init__(self, size=None, scale_factor=None, mode: str = "nearest", align_corners=None,
                 recompute_scale_factor=None):
        super().__init__()
        self.size = size
        self.scale_factor = float(scale_factor) if isinstance(scale_factor, (int, float)) \
            else tuple(float(f) for f in scale_factor) if isinstance(scale_factor, (tuple, list)) \
            else scale_factor  # floats, as PyTorch keeps them (its repr and saved files)
        self.mode, self.align_corners = mode, align_corners
        self.recompute_scale_factor = recompute_scale_factor

    def forward(self, input):
        return ops.interpolate(input, self.size, self.scale_factor, self.mode,
                               self.align_corners, self.recompute_scale_factor)

    def extra_repr(self):
        info = (f"size={self.size}" if self.size is not None
                else f"scale_factor={self.scale_factor}")
        return info + f", mode='{self.mode}'"


class UpsamplingNearest2d(Upsample):
    def __init__(self, size=None, scale_factor=None):
        super().__init__(size, scale_factor, "nearest")


class UpsamplingBilinear2d(Upsample):
    """Bilinear up-sampling with align_corners=True (as PyTorch's class does)."""

    def __init__(self, size=None, scale_factor=None):
        super().__init__(size, scale_factor, "bilinear", align_corners=True)


class PixelShuffle(Module):
    def __init__(self, upscale_factor: int):
        super().__init__()
        self.upscale_factor = upscale_factor

    def forward(self, input):
        return ops.pixel_shuffle(input, self.upscale_factor)

    def extra_repr(self):
        return f"upscale_factor={self.upscale_factor}"


class PixelUnshuffle(Module):
    def __init__(self, downscale_factor: int):
        super().__init__()
        self.downscale_factor = downscale_factor

    def forward(self, input):
        return ops.pixel_unshuffle(input, self.downscale_factor)

    def extra_repr(self):
        return f"downscale_factor={self.downscale_factor}"
