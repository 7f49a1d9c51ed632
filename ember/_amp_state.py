"""Autocast state: per thread, which device types compute in mixed precision, and in which dtype.

The ops read ``state.on`` at their public entry (one attribute read, False unless some
``autocast`` region is active in this thread) and only then ask ``ember.ops._autocast``
how to cast their inputs. The functions here are PyTorch's top-level ones
(``torch.is_autocast_enabled``, ``torch.set_autocast_dtype``...): they read and
write this state, as ``torch.autocast`` does on entering and leaving a region.
"""
from __future__ import annotations

import threading
import warnings

from . import backend

__all__ = ["is_autocast_available", "is_autocast_enabled", "set_autocast_enabled",
           "get_autocast_dtype", "set_autocast_dtype", "is_autocast_cache_enabled",
           "set_autocast_cache_enabled", "autocast_increment_nesting",
           "autocast_decrement_nesting", "clear_autocast_cache"]

# The device types PyTorch's autocast knows, with their default lower-precision dtype.
# ember's tensors live on "cpu" and "cuda"; the others hold state only, as in a PyTorch
# build without those devices.
DEFAULT_DTYPES = {"cpu": backend.bfloat16, "cuda": backend.float16, "xpu": backend.float16,
                  "mps": backend.float16, "hpu": backend.bfloat16, "ipu": backend.float16,
                  "xla": backend.bfloat16, "mtia": backend.float16, "maia": backend.bfloat16,
                  "privateuseone": backend.float16}


class _State(threading.local):
    """One per thread (``__init__`` runs in each thread on its first use)."""

    def __init__(self):
        self.on = False          # some device type is enabled and no op is running one's policy
        self.enabled = {}        # device type -> True while autocast is enabled for it
        self.dtype = dict(DEFAULT_DTYPES)
        self.cache_enabled = True
        self.nesting = 0
        self.inside = 0          # depth of ops running under their autocast policy
        self.cache = {}          # id(parameter) -> (parameter, its cast): the weight cache


state = _State()


def refresh() -> None:
    """Recompute ``state.on`` after a change of the enabled set or of the op depth."""
    state.on = state.inside == 0 and any(state.enabled.values())


def _type_of(device_type, fn: str) -> str:
    if not isinstance(device_type, str):
        raise TypeError(f"{fn}(): argument 'device_type' (position 1) must be str, not "
                        f"{type(device_type).__name__}")
    name = device_type.split(":", 1)[0]
    if name in DEFAULT_DTYPES:
        return name
    backend.device(name)  # raises PyTorch's error for a name that is no device type
    raise RuntimeError(f"{fn}(): autocast has no state for device type '{name}'")


def is_autocast_available(device_type: str) -> bool:
    """Whether autocast knows ``device_type`` (``'cpu'``, ``'cuda'``, ``'xpu'``...)."""
    if not isinstance(device_type, str):
        raise TypeError(f"is_autocast_available(): argument 'device_type' (position 1) must be "
                        f"str, not {type(device_type).__name__}")
    return device_type.split(":", 1)[0] in DEFAULT_DTYPES


def is_autocast_enabled(device_type: str = "cuda") -> bool:
    """Whether autocast is enabled for ``device_type`` in this thread (``'cuda'`` if omitted)."""
    return state.enabled.get(_type_of(device_type, "is_autocast_enabled"), False)


def _check_bool(value, fn, position):
    if not isinstance(value, bool):
        raise TypeError(f"{fn}(): argument 'enabled' (position {position}) must be bool, not "
                        f"{type(value).__name__}")


_MISSING = object()


def set_autocast_enabled(device_type, enabled=_MISSING) -> None:
    """``set_autocast_enabled(device_type, enabled)``; ``set_autocast_enabled(enabled)``: CUDA."""
    if enabled is _MISSING:
        device_type, enabled = "cuda", device_type
        _check_bool(enabled, "set_autocast_enabled", 1)
    else:
        _check_bool(enabled, "set_autocast_enabled", 2)
    state.enabled[_type_of(device_type, "set_autocast_enabled")] = enabled
    refresh()


def get_autocast_dtype(device_type: str):
    """The lower-precision dtype of autocast on ``device_type`` in this thread."""
    return state.dtype[_type_of(device_type, "get_autocast_dtype")]


