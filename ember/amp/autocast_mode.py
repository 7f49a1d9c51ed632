"""``ember.autocast``: regions of a program that run in mixed precision, as ``torch.autocast``.

Inside ``with ember.autocast("cpu"):`` the ops PyTorch lists as safe in lower precision
(linear, matmul, convolutions, attention...) compute in bfloat16 (float16 on ``"cuda"``),
those it lists as needing range (the losses, and on CUDA softmax, norms, exp/log...) in
float32, and the others in the dtype of their inputs. Parameters stay float32 (their
gradients come back in float32 through the casts). What each op does is in
``ember.ops._autocast``; this module holds the context manager and decorator, and the
helpers for custom autograd Functions.
"""
from __future__ import annotations

import collections.abc
import functools
import warnings

from .. import backend, cuda
from .._amp_state import (autocast_decrement_nesting, autocast_increment_nesting,
                          clear_autocast_cache, get_autocast_dtype, is_autocast_available,
                          is_autocast_cache_enabled, is_autocast_enabled,
                          set_autocast_cache_enabled, set_autocast_dtype, set_autocast_enabled)
from ..tensor import Tensor

__all__ = ["autocast", "autocast_decorator", "is_autocast_available", "custom_fwd",
           "custom_bwd"]

_SUPPORTED = (backend.bfloat16, backend.float16)


def autocast_decorator(autocast_instance, func):
    """``func`` run inside ``autocast_instance`` at each call."""
    @functools.wraps(func)
    def decorate_autocast(*args, **kwargs):
        with autocast_instance:
            return func(*args, **kwargs)
    return decorate_autocast


class autocast:
    """Context manager and decorator: run the region in mixed precision on ``device_type``.

    Args:
        device_type: ``'cpu'`` or ``'cuda'`` (PyTorch's other device types hold state only).
        dtype: the lower-precision dtype; default :func:`ember.get_autocast_dtype`
            (bfloat16 on the CPU, float16 on CUDA). The CPU takes bfloat16 or float16;
            CUDA in ember takes float16 (CuPy has no bfloat16).
        enabled: ``False`` turns autocast off inside the region (also inside an enabled one).
        cache_enabled: cache the lower-precision casts of parameters inside the region
            (default :func:`ember.is_autocast_cache_enabled`).

    Example::

        >>> import ember
        >>> lin = ember.nn.Linear(4, 3)
        >>> with ember.autocast("cpu"):
        ...     y = lin(ember.randn(2, 4))
        >>> y.dtype, lin.weight.dtype
        (ember.bfloat16, ember.float32)
    """

    def __init__(self, device_type: str, dtype=None, enabled: bool = True,
                 cache_enabled: bool | None = None):
        if not isinstance(device_type, str):
            raise ValueError(f"Expected `device_type` of type `str`, got: `{type(device_type)}`")
        self.fast_dtype = get_autocast_dtype(device_type) if dtype is None else dtype
        self.device = device_type
        if not is_autocast_available(self.device):
            raise RuntimeError(
                f"User specified an unsupported autocast device_type '{self.device}'")
        self._cache_enabled = is_autocast_cache_enabled() if cache_enabled is None \
            else cache_enabled
        if enabled:
            if self.device == "cuda":
                if not cuda.is_available():
                    warnings.warn("CUDA is not available or torch_xla is imported. Disabling "
                                  "autocast.", stacklevel=2)
                    enabled = False
                elif self.fast_dtype == backend.bfloat16 and not cuda.is_bf16_supported():
                    raise RuntimeError("Current CUDA Device does not support bfloat16. Please "
                                       "switch dtype to float16.")
            elif not any(self.fast_dtype is d for d in _SUPPORTED):
                name = self.device.upper()
                warnings.warn(f"In {name} autocast, but the target dtype is not supported. "
                              f"Disabling autocast.\n{name} Autocast only supports dtypes of "
                              f"{', '.join(map(str, _SUPPORTED))} currently.", stacklevel=2)
                enabled = False
        self._enabled = enabled

    def __enter__(self):
        self.prev_cache_enabled = is_autocast_cache_enabled()
        self.prev = is_autocast_enabled(self.device)
        self.prev_fastdtype = get_autocast_dtype(self.device)
        set_autocast_enabled(self.device, bool(self._enabled))
        set_autocast_dtype(self.device, self.fast_dtype)
        autocast_increment_nesting()
        set_autocast_cache_enabled(bool(self._cache_enabled))
        return self

    def __exit__(self, *exc):
        # Drop the cache when leaving the outermost region.
        if autocast_decrement_nesting() == 0:
            clear_autocast_cache()
        set_autocast_enabled(self.device, self.prev)
        set_autocast_dtype(self.device, self.prev_fastdtype)
        set_autocast_cache_enabled(self.prev_cache_enabled)
        return False

    def __call__(self, func):
        if not callable(func):
            raise TypeError(
                f"autocast()(func) requires a callable, but got {type(func).__name__}. "
                "Did you mean to use autocast as a context manager? For example:\n"
                "    with ember.autocast(device_type=...):\n"
                "        output = model(input)")
        return autocast_decorator(self, func)


