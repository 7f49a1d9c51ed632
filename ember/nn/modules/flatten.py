"""Flatten and Unflatten (PyTorch"s module path ``torch.nn.modules.flatten``).

The classes live in ``container.py``; this module gives programs that import them by
PyTorch"s path the same objects."""
from .container import Flatten, Unflatten

__all__ = ["Flatten", "Unflatten"]