def set_autocast_dtype(device_type: str, dtype) -> None:
    state.dtype[_type_of(device_type, "set_autocast_dtype")] = backend.to_dtype(dtype)


def is_autocast_cache_enabled() -> bool:
    """Whether casts of parameters are cached inside an autocast region."""
    return state.cache_enabled


def set_autocast_cache_enabled(enabled: bool) -> None:
    if not isinstance(enabled, bool):
        raise TypeError(f"enabled must be a bool (got {type(enabled).__name__})")
    state.cache_enabled = enabled


def autocast_increment_nesting() -> int:
    """One more autocast region entered in this thread; returns the depth."""
    state.nesting += 1
    return state.nesting


def autocast_decrement_nesting() -> int:
    """One autocast region left; returns the depth (the cache is dropped by the caller at 0)."""
    state.nesting -= 1
    return state.nesting


def clear_autocast_cache() -> None:
    """Forget the cached lower-precision casts of parameters."""
    state.cache.clear()


# PyTorch's older per-device functions, each deprecated in favour of the ones above.

def _deprecated(old: str, new: str):
    warnings.warn(f"ember.{old} is deprecated. Please use ember.{new} instead.",
                  DeprecationWarning, stacklevel=3)


def is_autocast_cpu_enabled() -> bool:
    _deprecated("is_autocast_cpu_enabled()", "is_autocast_enabled('cpu')")
    return is_autocast_enabled("cpu")


def set_autocast_cpu_enabled(enabled: bool) -> None:
    _deprecated("set_autocast_cpu_enabled(enabled)", "set_autocast_enabled('cpu', enabled)")
    set_autocast_enabled("cpu", enabled)


def get_autocast_cpu_dtype():
    _deprecated("get_autocast_cpu_dtype()", "get_autocast_dtype('cpu')")
    return get_autocast_dtype("cpu")


def set_autocast_cpu_dtype(dtype) -> None:
    _deprecated("set_autocast_cpu_dtype(dtype)", "set_autocast_dtype('cpu', dtype)")
    set_autocast_dtype("cpu", dtype)


def get_autocast_gpu_dtype():
    _deprecated("get_autocast_gpu_dtype()", "get_autocast_dtype('cuda')")
    return get_autocast_dtype("cuda")


def set_autocast_gpu_dtype(dtype) -> None:
    _deprecated("set_autocast_gpu_dtype(dtype)", "set_autocast_dtype('cuda', dtype)")
    set_autocast_dtype("cuda", dtype)


def is_autocast_ipu_enabled() -> bool:
    _deprecated("is_autocast_ipu_enabled()", "is_autocast_enabled('ipu')")
    return is_autocast_enabled("ipu")


def set_autocast_ipu_enabled(enabled: bool) -> None:
    _deprecated("set_autocast_ipu_enabled(enabled)", "set_autocast_enabled('ipu', enabled)")
    set_autocast_enabled("ipu", enabled)


def get_autocast_ipu_dtype():
    _deprecated("get_autocast_ipu_dtype()", "get_autocast_dtype('ipu')")
    return get_autocast_dtype("ipu")


def set_autocast_ipu_dtype(dtype) -> None:
    _deprecated("set_autocast_ipu_dtype(dtype)", "set_autocast_dtype('ipu', dtype)")
    set_autocast_dtype("ipu", dtype)


def is_autocast_xla_enabled() -> bool:
    _deprecated("is_autocast_xla_enabled()", "is_autocast_enabled('xla')")
    return is_autocast_enabled("xla")


def set_autocast_xla_enabled(enabled: bool) -> None:
    _deprecated("set_autocast_xla_enabled(enabled)", "set_autocast_enabled('xla', enabled)")
    set_autocast_enabled("xla", enabled)


def get_autocast_xla_dtype():
    _deprecated("get_autocast_xla_dtype()", "get_autocast_dtype('xla')")
    return get_autocast_dtype("xla")


def set_autocast_xla_dtype(dtype) -> None:
    _deprecated("set_autocast_xla_dtype(dtype)", "set_autocast_dtype('xla', dtype)")
    set_autocast_dtype("xla", dtype)
