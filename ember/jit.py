"""``torch.jit`` for programs that call it: ember runs eagerly.

``ember.jit.script(fn)`` and ``ember.jit.trace(fn, inputs)`` return what they were given,
unchanged (as ``ember.compile``, see ``ember.compiler``), so code written for PyTorch's compilers runs as it is (at
ember's eager speed). Saving or loading TorchScript archives is not supported.
"""
from __future__ import annotations

import warnings

__all__ = ["script", "trace", "ignore", "unused", "export", "is_scripting",
           "is_tracing", "save", "load"]


def _deprecated_optimize(optimize) -> None:
    if optimize is not None:
        warnings.warn("`optimize` is deprecated and has no effect. Use `with "
                      "torch.jit.optimized_execution()` instead", FutureWarning, stacklevel=3)


def script(obj, optimize=None, _frames_up=0, _rcb=None, example_inputs=None):
    """Return ``obj`` (a function or Module) unchanged. Nothing is compiled, so TorchScript's
    name resolution (``_frames_up``, ``_rcb``) and type inference from ``example_inputs``
    have nothing to do; ``optimize`` warns as PyTorch's does."""
    _deprecated_optimize(optimize)
    return obj


def trace(func, example_inputs=None, optimize=None, check_trace: bool = True,
          check_inputs=None, check_tolerance: float = 1e-5, strict: bool = True,
          example_kwarg_inputs=None):
    """Return ``func`` (a function or Module) unchanged. Nothing is recorded, so the example
    inputs are not run and there is no trace to check against ``func`` (``check_trace``,
    ``check_inputs``, ``check_tolerance``, ``strict``); ``optimize`` warns as PyTorch's does."""
    _deprecated_optimize(optimize)
    return func


def ignore(drop=False, **kwargs):
    """``fn`` unchanged (nothing is compiled, so nothing is left out of a compilation); the
    arguments are checked and the deprecated forms warn, as in PyTorch."""
    if callable(drop):
        return drop
    if not isinstance(drop, bool):
        raise RuntimeError(f"Argument to @torch.jit.ignore must be a bool or a function but got "
                           f"{drop}")
    drop_on_export = kwargs.pop("drop_on_export", None)
    if kwargs:
        raise TypeError(f"ignore() got unexpected keyword arguments {sorted(kwargs)}")
    if drop_on_export:
        warnings.warn("ignore(drop_on_export=True) has been deprecated. TorchScript will now drop "
                      "the function call on compilation. Use torch.jit.unused now. {}",
                      FutureWarning, stacklevel=2)
    elif drop:
        warnings.warn("ignore(True) has been deprecated. TorchScript will now drop the function "
                      "call on compilation. Use torch.jit.unused now. {}", FutureWarning,
                      stacklevel=2)
    return lambda fn: fn


def unused(fn):
    return fn


def export(fn):
    return fn


def is_scripting() -> bool:
    return False


def is_tracing() -> bool:
    return False


def save(m, f, _extra_files=None):
    raise NotImplementedError("torch.jit.save is not supported by ember (no TorchScript); "
                              "save model.state_dict() with ember.save instead")


def load(f, map_location=None, _extra_files=None):
    raise NotImplementedError("torch.jit.load is not supported by ember (no TorchScript); "
                              "load a state dict with ember.load instead")
