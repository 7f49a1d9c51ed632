"""``ember.utils``: data loading (``ember.utils.data``) and image grids (``make_grid``,
``save_image``, as ``torchvision.utils``)."""
from . import data  # noqa: F401
from .image import make_grid, save_image

__all__ = ["data", "make_grid", "save_image"]
