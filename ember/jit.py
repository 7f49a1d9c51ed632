"""``torch.jit`` for programs that call it: ember runs eagerly.

``ember.jit.script(fn)`` and ``ember.jit.trace(fn, inputs)`` return what they were given,
unchanged (as ``ember.compile``, see ``ember.compiler``), so code written for PyTorch's compilers runs as it is (at
ember's eager speed). Saving or loading TorchScript archives is not supported.
"""
from __future__ import annotations

__all__ = ["script", "trace", "ignore", "unused", "export", "is_scripting",
           "is_tracing", "save", "load"]


def script(obj, optimize=None, _frames_up=0, _rcb=None, example_inputs=None):
    """Return ``obj`` (a function or Module) unchanged."""
    return obj


def trace(func, example_inputs=None, *args, **kwargs):
    """Return ``func`` (a function or Module) unchanged; ``example_inputs`` is not run."""
    return func


def ignore(drop=False, **kwargs):
    if callable(drop):
        return drop
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
