"""``ember.accelerator``: which accelerator (if any) is present, as ``torch.accelerator``."""
from __future__ import annotations

from . import backend, cuda


def is_available() -> bool:
    return cuda.is_available()


def current_accelerator(check_available: bool = False):
    """``device('cuda')`` when a GPU is usable, else None."""
    if cuda.is_available():
        return backend.device("cuda")
    return None


def device_count() -> int:
    return cuda.device_count()
