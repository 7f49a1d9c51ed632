"""Batch normalization (PyTorch"s module path ``torch.nn.modules.batchnorm``).

The classes live in ``normalization.py``; this module gives programs that import them by
PyTorch"s path the same objects."""
from .normalization import (BatchNorm1d, BatchNorm2d, BatchNorm3d, LazyBatchNorm1d,  # noqa: F401
                            LazyBatchNorm2d, LazyBatchNorm3d, SyncBatchNorm, _BatchNorm,
                            _LazyNormBase, _NormBase)

__all__ = ["BatchNorm1d", "BatchNorm2d", "BatchNorm3d", "SyncBatchNorm", "LazyBatchNorm1d",
           "LazyBatchNorm2d", "LazyBatchNorm3d"]
