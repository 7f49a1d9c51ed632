"""``Variable``: the pre-0.4 wrapper, kept as PyTorch keeps it (``torch.autograd.variable``).

``Variable(t)`` returns a plain :class:`~ember.Tensor` on ``t``'s memory, cut from the graph
(``t.detach()``), with ``requires_grad`` as asked; ``isinstance(x, Variable)`` is true of
every Tensor. ``volatile=True`` only warns, as in PyTorch (use ``ember.no_grad()``).
"""
from __future__ import annotations

import warnings

from ..tensor import Tensor
from .engine import queue_callback

__all__ = ["Variable"]


class _ExecutionEngine:
    """``Variable._execution_engine``: the engine's entry points old code reaches this way."""

    @staticmethod
    def queue_callback(callback) -> None:
        queue_callback(callback)

    @staticmethod
    def run_backward(tensors, grad_tensors, keep_graph, create_graph, inputs=(),
                     allow_unreachable=True, accumulate_grad=True):
        """What ``autograd.backward`` (``accumulate_grad``) and ``autograd.grad`` run."""
        from .engine import backward, grad  # noqa: PLC0415

        if not allow_unreachable and not accumulate_grad:
            return grad(tensors, inputs, grad_tensors, keep_graph, create_graph,
                        allow_unused=False)
        if accumulate_grad:
            backward(tensors, grad_tensors, keep_graph, create_graph, inputs=inputs or None)
            return ()
        return grad(tensors, inputs, grad_tensors, keep_graph, create_graph, allow_unused=True)

    @staticmethod
    def is_checkpoint_valid() -> bool:
        return True


class _VariableMeta(type):
    def __instancecheck__(cls, other):
        return isinstance(other, Tensor)


class Variable(metaclass=_VariableMeta):
    """``Variable(data=None, requires_grad=False, volatile=False, _grad_fn=None, name=None)``:
    a Tensor (see the module docstring); ``name`` is stored as the tensor's ``.name``."""

    _execution_engine = _ExecutionEngine()

    def __new__(cls, data=None, requires_grad=False, volatile=False, _grad_fn=None, name=None):
        if volatile:
            if requires_grad:
                raise ValueError("Variable can't be volatile and require_grad at the same time!")
            warnings.warn("volatile was removed and now has no effect. Use `with torch.no_grad():` "
                          "instead.", UserWarning, stacklevel=2)
        if _grad_fn is not None:
            raise NotImplementedError("Variable(_grad_fn=...): ember builds graph nodes only by "
                                      "running ops; pass the data and requires_grad instead")
        if data is None:
            t = Tensor()
        elif not isinstance(data, Tensor):
            raise TypeError(f"Variable data has to be a tensor, but got {type(data).__name__}")
        else:
            t = data.detach()
        if requires_grad:
            t.requires_grad_(True)
        if name is not None:
            t.name = name
        return t
