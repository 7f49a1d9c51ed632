"""``ember.cuda.amp``: PyTorch's older CUDA-only names for mixed precision (deprecated there).

``autocast(...)`` is ``ember.amp.autocast('cuda', ...)``, ``GradScaler(...)`` is
``ember.amp.GradScaler('cuda', ...)``; each warns with PyTorch's FutureWarning.
"""
from __future__ import annotations

import functools
import warnings

from .. import backend
from ..amp import autocast_mode, grad_scaler

__all__ = ["amp_definitely_not_available", "autocast", "custom_bwd", "custom_fwd", "GradScaler"]


def amp_definitely_not_available() -> bool:
    """True when there is no CUDA device (nor the stand-in) for mixed precision."""
    return not backend.cuda_is_available()


def _deprecated(old: str, new: str):
    warnings.warn(f"`ember.cuda.amp.{old}(args...)` is deprecated. Please use "
                  f"`ember.amp.{new}` instead.", FutureWarning, stacklevel=3)


class autocast(autocast_mode.autocast):
    """``ember.amp.autocast('cuda', ...)`` (deprecated spelling)."""

    def __init__(self, enabled: bool = True, dtype=backend.float16, cache_enabled: bool = True):
        _deprecated("autocast", "autocast('cuda', args...)")
        super().__init__("cuda", enabled=enabled, dtype=dtype, cache_enabled=cache_enabled)


def custom_fwd(fwd=None, *, cast_inputs=None):
    """``ember.amp.custom_fwd(..., device_type='cuda')`` (deprecated spelling)."""
    _deprecated("custom_fwd", "custom_fwd(args..., device_type='cuda')")
    return functools.partial(autocast_mode.custom_fwd, device_type="cuda")(
        fwd=fwd, cast_inputs=cast_inputs)


def custom_bwd(bwd):
    """``ember.amp.custom_bwd(..., device_type='cuda')`` (deprecated spelling)."""
    _deprecated("custom_bwd", "custom_bwd(args..., device_type='cuda')")
    return functools.partial(autocast_mode.custom_bwd, device_type="cuda")(bwd)


class GradScaler(grad_scaler.GradScaler):
    """``ember.amp.GradScaler('cuda', ...)`` (deprecated spelling)."""

    def __init__(self, init_scale: float = 2.0 ** 16, growth_factor: float = 2.0,
                 backoff_factor: float = 0.5, growth_interval: int = 2000,
                 enabled: bool = True) -> None:
        _deprecated("GradScaler", "GradScaler('cuda', args...)")
        super().__init__("cuda", init_scale=init_scale, growth_factor=growth_factor,
                         backoff_factor=backoff_factor, growth_interval=growth_interval,
                         enabled=enabled)
