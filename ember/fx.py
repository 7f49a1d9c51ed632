"""``ember.fx``: ``wrap``, for programs written for ``torch.fx``.

``torch.fx.wrap(fn)`` marks a function as a leaf for FX's symbolic tracer (kept as one call in
the traced graph). ember has no graph tracer and runs eagerly, where the mark changes nothing:
``wrap`` returns what it was given, after PyTorch's checks. The rest of ``torch.fx``
(``symbolic_trace``, ``GraphModule``...) is absent.
"""
from __future__ import annotations

import inspect

__all__ = ["wrap"]


def wrap(fn_or_name):
    """Return ``fn_or_name`` (a function, or the name of a module-level function) unchanged;
    like PyTorch's, it must be called at the top level of a module."""
    if not callable(fn_or_name) and not isinstance(fn_or_name, str):
        raise RuntimeError("Unsupported type for global function! Must be either a callable or "
                           "string name")
    frame = inspect.currentframe().f_back
    if frame.f_code.co_name != "<module>":
        raise NotImplementedError("wrap must be called at the top level of a module")
    return fn_or_name
