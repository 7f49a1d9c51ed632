"""``ember.vision.transforms`` (also ``ember.transforms``): ``torchvision.transforms``."""
from .transforms import *  # noqa: F401,F403
from .transforms import __all__  # noqa: F401
