"""Up-sampling (PyTorch"s module path ``torch.nn.modules.upsampling``).

The classes live in ``vision.py``; this module gives programs that import them by
PyTorch"s path the same objects."""
from .vision import Upsample, UpsamplingBilinear2d, UpsamplingNearest2d

__all__ = ["Upsample", "UpsamplingNearest2d", "UpsamplingBilinear2d"]
