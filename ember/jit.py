"""``torch.jit`` for programs that call it: ember runs eagerly.

``ember.jit.script(fn)`` and ``ember.jit.trace(fn, inputs)`` return what they were given,
unchanged (as ``ember.compile``, see ``ember.compiler``), so code written for PyTorch's compilers runs as it is (at
ember's eager speed). Saving or loading TorchScript archives is not supported.

``Final`` (``typing.Final``, which marks a constant attribute for the TorchScript compiler) and
``TracerWarning`` (the category of the tracer's warnings, which ember never emits) exist so that
code naming them runs. ``_flatten`` is the tracer's helper that lists the tensors of nested
inputs.
"""
from __future__ import annotations

import warnings
from typing import Final

__all__ = ["script", "trace", "ignore", "unused", "export", "is_scripting",
           "is_tracing", "save", "load", "Final", "TracerWarning"]


class TracerWarning(Warning):
    """The category of warnings the tracer gives (ember has no tracer: none are given)."""

    @staticmethod
    def ignore_lib_warnings():
        """Ignore tracer warnings raised from inside the library (``ember.*``), as PyTorch's
        does for ``torch.*``."""
        warnings.filterwarnings("ignore", category=TracerWarning, module="ember.(?!jit)")


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


class _IODescriptor:
    """The structure of what :func:`_flatten` flattened (opaque, as PyTorch's)."""

    def __init__(self, structure):
        self._structure = structure

    def __repr__(self):
        return f"<ember.jit.IODescriptor object at {hex(id(self))}>"


def _flatten(obj):
    """``(tensors, descriptor)``: the tensors in ``obj`` (nested tuples, lists and dicts of
    tensors), depth first; numbers and booleans become 0-d tensors, None and strings hold
    none. ``_unflatten(tensors, descriptor)`` rebuilds ``obj``'s structure."""
    from .tensor import Tensor, _to_array, _wrap  # noqa: PLC0415

    out = []

    def walk(x):
        if isinstance(x, Tensor):
            out.append(x)
            return ("t",)
        if isinstance(x, (bool, int, float)):  # int64, float64 or bool, as PyTorch's
            out.append(_wrap(_to_array(x, "float64" if isinstance(x, float) else None),
                             False, None, 0))
            return ("t",)
        if isinstance(x, (tuple, list)):
            return (type(x), [walk(v) for v in x])
        if isinstance(x, dict):
            return (dict, [(k, walk(v)) for k, v in x.items()])
        if x is None or isinstance(x, str):
            return ("c", x)
        raise RuntimeError("Only tuples, lists and Variables are supported as JIT "
                           "inputs/outputs. Dictionaries and strings are also accepted, but "
                           "their usage is not recommended. Here, received an input of "
                           f"unsupported type: {type(x).__name__}")

    structure = walk(obj)
    return out, _IODescriptor(structure)


def _unflatten(tensors, desc):
    """The structure ``desc`` described (see :func:`_flatten`) holding ``tensors``."""
    it = iter(tensors)

    def build(s):
        if s[0] == "t":
            return next(it)
        if s[0] == "c":
            return s[1]
        if s[0] is dict:
            return {k: build(v) for k, v in s[1]}
        return s[0](build(v) for v in s[1])
    return build(desc._structure)