def _cast(value, device_type: str, dtype):
    """``value`` with its floating tensors on ``device_type`` (not float64) cast to ``dtype``,
    inside lists, tuples, dicts and other iterables (strings and arrays pass through)."""
    if isinstance(value, Tensor):
        eligible = value.is_floating_point() and value.device.type == device_type and \
            value.dtype is not backend.float64
        return value.to(dtype) if eligible else value
    if isinstance(value, (str, bytes)) or backend.is_array(value):
        return value
    if isinstance(value, collections.abc.Mapping):
        return {_cast(k, device_type, dtype): _cast(v, device_type, dtype)
                for k, v in value.items()}
    if isinstance(value, collections.abc.Iterable):
        items = (_cast(v, device_type, dtype) for v in value)
        return type(value)(items) if isinstance(value, (list, tuple)) else items
    return value


def custom_fwd(fwd=None, *, device_type: str, cast_inputs=None):
    """Decorator for the ``forward`` of a custom autograd Function under autocast.

    With ``cast_inputs`` (a dtype), inside an autocast region on ``device_type`` the
    floating tensor arguments are cast to it and ``forward`` runs with autocast off;
    otherwise ``forward`` runs in the current autocast state. Pair it with
    :func:`custom_bwd` on ``backward``.
    """
    if not isinstance(device_type, str):
        raise ValueError(f"Expected `device_type` of type `str`, got: `{type(device_type)}`")
    if fwd is None:
        return functools.partial(custom_fwd, device_type=device_type, cast_inputs=cast_inputs)

    @functools.wraps(fwd)
    def decorate_fwd(*args, **kwargs):
        args[0]._dtype = get_autocast_dtype(device_type)
        if cast_inputs is None:
            args[0]._fwd_used_autocast = is_autocast_enabled(device_type)
            return fwd(*args, **kwargs)
        active = is_autocast_enabled(device_type)
        args[0]._fwd_used_autocast = False
        if active:
            with autocast(device_type=device_type, enabled=False):
                return fwd(*_cast(args, device_type, cast_inputs),
                           **_cast(kwargs, device_type, cast_inputs))
        return fwd(*args, **kwargs)
    return decorate_fwd


def custom_bwd(bwd=None, *, device_type: str):
    """Decorator for the ``backward`` of a custom autograd Function: it runs in the autocast
    state its ``forward`` (decorated with :func:`custom_fwd`) ran in."""
    if not isinstance(device_type, str):
        raise ValueError(f"Expected `device_type` of type `str`, got: `{type(device_type)}`")
    if bwd is None:
        return functools.partial(custom_bwd, device_type=device_type)

    @functools.wraps(bwd)
    def decorate_bwd(*args, **kwargs):
        with autocast(device_type=device_type, enabled=args[0]._fwd_used_autocast,
                      dtype=args[0]._dtype):
            return bwd(*args, **kwargs)
    return decorate_bwd
