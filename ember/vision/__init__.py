"""``ember.vision``: torchvision's API as one package — ``datasets``, ``transforms``,
``models``, ``utils``, ``ops`` and ``io`` (``import ember.vision as torchvision``).

The older top-level names are the same objects: ``ember.transforms`` is
``ember.vision.transforms``, the torchvision-named datasets of ``ember.datasets`` and models
of ``ember.models`` are those of ``ember.vision.datasets`` and ``ember.vision.models``, and
``ember.utils.make_grid``/``save_image`` are ``ember.vision.utils``'.
"""
from . import datasets, models, transforms, utils
from . import io, ops
from ._image_backend import _is_tracing, get_image_backend, set_image_backend

__version__ = "0.28.0"  # the torchvision release whose API this package follows

__all__ = ["datasets", "models", "transforms", "utils", "io", "ops", "get_image_backend",
           "set_image_backend"]
