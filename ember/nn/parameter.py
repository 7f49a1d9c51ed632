"""``Parameter``: a Tensor that a Module registers as one of its learnable weights."""
from __future__ import annotations

import numpy as np

from ..tensor import Tensor


class Parameter(Tensor):
    """A leaf Tensor that requires grad by default and that Modules collect.

    ``Parameter(t)`` shares ``t``'s array; ``Parameter()`` is an empty float tensor.
    """

    def __init__(self, data=None, requires_grad: bool = True):
        if data is None:
            data = np.empty((0,), dtype=np.float32)
        arr = data._data if isinstance(data, Tensor) else data
        if not hasattr(arr, "dtype"):
            arr = np.asarray(arr, dtype=np.float32)
        self._data = arr
        self.requires_grad = False
        self.grad_fn = None
        if isinstance(data, Tensor) and data.is_inference():
            self._vc = data._vc  # a parameter on an inference tensor's memory is one too
        if requires_grad:
            self.requires_grad_(True)

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()

    def __deepcopy__(self, memo):
        t = Parameter(self._data.copy(), self.requires_grad)
        if self.grad is not None:
            t.grad = self.grad.__deepcopy__(memo)
        memo[id(self)] = t
        return t

    def __reduce_ex__(self, protocol):
        return (Parameter, (np.asarray(self._data), self.requires_grad))


class Buffer(Tensor):
    """Marks a tensor to register as a buffer when assigned to a Module attribute."""

    def __init__(self, data, persistent: bool = True):
        arr = data._data if isinstance(data, Tensor) else np.asarray(data)
        self._data = arr
        self.requires_grad = False
        self.grad_fn = None
        self.persistent = persistent


def zero_grads(params, set_to_none: bool = True) -> None:
    """Set each parameter's ``.grad`` to None, or to zeros (detached) with ``set_to_none=False``.

    Shared by ``Module.zero_grad`` and ``Optimizer.zero_grad``.
    """
    for p in params:
        if p.grad is not None:
            if set_to_none:
                p.grad = None
            else:
                p.grad = p.grad.detach()
                p.grad.zero_()
