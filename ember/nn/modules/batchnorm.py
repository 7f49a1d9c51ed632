"""Batch normalization (PyTorch"s module path ``torch.nn.modules.batchnorm``).

The classes live in ``normalization.py``; this module gives programs that import them by
PyTorch"s path the same objects."""
from .normalization import BatchNorm1d, BatchNorm2d

__all__ = ["BatchNorm1d", "BatchNorm2d"]
