"""Pixel shuffle (PyTorch"s module path ``torch.nn.modules.pixelshuffle``).

The classes live in ``vision.py``; this module gives programs that import them by
PyTorch"s path the same objects."""
from .vision import PixelShuffle, PixelUnshuffle

__all__ = ["PixelShuffle", "PixelUnshuffle"]
