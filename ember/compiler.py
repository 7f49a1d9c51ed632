"""``torch.compile`` and ``torch.compiler`` for programs that call them: ember runs eagerly.

``ember.compile(model)`` returns ``model`` unchanged, so code written for PyTorch's compiler
runs as it is, at ember's eager speed (ember fuses its hot paths by hand instead). The
arguments are checked as PyTorch checks them (an unknown ``mode`` or backend name, or
``mode`` together with ``options``, raises the same error); with nothing compiled,
``fullgraph`` (no graph to break) and ``dynamic`` (no shapes to specialise) change nothing.
"""
from __future__ import annotations

__all__ = ["disable", "is_compiling", "reset"]

_MODES = ("default", "lite", "reduce-overhead", "max-autotune-no-cudagraphs", "max-autotune")
# the backends PyTorch registers (torch._dynamo.list_backends(), plus its debugging ones)
_BACKENDS = ("inductor", "cudagraphs", "openxla", "tvm", "eager", "aot_eager",
             "aot_eager_decomp_partition")


def _compile(model=None, *, fullgraph: bool = False, dynamic=None, backend="inductor",
             mode=None, options=None, disable: bool = False):
    """Return ``model`` unchanged (usable as ``@ember.compile`` and ``@ember.compile(...)``)."""
    if model is None:
        def decorate(fn):
            return _compile(fn, fullgraph=fullgraph, dynamic=dynamic, backend=backend,
                            mode=mode, options=options, disable=disable)
        return decorate
    if disable:
        return model
    if mode is not None and options is not None:
        raise RuntimeError("Either mode or options can be specified, but both can't be "
                           "specified at the same time.")
    if mode is not None and mode not in _MODES:
        raise RuntimeError(f"Unrecognized mode={mode}, should be one of: {', '.join(_MODES)}")
    if isinstance(backend, str) and backend not in _BACKENDS:
        raise RuntimeError(f"Invalid backend: {backend!r}, see `torch._dynamo.list_backends()` "
                           "for available backends.")
    return model


def disable(fn=None, recursive: bool = True):
    """``fn`` unchanged: nothing is compiled, so nothing needs to be kept from compiling
    (``recursive``, whether the functions ``fn`` calls are excluded too, changes nothing)."""
    return (lambda f: f) if fn is None else fn


def is_compiling() -> bool:
    return False


def reset() -> None:
    return None
