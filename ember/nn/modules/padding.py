"""Padding layers (PyTorch"s module path ``torch.nn.modules.padding``).

The classes live in ``vision.py``; this module gives programs that import them by
PyTorch"s path the same objects."""
from .vision import ConstantPad2d, ReflectionPad2d, ReplicationPad2d, ZeroPad2d

__all__ = ["ZeroPad2d", "ConstantPad2d", "ReflectionPad2d", "ReplicationPad2d"]
