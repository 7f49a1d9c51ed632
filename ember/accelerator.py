"""``ember.accelerator``: which accelerator (if any) is present, as ``torch.accelerator``."""
from __future__ import annotations

import importlib.util

from . import backend, cuda

__all__ = ["is_available", "current_accelerator", "device_count", "current_device_index",
           "set_device_index", "synchronize"]


def is_available() -> bool:
    return cuda.is_available()


def current_accelerator(check_available: bool = False):
    """``device(type='cuda')`` when ember can drive CUDA here: CuPy is installed (PyTorch's
    "built with CUDA") or the stand-in is selected; with ``check_available``, only when a
    device is usable now too. Else None."""
    built = backend.standin_requested() or importlib.util.find_spec("cupy") is not None
    if built and (not check_available or cuda.is_available()):
        return backend.device("cuda")
    return None


def device_count() -> int:
    return cuda.device_count()


def current_device_index() -> int:
    return cuda.current_device() if cuda.is_available() else -1


def set_device_index(device) -> None:
    cuda.set_device(device)


def synchronize(device=None) -> None:
    cuda.synchronize(device)
