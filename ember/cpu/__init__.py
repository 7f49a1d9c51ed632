"""``ember.cpu``: as ``torch.cpu``, the home of ``ember.cpu.amp``."""
from . import amp  # noqa: F401

__all__ = ["amp"]
