"""``ember.utils``: data loading (``ember.utils.data``), image grids (``make_grid``,
``save_image``, as ``torchvision.utils``: the same functions as ``ember.vision.utils``'),
activation checkpointing (``ember.utils.checkpoint``) and nested containers
(``ember.utils._pytree``)."""
from . import data  # noqa: F401
from ..vision.utils import make_grid, save_image
from . import _pytree, checkpoint  # noqa: F401

__all__ = ["data", "make_grid", "save_image", "checkpoint"]
