"""``torch.compile`` and ``torch.compiler`` for programs that call them: ember runs eagerly.

``ember.compile(model)`` returns ``model`` unchanged, so code written for PyTorch's compiler
runs as it is, at ember's eager speed (ember fuses its hot paths by hand instead).
"""
from __future__ import annotations

__all__ = ["disable", "is_compiling", "reset"]


def _compile(model=None, *, fullgraph: bool = False, dynamic=None, backend="inductor",
             mode=None, options=None, disable: bool = False):
    """Return ``model`` unchanged (usable as ``@ember.compile`` and ``@ember.compile(...)``)."""
    if model is None:
        return lambda fn: fn
    return model


def disable(fn=None, recursive: bool = True):
    return (lambda f: f) if fn is None else fn


def is_compiling() -> bool:
    return False


def reset() -> None:
    return None
