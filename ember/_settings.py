"""Process-wide settings that PyTorch programs set: the default device of the factory
functions, deterministic algorithms, and the float32 matmul precision (``torch.*`` names).

Like PyTorch's, these are global to the process, not per thread.
"""
from __future__ import annotations

import warnings

from . import backend

__all__ = ["set_default_device", "get_default_device", "use_deterministic_algorithms",
           "are_deterministic_algorithms_enabled", "is_deterministic_algorithms_warn_only_enabled",
           "set_deterministic_debug_mode", "get_deterministic_debug_mode",
           "set_float32_matmul_precision", "get_float32_matmul_precision"]

_state = {"device": None, "deterministic": False, "warn_only": False, "matmul": "highest"}


# ---------------------------------------------------------------------------- default device
def set_default_device(device) -> None:
    """The device that the factory functions (``tensor``, ``zeros``, ``ones``, ``empty``,
    ``full``, ``arange``, ``linspace``, ``logspace``, ``eye``, ``rand``, ``randn``,
    ``randint``, ``randperm``, ``as_tensor``...) and so the layers' parameters use when no
    ``device`` is given; ``None`` goes back to the CPU. As in PyTorch, ``from_numpy``, the
    ``*_like`` and ``new_*`` functions and the typed constructors are not affected."""
    _state["device"] = None if device is None else backend.as_device(device)


def get_default_device() -> backend.device:
    """The default device of the factory functions (``device(type='cpu')`` unless set); a
    CUDA default without an index is reported with the current device's."""
    d = _state["device"]
    if d is None:
        return backend.CPU
    if d.type == "cuda" and d.index is None:
        cp = backend.module_for(d)
        return backend.device("cuda", int(cp.cuda.Device().id))
    return d


def default_device_type() -> str:
    """The type of the default device (``'cpu'`` unless set), without initialising CUDA."""
    d = _state["device"]
    return "cpu" if d is None else d.type


def factory_device(device):
    """The device a factory function should use: ``device`` when given, else the default
    device when one was set, else None (the function's own choice: the CPU)."""
    return device if device is not None else _state["device"]


# ---------------------------------------------------------------------------- determinism
def use_deterministic_algorithms(mode: bool, *, warn_only: bool = False) -> None:
    """With ``mode=True``, operations use deterministic algorithms: ember's accumulations
    into repeated indices on the GPU (index backward, gather backward, ``scatter_add``,
    CTC) are summed on the host in index order instead of by CuPy's atomics, and ``empty``
    fills its memory (NaN, the largest integer, True) as PyTorch does. ember's CPU operations
    are deterministic in either mode, and every ember operation has a deterministic form, so
    none raises (or, with ``warn_only``, warns) as PyTorch's nondeterministic CUDA kernels do."""
    for name, value in (("mode", mode), ("warn_only", warn_only)):
        if not isinstance(value, bool):
            raise TypeError(f"_set_deterministic_algorithms(): argument '{name}' must be bool, "
                            f"not {type(value).__name__}")
    _state["deterministic"], _state["warn_only"] = mode, warn_only


def are_deterministic_algorithms_enabled() -> bool:
    return _state["deterministic"]


def is_deterministic_algorithms_warn_only_enabled() -> bool:
    return _state["warn_only"]


def set_deterministic_debug_mode(debug_mode) -> None:
    """0 / ``'default'``: off; 1 / ``'warn'``: deterministic, warning only; 2 / ``'error'``:
    deterministic, raising (as ``use_deterministic_algorithms``)."""
    if isinstance(debug_mode, str):
        names = {"default": 0, "warn": 1, "error": 2}
        if debug_mode not in names:
            raise RuntimeError("invalid value of debug_mode, expected one of `default`, `warn`, "
                               f"`error`, but got {debug_mode}")
        debug_mode = names[debug_mode]
    elif not isinstance(debug_mode, int) or isinstance(debug_mode, bool):
        raise TypeError(f"debug_mode must be str or int, but got {type(debug_mode)}")
    if debug_mode not in (0, 1, 2):
        raise RuntimeError(f"invalid value of debug_mode, expected 0, 1, or 2, but got "
                           f"{debug_mode}")
    use_deterministic_algorithms(debug_mode > 0, warn_only=debug_mode == 1)


def get_deterministic_debug_mode() -> int:
    if not _state["deterministic"]:
        return 0
    return 1 if _state["warn_only"] else 2


# ---------------------------------------------------------------------------- matmul precision
_PRECISIONS = ("highest", "high", "medium")


def set_float32_matmul_precision(precision: str) -> None:
    """How precise float32 matrix products must be: ``'highest'`` (float32 throughout),
    ``'high'`` or ``'medium'`` (TF32 or bfloat16 allowed where the hardware has them). ember's
    products are float32 throughout at every setting (NumPy on the CPU, CuPy's default
    compute type on the GPU), which each setting allows. ``'high'``/``'medium'`` also set
    ``ember.backends.cuda.matmul.allow_tf32``, as in PyTorch; an unknown name warns and
    changes nothing."""
    if not isinstance(precision, str):
        raise RuntimeError(f"set_float32_matmul_precision expects a str, but got "
                           f"{type(precision).__name__}")
    if precision not in _PRECISIONS:
        warnings.warn(f"{precision} is not one of 'highest', 'high', or 'medium'; the current"
                      "setFloat32MatmulPrecision call has no effect.", stacklevel=2)
        return
    _state["matmul"] = precision


def get_float32_matmul_precision() -> str:
    return _state["matmul"]
