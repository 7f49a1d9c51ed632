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


class UninitializedTensorMixin:
    """A parameter or buffer whose shape is not known yet (lazy modules): it holds no data,
    refuses to tell its shape, and becomes a plain ``cls_to_become`` when
    :meth:`materialize` gives it one. Its dtype and device are kept for that moment (and
    follow ``module.to(...)``/``double()``... before it)."""

    cls_to_become = None

    def materialize(self, shape, device=None, dtype=None) -> None:
        """Give it ``shape`` (uninitialized memory) on its device and dtype, or the ones
        given, and turn it into a ``cls_to_become`` (in place: the same object)."""
        from .. import backend  # noqa: PLC0415

        dev = backend.as_device(device) if device is not None else self.device
        dt = backend.np_dtype(dtype) if dtype is not None else self._data.dtype
        self._data = backend.module_for(dev).empty(tuple(shape), dtype=dt)
        self.__class__ = self.cls_to_become

    @property
    def shape(self):
        raise RuntimeError(
            "Can't access the shape of an uninitialized parameter or buffer. This error usually "
            "happens in `load_state_dict` when trying to load an uninitialized parameter into an "
            "initialized one. Call `forward` to initialize the parameters before accessing their "
            "attributes.")

    def size(self, dim=None):
        return self.shape if dim is None else self.shape[dim]  # (the shape raises)

    def _still_lazy(self, t):
        """``t`` (a conversion of this tensor's empty data) as an uninitialized tensor of this
        class: moving or casting a lazy module's buffers keeps them lazy, as in PyTorch."""
        if t is self:
            return self
        out = object.__new__(type(self))
        out._data, out.grad_fn = t._data, None
        out.requires_grad = self.requires_grad
        if hasattr(self, "persistent"):
            out.persistent = self.persistent
        return out

    def to(self, *args, **kwargs):
        return self._still_lazy(Tensor.to(self, *args, **kwargs))

    def cuda(self, *args, **kwargs):
        return self._still_lazy(Tensor.cuda(self, *args, **kwargs))

    def cpu(self):
        return self._still_lazy(Tensor.cpu(self))

    def double(self):
        return self._still_lazy(Tensor.double(self))

    def float(self):
        return self._still_lazy(Tensor.float(self))

    def half(self):
        return self._still_lazy(Tensor.half(self))

    def share_memory_(self):
        raise RuntimeError("Can't share memory on an uninitialized parameter or buffer. Call "
                           "`forward` to initialize the parameters before calling "
                           "`module.share_memory()`.")

    def __repr__(self) -> str:
        return f"<{type(self).__name__}>"


def is_lazy(param) -> bool:
    """Whether ``param`` is an :class:`UninitializedParameter` or :class:`UninitializedBuffer`."""
    return isinstance(param, UninitializedTensorMixin)


def _empty_of(device, dtype):
    from .. import backend  # noqa: PLC0415

    dev = backend.as_device(device) if device is not None else backend.as_device("cpu")
    dt = backend.np_dtype(dtype) if dtype is not None else backend.get_default_dtype().np
    return backend.module_for(dev).empty((0,), dtype=dt)


class UninitializedParameter(UninitializedTensorMixin, Parameter):
    """A :class:`Parameter` whose shape is inferred later (by a lazy module's first
    forward); ``device``/``dtype`` are those it will be created with."""

    cls_to_become = Parameter

    def __init__(self, requires_grad: bool = True, device=None, dtype=None):
        super().__init__(_empty_of(device, dtype), requires_grad)

    def __deepcopy__(self, memo):
        if id(self) not in memo:
            memo[id(self)] = type(self)(self.requires_grad, self.device, self.dtype)
        return memo[id(self)]


class UninitializedBuffer(UninitializedTensorMixin, Tensor):
    """A buffer whose shape is inferred later (see :class:`UninitializedParameter`)."""

    cls_to_become = Tensor

    def __init__(self, requires_grad: bool = False, device=None, dtype=None,
                 persistent: bool = True):
        self._data = _empty_of(device, dtype)
        self.requires_grad = False
        self.grad_fn = None
        if requires_grad:
            self.requires_grad_(True)
        self.persistent = persistent

    def __deepcopy__(self, memo):
        if id(self) not in memo:
            memo[id(self)] = type(self)(self.requires_grad, self.device, self.dtype,
                                        self.persistent)
        return memo[id(self)]
