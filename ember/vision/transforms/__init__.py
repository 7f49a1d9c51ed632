"""``ember.vision.transforms`` (also ``ember.transforms``): ``torchvision.transforms``.

The v1 transform classes (``transforms``), the augmentation policies (``autoaugment``),
``functional`` and ``InterpolationMode``; and ember's batched augmentations
``batch_random_crop`` / ``batch_random_horizontal_flip`` on whole (N, C, H, W) batches.
"""
from . import functional
from ._batch import batch_random_crop, batch_random_horizontal_flip
from .autoaugment import *  # noqa: F401,F403
from .autoaugment import __all__ as _autoaugment_all
from .functional import rotate
from .transforms import *  # noqa: F401,F403
from .transforms import __all__ as _transforms_all

__all__ = _transforms_all + _autoaugment_all + ["functional", "rotate", "batch_random_crop",
                                                "batch_random_horizontal_flip"]
