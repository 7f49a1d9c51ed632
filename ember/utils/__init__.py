"""``ember.utils``: data loading (``ember.utils.data``) and image grids (``make_grid``,
``save_image``, as ``torchvision.utils``: the same functions as ``ember.vision.utils``')."""
from . import data  # noqa: F401
from ..vision.utils import make_grid, save_image

__all__ = ["data", "make_grid", "save_image"]
